import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";
import { sectionStyles } from "./et-settings-section.js";
import "./et-notice.js";
import "./et-status.js";

type Action = "start" | "rest" | "restart" | "sleep";

/** What `POST …/sleep` answers. */
interface Night {
  archived: string | null;
  messages: number;
  updated: string[];
  summary: string;
  diary?: { created: string; bytes: number } | { skipped: string };
}

/** Her night in a sentence: what she archived, which files she rewrote, her diary. */
function nightSaid(n: Night): string {
  const day = n.archived ? `She slept: the day of ${n.archived} (${n.messages} messages) is in her history` : "She slept: there was nothing said today to archive";
  const files = n.updated.length ? `, she rewrote ${n.updated.join(", ")}` : "";
  const diary = n.diary && "created" in n.diary ? ", and her diary was written." : n.diary ? `; no diary was written (${n.diary.skipped})` : ".";
  return `${day}${files}${diary}${n.summary ? ` ${n.summary}` : ""}`;
}

/** Her status in plain words: what the person asked for, what is, and why when she is sick. */
function describe(p: PersonaView): string {
  if (p.status === "sick") return "She fell sick and stopped: she answers nothing until she is started again. What was sent to her meanwhile waits.";
  if (p.state === "starting") return "She is starting.";
  if (p.state === "stopping") return "She is stopping.";
  if (p.running) return p.phase === "night" ? "She is asleep: her night is under way, and what you send waits for her morning." : "She is awake and answers on every channel she has.";
  if (p.state === "failed") return "She should be awake, but she failed to start. Start her again, or look at Health for why.";
  return "She is resting: her heart is still and she answers nothing until you start her. Nothing of her is lost.";
}

/** Start her, let her rest, restart her — and, when she is sick, the reason and the way back. */
@customElement("et-settings-status")
export class EtSettingsStatus extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      .now {
        display: flex;
        align-items: center;
        gap: var(--space-3);
        flex-wrap: wrap;
      }
      .now p {
        margin: 0;
        line-height: 1.55;
      }
      .reason {
        margin: 0;
        padding: var(--space-3) var(--space-4);
        border-left: 4px solid var(--danger);
        background: var(--danger-bg);
        border-radius: var(--radius-sm);
        line-height: 1.55;
        overflow-wrap: anywhere;
      }
      .reason strong {
        display: block;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  @state() accessor busy: Action | null = null;
  @state() accessor error = "";
  @state() accessor slept = "";

  private async act(a: Action): Promise<void> {
    const p = this.persona;
    this.busy = a;
    this.error = "";
    this.slept = "";
    try {
      if (a === "sleep") this.slept = nightSaid(await api.post<Night>(`/api/persona/${p.id}/sleep`));
      else if (a === "restart") await api.post(`/api/persona/${p.id}/restart`);
      else if (a === "start" && p.status === "sick") await api.post(`/api/persona/${p.id}/start`);
      else await api.post(`/api/persona/${p.id}/update`, { status: a === "rest" ? "hibernate" : "active" });
      emit(this, "et-persona-changed", { id: p.id });
    } catch (err) {
      this.error = explain(err);
    } finally {
      this.busy = null;
    }
  }

  render() {
    const p = this.persona;
    // While a restart (or a rest) is under way her state passes through stopped: the buttons stay
    // as they were, the one pressed saying what it does, until the daemon has answered.
    const button = (a: Action, label: string, doing: string, cls = "") =>
      html`<button class=${cls} ?disabled=${!!this.busy} @click=${() => this.act(a)}>${this.busy === a ? doing : label}</button>`;
    return html`<section class="card" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <div class="now">
        <et-status .persona=${p}></et-status>
        <p>${describe(p)}</p>
      </div>
      ${p.status === "sick"
        ? html`<p class="reason"><strong>Why she is sick</strong>${p.status_reason ?? "Her thinking organ kept failing."}</p>
            <p class="intro">Put right what the reason names — most often her thinking organ, below — then start her: she answers what waited.</p>`
        : nothing}
      <div class="row">
        ${p.running || this.busy === "restart" || this.busy === "rest"
          ? html`${button("rest", "Let her rest", "Stopping…")} ${button("restart", "Restart", "Restarting…")}
              ${button("sleep", "Her night now", "She is sleeping…")}`
          : button("start", "Start her", "Starting…", "primary")}
      </div>
      ${p.running ? html`<p class="intro">Her night (at her bedtime, or now) folds the day into her memory files, archives it, and writes her diary.</p>` : nothing}
      <p class="done" role="status">${this.slept}</p>
      ${this.error ? html`<et-notice heading="That did not work." .message=${this.error}></et-notice>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-settings-status": EtSettingsStatus;
  }
}
