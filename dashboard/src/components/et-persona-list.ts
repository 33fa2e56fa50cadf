import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { emit } from "../lib/events.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-notice.js";
import "./et-status.js";

/** Every persona with how she is, and start / stop / restart for each; an empty state that says what to do first. */
@customElement("et-persona-list")
export class EtPersonaList extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
        max-width: 960px;
      }
      .actions {
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
      }
      .top {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: var(--space-3);
        margin-bottom: var(--space-5);
        flex-wrap: wrap;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
        gap: var(--space-4);
      }
      li {
        padding: var(--space-4);
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
      }
      .head {
        display: flex;
        justify-content: space-between;
        gap: var(--space-2);
        align-items: baseline;
      }
      h2 {
        font-size: var(--size-xl);
        overflow-wrap: anywhere;
      }
      h2 a {
        color: var(--text);
        text-decoration: none;
      }
      h2 a:hover {
        text-decoration: underline;
      }
      dl {
        margin: 0;
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 2px var(--space-3);
        font-size: var(--size-sm);
      }
      dt {
        color: var(--text-muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .actions {
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
      }
      .empty {
        padding: var(--space-6);
        max-width: 640px;
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
        align-items: flex-start;
      }
      .empty p {
        margin: 0;
        line-height: 1.6;
      }
      .reason {
        font-size: var(--size-sm);
        color: var(--danger);
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property({ attribute: false }) accessor personas: PersonaView[] = [];
  @property({ type: Boolean }) accessor loaded = false;
  @property() accessor error = "";
  @state() accessor busy = new Map<string, string>();
  @state() accessor failures = new Map<string, string>();

  private async act(p: PersonaView, action: "start" | "stop" | "restart"): Promise<void> {
    this.busy = new Map(this.busy).set(p.id, action);
    const failures = new Map(this.failures);
    failures.delete(p.id);
    this.failures = failures;
    try {
      await api.post(`/api/persona/${p.id}/${action}`);
      emit(this, "et-persona-changed", { id: p.id });
    } catch (err) {
      this.failures = new Map(this.failures).set(p.id, explain(err));
    } finally {
      const busy = new Map(this.busy);
      busy.delete(p.id);
      this.busy = busy;
    }
  }

  private card(p: PersonaView) {
    const busy = this.busy.get(p.id);
    const t = p.organs.thinking;
    const button = (action: "start" | "stop" | "restart", label: string, cls = "") =>
      html`<button class=${cls} ?disabled=${!!busy} aria-label="${label} ${p.name}" @click=${() => this.act(p, action)}>${busy === action ? `${label}…` : label}</button>`;
    return html`<li class="card">
      <div class="head">
        <h2><a href=${href({ name: "persona", id: p.id, tab: "chat", arg: null })}>${p.name}</a></h2>
        <et-status .persona=${p}></et-status>
      </div>
      ${p.status === "sick" && p.status_reason ? html`<p class="reason">Why: ${p.status_reason}</p>` : nothing}
      <dl>
        <dt>Thinks with</dt>
        <dd>${t ? `${t.model} (${t.provider})` : "—"}</dd>
        <dt>Status</dt>
        <dd>${p.status}${p.running ? `, ${p.phase ?? "running"}` : `, ${p.state}`}</dd>
        <dt>Since</dt>
        <dd>${p.birthday}</dd>
      </dl>
      <div class="actions">
        ${p.running ? button("stop", "Stop") : button("start", "Start", "primary")}
        ${button("restart", "Restart")}
        <a class="button" href=${href({ name: "persona", id: p.id, tab: "chat", arg: null })}>Chat</a>
      </div>
      ${this.failures.get(p.id) ? html`<et-notice .message=${this.failures.get(p.id)!}></et-notice>` : nothing}
    </li>`;
  }

  render() {
    if (this.error) return html`<et-notice heading="The personas could not be listed." .message=${this.error} retry></et-notice>`;
    if (!this.loaded) return html`<p role="status">Loading your personas…</p>`;
    if (!this.personas.length) {
      return html`<section class="empty card">
        <h1>No persona yet</h1>
        <p>A persona is a companion who lives on this machine: her memory is a folder of plain files, and a model is only the breath that thinks through her.</p>
        <p>To create one you need a model for her to think with: a local one through <strong>Ollama</strong>, any <strong>OpenAI-compatible</strong> server (LM Studio, llama.cpp, vLLM, OpenAI…), or <strong>Anthropic</strong>.</p>
        <div class="actions">
          <a class="button primary" href=${href({ name: "create" })}>Create your first persona</a>
          <a class="button" href=${href({ name: "restore" })}>Restore one from her diary</a>
        </div>
      </section>`;
    }
    return html`
      <div class="top">
        <h1>Your personas</h1>
        <div class="actions">
          <a class="button" href=${href({ name: "restore" })}>Restore from a diary</a>
          <a class="button primary" href=${href({ name: "create" })}>New persona</a>
        </div>
      </div>
      <ul>
        ${this.personas.map((p) => this.card(p))}
      </ul>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-persona-list": EtPersonaList;
  }
}
