import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { OrganRole, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import { count, durationText, moment, type Diagnosis } from "../lib/health.js";
import { ROLES } from "../lib/providers.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-health-organ.js";
import "./et-health-uptime.js";
import "./et-notice.js";
import "./et-status.js";

/** Several events in a burst (a beat's calls) make one refresh. */
const SETTLE_MS = 250;

/**
 * How she is: whether anything keeps her from answering, her last week hour by hour, and
 * each organ's use and last fault. Fetched from `diagnose`, and again when one of her organs
 * is used or faults (or a beat of hers ends), when she changes, and after the link comes back.
 */
@customElement("et-health")
export class EtHealth extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        max-width: 1040px;
      }
      .top {
        display: flex;
        align-items: center;
        gap: var(--space-3);
        flex-wrap: wrap;
      }
      .top h2 {
        flex: 1;
        font-size: var(--size-xl);
      }
      .checked {
        font-size: var(--size-sm);
        color: var(--text-muted);
      }
      section {
        padding: var(--space-5);
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
      }
      section h3 {
        font-size: var(--size-lg);
      }
      .facts {
        margin: 0;
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(160px, 1fr));
        gap: var(--space-3);
      }
      .facts div {
        padding: var(--space-3);
        background: var(--bg-recessed);
        border-radius: var(--radius-md);
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      .facts dt {
        font-size: 12px;
        color: var(--text-muted);
      }
      .facts dd {
        margin: 0;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .answering {
        margin: 0;
        padding: var(--space-3) var(--space-4);
        border-radius: var(--radius-md);
        border-left: 4px solid var(--ok);
        background: var(--ok-bg);
        line-height: 1.5;
      }
      .answering.trouble {
        border-left-color: var(--warn);
        background: var(--warn-bg);
      }
      .answering.down {
        border-left-color: var(--danger);
        background: var(--danger-bg);
      }
      .answering strong {
        display: block;
      }
      .answering span {
        overflow-wrap: anywhere;
      }
      .answering .since {
        display: block;
        font-size: var(--size-sm);
        color: var(--text-muted);
        margin-top: var(--space-1);
      }
      .intro {
        margin: 0;
        color: var(--text-muted);
        font-size: var(--size-sm);
        line-height: 1.5;
      }
      .organs {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: var(--space-3);
      }
      .loading {
        color: var(--text-muted);
      }
      @media (max-width: 600px) {
        section {
          padding: var(--space-4) var(--space-3);
        }
        .organs {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @property({ attribute: false }) accessor connection: Connection | undefined = undefined;
  @state() accessor diagnosis: Diagnosis | null = null;
  @state() accessor loading = false;
  @state() accessor error = "";
  @state() accessor checked: Date | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private asked = 0;
  private readonly subs = new Subscriptions(this, (c) => {
    const id = this.persona?.id;
    if (!id) return [];
    const mine = (e: { persona: string | null }) => e.persona === id && this.soon();
    return [
      c.watch(id),
      c.on("organ:fault", mine),
      // The end of a beat (and her answer) is when its organ calls have been counted.
      c.on("mind:activity", (e) => e.activity === "idle" && mine(e)),
      c.on("chat:message", (e) => e.from === "persona" && mine(e)),
      c.onResync(() => void this.load()),
    ];
  });

  disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has("persona") || !this.persona) return;
    const before = changed.get("persona") as PersonaView | null | undefined;
    if (before?.id !== this.persona.id) {
      if (before) this.subs.renew();
      this.diagnosis = null;
      void this.load();
    } else if (before.status !== this.persona.status || before.state !== this.persona.state || before.running !== this.persona.running) this.soon();
  }

  /** A refresh shortly, once for a burst of events. */
  private soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, SETTLE_MS);
  }

  private async load(): Promise<void> {
    const id = this.persona?.id;
    if (!id) return;
    const ask = ++this.asked;
    this.loading = true;
    try {
      const d = await api.get<Diagnosis>(`/api/persona/${id}/diagnose`);
      // An older answer arriving after a newer one is dropped.
      if (ask !== this.asked) return;
      this.diagnosis = d;
      this.error = "";
      this.checked = new Date();
    } catch (err) {
      if (ask === this.asked) this.error = explain(err);
    } finally {
      if (ask === this.asked) this.loading = false;
    }
  }

  /** What keeps her from answering, or that nothing does. */
  private answering(d: Diagnosis) {
    const settings = href({ name: "persona", id: d.id, tab: "settings", arg: null });
    if (d.status === "sick") {
      return html`<p class="answering down" role="status"><strong>She is sick and does not answer.</strong><span>${d.status_reason ?? "Her thinking organ kept failing."}</span>
          <span class="since">Put it right, then start her again in <a href=${settings}>Organs and status</a>.</span></p>`;
    }
    if (!d.running) {
      const why = d.failure ? html`<span>${d.failure}</span>` : html`<span>${d.status === "hibernate" ? "She is resting." : "She is stopped."} Start her in <a href=${settings}>Organs and status</a>.</span>`;
      return html`<p class="answering down" role="status"><strong>She is not running, so she does not answer.</strong>${why}</p>`;
    }
    if (d.trouble) {
      return html`<p class="answering trouble" role="status"><strong>${d.trouble.kind === "thinking" ? "Her thinking organ fails, so she cannot answer." : "Something keeps her from answering."}</strong><span>${d.trouble.detail}</span>
          <span class="since">Since ${moment(d.trouble.since)}</span></p>`;
    }
    return html`<p class="answering" role="status"><strong>Nothing keeps her from answering.</strong><span>Her thinking organ answers and her files are in order.</span></p>`;
  }

  render() {
    const p = this.persona;
    if (!p) return nothing;
    const d = this.diagnosis;
    const top = html`<div class="top">
      <h2>Health</h2>
      <span class="checked" role="status" aria-live="polite">${this.loading ? "Checking…" : this.checked ? `Checked at ${this.checked.toLocaleTimeString()}` : ""}</span>
      <button ?disabled=${this.loading} @click=${() => this.load()}>Refresh</button>
    </div>`;
    if (!d) {
      return html`${top}${this.error
          ? html`<et-notice heading="Her health could not be read." .message=${this.error} retry @et-retry=${this.load}></et-notice>`
          : html`<p class="loading" role="status">Reading her health…</p>`}`;
    }
    const beat = d.last_heartbeat;
    const roles = ROLES.filter((r): r is OrganRole => !!d.organs[r]);
    return html`
      ${top}
      ${this.error ? html`<et-notice heading="Her health could not be read again; this is what it was." .message=${this.error} retry @et-retry=${this.load}></et-notice>` : nothing}
      <section class="card" aria-labelledby="now-title">
        <h3 id="now-title">Now</h3>
        ${this.answering(d)}
        <dl class="facts">
          <div><dt>Condition</dt><dd><et-status .persona=${p}></et-status></dd></div>
          <div><dt>Up for</dt><dd>${d.uptime_ms === null ? "Not running" : durationText(d.uptime_ms)}</dd></div>
          <div><dt>Waiting in her inbox</dt><dd>${d.inbox === null ? "—" : d.inbox === 0 ? "Nothing" : count(d.inbox)}</dd></div>
          <div><dt>Last heartbeat</dt><dd>${beat ? `${moment(beat.time)}, thinking ${beat.thinking === "ok" ? "fine" : "failing"}` : "None yet"}</dd></div>
        </dl>
      </section>
      <section class="card" aria-labelledby="uptime-title">
        <h3 id="uptime-title">The last ${d.uptime.length} days</h3>
        <p class="intro">While she runs her heart beats once a minute. Each square is an hour: the fuller it is, the more minutes of it she was up.</p>
        <et-health-uptime .days=${d.uptime}></et-health-uptime>
      </section>
      <section class="card" aria-labelledby="organs-title">
        <h3 id="organs-title">Organs</h3>
        <p class="intro">Calls and tokens since the daemon last started.</p>
        <div class="organs">${roles.map((r) => html`<et-health-organ .role=${r} .organ=${d.organs[r]!}></et-health-organ>`)}</div>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-health": EtHealth;
  }
}
