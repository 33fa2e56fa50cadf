import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { byDay, inMonth, monthKey, monthRange, monthTitle, parseMonth, plural, shiftMonth, thisMonth, type CalendarReply, type DaySummary, type Month } from "../lib/calendar.js";
import type { ChatEntry } from "../lib/chat.js";
import type { Connection } from "../lib/connection.js";
import { localDay } from "../lib/format.js";
import { go, href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-calendar-agenda.js";
import "./et-calendar-grid.js";
import "./et-notice.js";

/**
 * Her history and destiny by month (the month in the URL): the days she talked with the person,
 * the reminders that fired and those to come, as a grid and as a list. Today counts as a day
 * with a conversation as soon as something was said, before her night archives it.
 */
@customElement("et-calendar")
export class EtCalendar extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: var(--space-2);
      }
      h2 {
        font-size: var(--size-xl);
        flex: 1;
        min-width: 200px;
      }
      .head input {
        width: auto;
      }
      .moves {
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
      }
      .summary {
        margin: 0;
        color: var(--text-muted);
        min-height: 1.5em;
      }
      .grid {
        position: relative;
      }
      .grid[aria-busy="true"] et-calendar-grid {
        opacity: 0.6;
      }
      .reading {
        position: absolute;
        top: 50%;
        left: 50%;
        transform: translate(-50%, -50%);
        margin: 0;
        padding: var(--space-2) var(--space-4);
        border-radius: 999px;
        background: var(--bg-elev);
        border: 1px solid var(--border-strong);
        box-shadow: var(--shadow);
        font-weight: 600;
      }
      et-calendar-agenda {
        margin-top: var(--space-4);
      }
      @media (max-width: 640px) {
        .moves {
          width: 100%;
        }
        .moves .button {
          flex: 1;
          padding: 0 var(--space-2);
        }
        /* Said to a screen reader, not shown: three moves fit one line. */
        .wide {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip: rect(0 0 0 0);
          white-space: nowrap;
        }
        .head input {
          width: 100%;
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  /** The month shown (YYYY-MM), or null for this month. */
  @property() accessor month: string | null = null;
  @property({ attribute: false }) accessor connection: Connection | null = null;
  @state() accessor days: Map<string, DaySummary> = new Map();
  @state() accessor truncated = false;
  @state() accessor loading = true;
  @state() accessor error = "";
  /** The month the shown days belong to (they stay while the next month is read). */
  @state() accessor shown: string | null = null;
  private undo: (() => void) | null = null;
  private asked = 0;

  private get current(): Month | null {
    return this.month === null ? thisMonth() : parseMonth(this.month);
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.undo = this.connection?.onResync(() => void this.load()) ?? null;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.undo?.();
    this.undo = null;
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | undefined;
    if (changed.has("month") || (changed.has("persona") && before?.id !== this.persona.id)) void this.load();
  }

  private async load(): Promise<void> {
    const m = this.current;
    if (!m || !this.persona) return;
    const ask = ++this.asked;
    const id = encodeURIComponent(this.persona.id);
    const { start, end } = monthRange(m);
    this.loading = true;
    try {
      const [cal, live] = await Promise.all([api.get<CalendarReply>(`/api/persona/${id}/calendar?start=${start}&end=${end}`), this.liveDays(id, m)]);
      if (ask !== this.asked) return;
      this.days = byDay(cal.items, live);
      this.truncated = cal.truncated;
      this.shown = monthKey(m);
      this.error = "";
    } catch (err) {
      if (ask === this.asked) this.error = explain(err);
    } finally {
      if (ask === this.asked) this.loading = false;
    }
  }

  /**
   * The days of this month with messages her night has not archived yet (today, usually), each
   * counted as the daemon gives that day — archived and not, the same message once.
   */
  private async liveDays(id: string, m: Month): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (monthKey(m) > monthKey(thisMonth())) return out;
    const { messages } = await api.get<{ messages: ChatEntry[] }>(`/api/persona/${id}/conversation`);
    const dates = new Set(messages.map((e) => localDay(new Date(e.time))).filter((d) => inMonth(d, m)));
    await Promise.all(
      [...dates].map(async (d) => {
        const r = await api.get<{ messages: ChatEntry[] }>(`/api/persona/${id}/conversation?date=${d}`);
        out.set(d, r.messages.length);
      }),
    );
    return out;
  }

  private place(m: Month | null) {
    return { name: "persona" as const, id: this.persona.id, tab: "calendar" as const, arg: m && monthKey(m) !== monthKey(thisMonth()) ? monthKey(m) : null };
  }

  private summary(m: Month) {
    const days = [...this.days.values()].filter((s) => inMonth(s.date, m));
    const talked = days.filter((s) => s.messages);
    const messages = talked.reduce((n, s) => n + s.messages, 0);
    const fired = days.reduce((n, s) => n + s.fired.length, 0);
    const upcoming = days.reduce((n, s) => n + s.upcoming.length, 0);
    if (!days.length) return "";
    const parts = [
      talked.length ? `${plural(talked.length, "day", "days")} of conversation (${plural(messages, "message", "messages")})` : "",
      fired ? plural(fired, "reminder fired", "reminders fired") : "",
      upcoming ? plural(upcoming, "reminder to come", "reminders to come") : "",
    ].filter(Boolean);
    return parts.join(" · ");
  }

  render() {
    const p = this.persona;
    const m = this.current;
    if (!m) {
      return html`<et-notice tone="warn" heading="There is no month “${this.month}”." message="A month in this address looks like 2026-12.">
        <a href=${href(this.place(null))}>Go to this month</a>
      </et-notice>`;
    }
    const title = monthTitle(m);
    const fresh = this.shown === monthKey(m);
    const isNow = monthKey(m) === monthKey(thisMonth());
    const today = localDay();
    return html`
      <div class="head">
        <h2 id="month-title" aria-live="polite">${title}</h2>
        <div class="moves" role="group" aria-label="Months">
          <a class="button" href=${href(this.place(shiftMonth(m, -1)))}><span aria-hidden="true">←</span><span>Previous<span class="wide"> month</span></span></a>
          ${isNow ? nothing : html`<a class="button" href=${href(this.place(null))}>This month</a>`}
          <a class="button" href=${href(this.place(shiftMonth(m, 1)))}><span>Next<span class="wide"> month</span></span><span aria-hidden="true">→</span></a>
        </div>
        <label class="sr-only" for="month">Go to a month</label>
        <input id="month" type="month" .value=${monthKey(m)} @change=${(e: Event) => {
          const v = parseMonth((e.target as HTMLInputElement).value);
          if (v) go(this.place(v));
        }} />
      </div>
      ${this.error ? html`<et-notice heading="${p.name}'s calendar could not be read." .message=${this.error} retry @et-retry=${this.load}></et-notice>` : nothing}
      ${this.truncated ? html`<et-notice tone="warn" message="This month holds more than the daemon gives at once: only its first 500 items are shown."></et-notice>` : nothing}
      <p class="summary">${fresh ? this.summary(m) || `Nothing yet in ${title}.` : ""}</p>
      <div class="grid" aria-busy=${this.loading ? "true" : "false"}>
        <et-calendar-grid .personaId=${p.id} .month=${m} .days=${fresh ? this.days : new Map()} .today=${today}></et-calendar-grid>
        ${this.loading ? html`<p class="reading" role="status">Reading ${p.name}'s calendar…</p>` : nothing}
      </div>
      ${fresh ? html`<et-calendar-agenda .personaId=${p.id} .personaName=${p.name} .month=${m} .days=${this.days} .today=${today} .now=${new Date()}></et-calendar-agenda>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-calendar": EtCalendar;
  }
}
