import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import { inMonth, monthTitle, plural, recurrenceText, type DaySummary, type FiredItem, type Month, type UpcomingItem } from "../lib/calendar.js";
import { clock } from "../lib/format.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";

const dayTitle = (date: string) => new Date(`${date}T12:00:00`).toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" });

/** The month's days as a list, one day after another with all it holds: what a screen reader or a phone reads best. */
@customElement("et-calendar-agenda")
export class EtCalendarAgenda extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
      }
      h2 {
        font-size: var(--size-lg);
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
      }
      ol > li {
        display: grid;
        grid-template-columns: 190px minmax(0, 1fr);
        gap: var(--space-2) var(--space-4);
        padding: var(--space-3) var(--space-4);
      }
      h3 {
        font-family: var(--font-sans);
        font-size: var(--size-base);
        font-weight: 600;
        display: flex;
        flex-direction: column;
      }
      .today {
        font-size: 11px;
        font-weight: 700;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--accent);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
      }
      ul li {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 2px var(--space-2);
        padding-left: var(--space-3);
        border-left: 3px solid var(--border-strong);
        line-height: 1.45;
        overflow-wrap: anywhere;
      }
      ul li.talk {
        border-left-color: var(--accent);
      }
      ul li.fired {
        border-left-color: var(--ok);
      }
      ul li.coming {
        border-left-color: var(--warn);
      }
      time.at {
        font-variant-numeric: tabular-nums;
        font-weight: 600;
        min-width: 3.2em;
      }
      .what {
        font-size: 12px;
        font-weight: 700;
        text-transform: uppercase;
        letter-spacing: 0.05em;
        color: var(--text-muted);
      }
      .text {
        font-family: var(--font-serif);
        font-size: 16px;
      }
      .rec {
        font-size: var(--size-sm);
        color: var(--text-muted);
      }
      .none {
        margin: 0;
        padding: var(--space-4);
        color: var(--text-muted);
        border: 1px dashed var(--border-strong);
        border-radius: var(--radius-md);
      }
      @media (max-width: 640px) {
        ol > li {
          grid-template-columns: minmax(0, 1fr);
          padding: var(--space-3);
        }
        h3 {
          flex-direction: row;
          gap: var(--space-2);
          align-items: baseline;
        }
      }
    `,
  ];

  @property() accessor personaId = "";
  @property() accessor personaName = "";
  @property({ attribute: false }) accessor month!: Month;
  @property({ attribute: false }) accessor days: Map<string, DaySummary> = new Map();
  @property() accessor today = "";
  /** When "now" is, to tell a reminder still to come from one that waited past its time. */
  @property({ attribute: false }) accessor now = new Date();

  private reminder(r: FiredItem | UpcomingItem) {
    const late = r.upcoming && new Date(r.time) < this.now;
    const what = !r.upcoming ? "Reminder fired" : late ? "Due, not yet sent" : "To come";
    return html`<li class=${r.upcoming ? "coming" : "fired"}>
      <time class="at" datetime=${r.time}>${clock(r.time)}</time>
      <span class="what">${what}</span>
      <span class="text">${r.text || "(no text)"}</span>
      ${r.recurrence ? html`<span class="rec">${recurrenceText(r.recurrence)}</span>` : nothing}
    </li>`;
  }

  private day(s: DaySummary) {
    const title = dayTitle(s.date);
    const reminders = [...s.fired, ...s.upcoming].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return html`<li class="card">
      <h3><time datetime=${s.date}>${title}</time>${s.date === this.today ? html`<span class="today">Today</span>` : nothing}</h3>
      <ul>
        ${s.messages
          ? html`<li class="talk">
              <span class="what">Conversation</span>
              <span>${plural(s.messages, "message", "messages")}</span>
              <a href=${href({ name: "persona", id: this.personaId, tab: "chat", arg: s.date })}>Read the conversation<span class="sr-only"> of ${title}</span></a>
            </li>`
          : nothing}
        ${reminders.map((r) => this.reminder(r))}
      </ul>
    </li>`;
  }

  render() {
    const days = [...this.days.values()].filter((s) => inMonth(s.date, this.month)).sort((a, b) => a.date.localeCompare(b.date));
    const title = monthTitle(this.month);
    return html`
      <h2 id="agenda-title">${title}, day by day</h2>
      ${days.length
        ? html`<ol aria-labelledby="agenda-title">${days.map((s) => this.day(s))}</ol>`
        : html`<p class="none">Nothing in ${title}: no conversation with ${this.personaName} and no reminder.</p>`}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-calendar-agenda": EtCalendarAgenda;
  }
}
