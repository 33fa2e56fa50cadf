import { LitElement, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import type { PersonaChangedEvent, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { Connection, type LinkState } from "../lib/connection.js";
import type { DashboardEvent } from "../lib/events.js";
import { href, parse, type Place } from "../lib/router.js";
import { applyTheme, followOtherTabs, savedTheme, type Theme } from "../lib/theme.js";
import { appStyles } from "./et-app.styles.js";
import "./et-create-persona.js";
import "./et-notice.js";
import "./et-persona-list.js";
import "./et-persona-page.js";
import "./et-status.js";
import "./et-theme-picker.js";

/**
 * The dashboard's shell: the one connection to the daemon, the list of personas (kept up to
 * date by `persona:changed`), where the page is (the URL), the theme, and the screen for
 * that place. Everything it shows comes from the public API.
 */
@customElement("et-app")
export class EtApp extends LitElement {
  static styles = appStyles;

  readonly connection = new Connection();
  @state() accessor place: Place = parse(location.hash);
  @state() accessor personas: PersonaView[] = [];
  @state() accessor loaded = false;
  @state() accessor loadError = "";
  @state() accessor link: LinkState = "connecting";
  @state() accessor theme: Theme = savedTheme();
  @state() accessor notice: { text: string; tone: "error" | "info" } | null = null;
  @state() accessor menuOpen = false;
  private undo: (() => void)[] = [];

  connectedCallback(): void {
    super.connectedCallback();
    applyTheme(this.theme, false);
    const onHash = () => {
      this.place = parse(location.hash);
      this.menuOpen = false;
    };
    window.addEventListener("hashchange", onHash);
    const onState = () => (this.link = this.connection.state);
    this.connection.addEventListener("state", onState);
    this.undo.push(
      () => window.removeEventListener("hashchange", onHash),
      () => this.connection.removeEventListener("state", onState),
      followOtherTabs((t) => (this.theme = t)),
      this.connection.on("persona:changed", (e) => this.changed(e)),
      this.connection.onResync(() => void this.load()),
    );
    void this.load();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const u of this.undo) u();
  }

  private async load(): Promise<void> {
    try {
      this.personas = (await api.get<{ personas: PersonaView[] }>("/api/personas")).personas;
      this.loadError = "";
    } catch (err) {
      this.loadError = explain(err);
    } finally {
      this.loaded = true;
    }
  }

  /** A persona changed anywhere (this page, another tab, a script): the list follows. */
  private changed(e: PersonaChangedEvent): void {
    if (e.change === "deleted" || !e.persona) {
      this.personas = this.personas.filter((p) => p.id !== e.id);
      return;
    }
    const at = this.personas.findIndex((p) => p.id === e.id);
    this.personas = at < 0 ? [...this.personas, e.persona] : this.personas.map((p) => (p.id === e.id ? e.persona! : p));
  }

  private onTheme(e: DashboardEvent<"et-theme">): void {
    this.theme = e.detail.theme;
    applyTheme(this.theme);
  }

  private onNotice(e: DashboardEvent<"et-notice">): void {
    this.notice = e.detail;
  }

  private screen() {
    const p = this.place;
    if (p.name === "personas") {
      return html`<et-persona-list .personas=${this.personas} .loaded=${this.loaded} .error=${this.loadError} @et-retry=${() => this.load()}></et-persona-list>`;
    }
    if (p.name === "create") return html`<et-create-persona .connection=${this.connection}></et-create-persona>`;
    if (p.name === "restore") {
      void import("./et-restore-persona.js").catch(() => {});
      return html`<et-restore-persona></et-restore-persona>`;
    }
    if (p.name === "plugins") {
      // Fetched the first time it is opened; the link banner says so when the daemon is away.
      void import("./et-plugins.js").catch(() => {});
      return html`<et-plugins></et-plugins>`;
    }
    if (p.name === "persona") {
      const persona = this.personas.find((x) => x.id === p.id);
      if (!persona) {
        if (!this.loaded) return html`<p class="loading" role="status">Loading…</p>`;
        return html`<section class="missing"><h1>No persona here</h1><p>There is no persona with the id <code>${p.id}</code> on this daemon. She may have been deleted.</p><a class="button" href=${href({ name: "personas" })}>See your personas</a></section>`;
      }
      return html`<et-persona-page .persona=${persona} .tab=${p.tab} .arg=${p.arg} .connection=${this.connection}></et-persona-page>`;
    }
    return html`<section class="missing"><h1>Nothing here</h1><p>This dashboard has no page at <code>${p.path}</code>.</p><a class="button" href=${href({ name: "personas" })}>See your personas</a></section>`;
  }

  render() {
    const current = this.place.name === "persona" ? this.place.id : null;
    return html`
      <a class="skip" href="#main" @click=${(e: Event) => (e.preventDefault(), this.renderRoot.querySelector<HTMLElement>("#main")?.focus())}>Skip to content</a>
      <header>
        <button class="menu quiet" aria-label="Menu" aria-expanded=${this.menuOpen ? "true" : "false"} aria-controls="nav" @click=${() => (this.menuOpen = !this.menuOpen)}>☰</button>
        <a class="brand" href=${href({ name: "personas" })}>Eternego</a>
        <span class="link" role="status" aria-live="polite">${this.link === "online" ? nothing : html`<span class="badge ${this.link}">${this.link === "connecting" ? "Connecting…" : "Reconnecting…"}</span>`}</span>
        <et-theme-picker .theme=${this.theme} @et-theme=${this.onTheme}></et-theme-picker>
      </header>
      <div class="body">
        <nav id="nav" aria-label="Personas" class=${this.menuOpen ? "open" : ""}>
          <h2>Personas</h2>
          <ul>
            ${this.personas.map(
              (p) => html`<li>
                <a href=${href({ name: "persona", id: p.id, tab: "chat", arg: null })} aria-current=${current === p.id ? "page" : "false"}>
                  <span class="name">${p.name}</span>
                  <et-status .persona=${p}></et-status>
                </a>
              </li>`,
            )}
          </ul>
          <a class="button primary new" href=${href({ name: "create" })}>New persona</a>
          <a class="aside" href=${href({ name: "restore" })} aria-current=${this.place.name === "restore" ? "page" : "false"}>Restore from a diary</a>
          <a class="aside" href=${href({ name: "plugins" })} aria-current=${this.place.name === "plugins" ? "page" : "false"}>Plugins and capabilities</a>
        </nav>
        <main id="main" tabindex="-1" @et-notice=${this.onNotice} @et-persona-changed=${() => this.load()}>
          ${this.notice ? html`<et-notice .message=${this.notice.text} tone=${this.notice.tone} @click=${() => (this.notice = null)}></et-notice>` : nothing}
          ${this.screen()}
        </main>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-app": EtApp;
  }
}
