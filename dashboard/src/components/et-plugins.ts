import { LitElement, css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { controls } from "../styles/tokens.js";
import "./et-notice.js";
import "./et-plugins-capabilities.js";
import type { Capability } from "./et-plugins-capabilities.js";
import "./et-plugins-card.js";
import type { PluginInfo } from "./et-plugins-card.js";

const GROUPS = [
  { kind: "model", title: "Models", what: "Providers her organs can use: each says which organs it can fill." },
  { kind: "perception", title: "Perceptions", what: "Each reads some kinds of file, sometimes through one of her organs." },
  { kind: "channel", title: "Channels", what: "Ways to talk with her besides this page, and what each asks for." },
] as const;

/**
 * What this daemon can do, as its plugins declare it: every plugin found (a failed one first,
 * with why), what each declares, and which files can be taken in — by her, for a persona chosen.
 */
@customElement("et-plugins")
export class EtPlugins extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-5);
        max-width: 1040px;
      }
      header {
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
      }
      h1 {
        font-size: 28px;
      }
      h2 {
        font-size: var(--size-xl);
      }
      .intro {
        margin: 0;
        color: var(--text-muted);
        line-height: 1.6;
        max-width: 720px;
      }
      .count {
        margin: 0;
        font-weight: 600;
      }
      .count .bad {
        color: var(--danger);
      }
      section {
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
      }
      section.failed {
        padding: var(--space-4);
        border: 1px solid var(--danger);
        background: var(--danger-bg);
        border-radius: var(--radius-lg);
      }
      .grid {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(290px, 1fr));
        gap: var(--space-3);
      }
      .caps {
        padding: var(--space-5);
      }
      @media (max-width: 600px) {
        .caps {
          padding: var(--space-4) var(--space-3);
        }
        .grid {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ];

  @state() accessor plugins: PluginInfo[] | null = null;
  @state() accessor capabilities: Capability[] = [];
  @state() accessor personas: PersonaView[] = [];
  @state() accessor error = "";

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.error = "";
    try {
      const [plugins, caps, personas] = await Promise.all([
        api.get<{ plugins: PluginInfo[] }>("/api/plugins"),
        api.get<{ capabilities: Capability[] }>("/api/capabilities"),
        api.get<{ personas: PersonaView[] }>("/api/personas"),
      ]);
      this.plugins = plugins.plugins;
      this.capabilities = caps.capabilities;
      this.personas = personas.personas;
    } catch (err) {
      this.error = explain(err);
    }
  }

  render() {
    const head = html`<header>
      <h1>Plugins and capabilities</h1>
      <p class="intro">What this daemon can do comes from its plugins: model plugins are the providers of her organs, perception plugins let her take in files, channel plugins are ways to talk with her. They are found when the daemon starts — built in, and in the <code>plugins</code> folder of its home.</p>
    </header>`;
    if (this.error) return html`${head}<et-notice heading="The plugins could not be listed." .message=${this.error} retry @et-retry=${this.load}></et-notice>`;
    if (!this.plugins) return html`${head}<p class="hint" role="status">Reading the plugins…</p>`;
    const failed = this.plugins.filter((p) => p.state === "failed");
    const loaded = this.plugins.filter((p) => p.state === "loaded");
    return html`
      ${head}
      <p class="count">
        ${this.plugins.length} plugins: ${loaded.length} loaded${failed.length ? html`, <span class="bad">${failed.length} failed</span>` : nothing}.
      </p>
      ${failed.length
        ? html`<section class="failed" aria-labelledby="failed-title">
            <h2 id="failed-title">${failed.length === 1 ? "A plugin failed to load" : `${failed.length} plugins failed to load`}</h2>
            <p class="intro">The daemon runs without ${failed.length === 1 ? "it" : "them"}. Put right what each reason names, then restart the daemon.</p>
            <ul class="grid">
              ${failed.map((p) => html`<li><et-plugins-card .plugin=${p}></et-plugins-card></li>`)}
            </ul>
          </section>`
        : nothing}
      ${GROUPS.map(({ kind, title, what }) => {
        const mine = loaded.filter((p) => p.kind === kind);
        return html`<section aria-labelledby="${kind}-title">
          <h2 id="${kind}-title">${title}</h2>
          <p class="intro">${what}</p>
          ${mine.length
            ? html`<ul class="grid">
                ${mine.map((p) => html`<li><et-plugins-card .plugin=${p}></et-plugins-card></li>`)}
              </ul>`
            : html`<p class="hint">None loaded.</p>`}
        </section>`;
      })}
      <section class="caps card" aria-labelledby="caps-title">
        <h2 id="caps-title">Files she can take in</h2>
        <p class="intro">Each kind of file, the plugin that reads it and the organ it needs. Choose a persona to see which she can take in with her organs.</p>
        <et-plugins-capabilities .capabilities=${this.capabilities} .personas=${this.personas}></et-plugins-capabilities>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-plugins": EtPlugins;
  }
}
