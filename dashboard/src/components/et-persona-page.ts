import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import type { Connection } from "../lib/connection.js";
import { emit } from "../lib/events.js";
import { href, type Tab } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-chat.js";
import "./et-notice.js";
import "./et-status.js";

/**
 * The screens other than chat, each its own file fetched the first time its tab is opened:
 * the page a person lands on (her chat) comes without the code of the other five.
 */
const LATER: Partial<Record<Tab, () => Promise<unknown>>> = {
  knowledge: () => import("./et-knowledge.js"),
  calendar: () => import("./et-calendar.js"),
  channels: () => import("./et-channels.js"),
  settings: () => import("./et-settings.js"),
  health: () => import("./et-health.js"),
  feed: () => import("./et-feed.js"),
};

const TAB_TITLES: Record<Tab, string> = {
  chat: "Chat",
  knowledge: "Knowledge",
  calendar: "Calendar",
  channels: "Channels",
  settings: "Organs and status",
  health: "Health",
  feed: "Feed",
};

/** One persona: who she is and how, her screens as tabs (each its own link), and a way back when she is sick. */
@customElement("et-persona-page")
export class EtPersonaPage extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        max-width: 1040px;
      }
      .title {
        display: flex;
        align-items: baseline;
        gap: var(--space-3);
        flex-wrap: wrap;
      }
      h1 {
        font-size: 28px;
        overflow-wrap: anywhere;
      }
      nav ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        gap: var(--space-1);
        border-bottom: 1px solid var(--border);
        overflow-x: auto;
      }
      nav a {
        display: block;
        padding: var(--space-2) var(--space-3);
        color: var(--text-muted);
        text-decoration: none;
        font-weight: 600;
        border-bottom: 3px solid transparent;
        white-space: nowrap;
      }
      nav a:hover {
        color: var(--text);
      }
      nav a[aria-current="page"] {
        color: var(--text);
        border-bottom-color: var(--accent);
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  @property() accessor tab: Tab = "chat";
  @property() accessor arg: string | null = null;
  @property({ attribute: false }) accessor connection: Connection | null = null;
  @state() accessor starting = false;
  @state() accessor startError = "";
  /** Why a screen's code could not be fetched (the daemon was updated since the page loaded, or went away). */
  @state() accessor screenError = "";
  private readonly fetched = new Set<Tab>();

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has("tab") && !this.fetched.has(this.tab)) void this.fetch(this.tab);
  }

  private async fetch(tab: Tab): Promise<void> {
    const load = LATER[tab];
    if (!load) return;
    this.screenError = "";
    try {
      await load();
      this.fetched.add(tab);
    } catch {
      if (this.tab === tab) this.screenError = `The ${TAB_TITLES[tab]} screen could not be fetched from the daemon: it may have been updated or stopped since this page opened. Reload the page.`;
    }
  }

  private async start(): Promise<void> {
    this.starting = true;
    this.startError = "";
    try {
      await api.post(`/api/persona/${this.persona.id}/start`);
      emit(this, "et-persona-changed", { id: this.persona.id });
    } catch (err) {
      this.startError = explain(err);
    } finally {
      this.starting = false;
    }
  }

  private content() {
    const p = this.persona;
    if (this.screenError) return html`<et-notice .message=${this.screenError}></et-notice>`;
    switch (this.tab) {
      case "chat":
        return html`<et-chat .persona=${p} .day=${this.arg} .connection=${this.connection}></et-chat>`;
      case "knowledge":
        return html`<et-knowledge .persona=${p} .file=${this.arg} .connection=${this.connection}></et-knowledge>`;
      case "calendar":
        return html`<et-calendar .persona=${p} .month=${this.arg} .connection=${this.connection}></et-calendar>`;
      case "channels":
        return html`<et-channels .persona=${p} .connection=${this.connection}></et-channels>`;
      case "settings":
        return html`<et-settings .persona=${p} .connection=${this.connection}></et-settings>`;
      case "health":
        return html`<et-health .persona=${p} .connection=${this.connection}></et-health>`;
      case "feed":
        return html`<et-feed .persona=${p} .connection=${this.connection}></et-feed>`;
    }
  }

  render() {
    const p = this.persona;
    return html`
      <div class="title">
        <h1>${p.name}</h1>
        <et-status .persona=${p}></et-status>
      </div>
      ${p.status === "sick" && this.tab !== "settings"
        ? html`<et-notice heading="${p.name} is sick and has stopped." .message=${p.status_reason ?? "Her thinking organ kept failing."}>
            <p class="hint">Put her thinking organ right (Organs and status), then start her again; she answers what waited.</p>
            <button class="primary" ?disabled=${this.starting} @click=${this.start}>${this.starting ? "Starting…" : "Start her again"}</button>
          </et-notice>`
        : nothing}
      ${this.startError ? html`<et-notice .message=${this.startError}></et-notice>` : nothing}
      <nav aria-label="${p.name}">
        <ul>
          ${(Object.keys(TAB_TITLES) as Tab[]).map(
            (t) => html`<li><a href=${href({ name: "persona", id: p.id, tab: t, arg: null })} aria-current=${t === this.tab ? "page" : "false"}>${TAB_TITLES[t]}</a></li>`,
          )}
        </ul>
      </nav>
      ${this.content()}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-persona-page": EtPersonaPage;
  }
}
