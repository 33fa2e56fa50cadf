import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { OrganRole } from "eternego/plugin/shared";
import { bytes } from "../lib/format.js";
import { ROLE_TEXT } from "../lib/providers.js";
import { controls, facts } from "../styles/tokens.js";

/** One plugin as `GET /api/plugins` lists it. */
export interface PluginInfo {
  kind: "model" | "perception" | "channel" | null;
  name: string;
  version: string | null;
  builtin: boolean;
  state: "loaded" | "failed";
  error: string | null;
  declares: Record<string, unknown> | null;
}

interface ModelDeclares {
  title: string;
  default_url: string;
  needs_key: boolean;
  roles: OrganRole[];
}
interface PerceptionDeclares {
  extensions: string[];
  mime_types: string[];
  organ: OrganRole | null;
  max_bytes: number;
}
interface ChannelDeclares {
  title: string;
  credentials: { key: string; label: string; secret: boolean; required: boolean }[];
}

export const KIND_TITLE: Record<string, string> = { model: "Model", perception: "Perception", channel: "Channel" };

const role = (r: OrganRole | null) => (r ? ROLE_TEXT[r]?.title ?? r : "None");

/** A plugin: what it is, whether it loaded (and why not, prominently), and what it declares. */
@customElement("et-plugins-card")
export class EtPluginsCard extends LitElement {
  static styles = [
    controls,
    facts,
    css`
      :host {
        display: block;
      }
      article {
        padding: var(--space-4);
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
        height: 100%;
      }
      :host([failed]) article {
        border: 1px solid var(--danger);
        border-left-width: 5px;
      }
      .head {
        display: flex;
        gap: var(--space-2);
        align-items: baseline;
        flex-wrap: wrap;
      }
      h3 {
        font-family: var(--font-mono);
        font-size: var(--size-base);
        font-weight: 700;
        overflow-wrap: anywhere;
        margin-right: auto;
      }
      .version {
        font-size: var(--size-sm);
        color: var(--text-muted);
        font-family: var(--font-mono);
      }
      .tags {
        display: flex;
        gap: var(--space-1);
        flex-wrap: wrap;
      }
      .tag {
        font-size: 12px;
        font-weight: 600;
        padding: 1px var(--space-2);
        border-radius: 999px;
        border: 1px solid var(--border-strong);
        color: var(--text-muted);
        white-space: nowrap;
      }
      .tag.ok {
        border-color: var(--ok);
        color: var(--ok);
        background: var(--ok-bg);
      }
      .tag.bad {
        border-color: var(--danger);
        color: var(--text);
        background: var(--danger-bg);
      }
      .reason {
        margin: 0;
        padding: var(--space-2) var(--space-3);
        background: var(--danger-bg);
        border-radius: var(--radius-sm);
        font-family: var(--font-mono);
        font-size: var(--size-sm);
        line-height: 1.5;
        overflow-wrap: anywhere;
        white-space: pre-wrap;
      }
      ul.chips {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-wrap: wrap;
        gap: var(--space-1);
      }
      ul.chips li,
      code {
        font-family: var(--font-mono);
        font-size: 12px;
        padding: 0 var(--space-1);
        border-radius: 4px;
        background: var(--bg-recessed);
        border: 1px solid var(--border);
      }
      ul.fields {
        margin: 0;
        padding-left: var(--space-4);
      }
    `,
  ];

  @property({ attribute: false }) accessor plugin!: PluginInfo;
  @property({ type: Boolean, reflect: true }) accessor failed = false;

  protected willUpdate(): void {
    this.failed = this.plugin?.state === "failed";
  }

  private declared() {
    const p = this.plugin;
    const d = p.declares;
    if (!d) return nothing;
    if (p.kind === "model") {
      const m = d as unknown as ModelDeclares;
      return html`<dl>
        <dt>Title</dt><dd>${m.title}</dd>
        <dt>Default URL</dt><dd><code>${m.default_url}</code></dd>
        <dt>Key</dt><dd>${m.needs_key ? "Needs an API key" : "No key needed"}</dd>
        <dt>Organs</dt><dd>${m.roles.map(role).join(", ")}</dd>
      </dl>`;
    }
    if (p.kind === "perception") {
      const c = d as unknown as PerceptionDeclares;
      return html`<dl>
        <dt>Files</dt><dd><ul class="chips" aria-label="Extensions">${c.extensions.map((e) => html`<li>${e}</li>`)}</ul></dd>
        <dt>Needs</dt><dd>${c.organ ? `A ${role(c.organ).toLowerCase()} organ` : "No organ"}</dd>
        <dt>Largest file</dt><dd>${bytes(c.max_bytes)}</dd>
      </dl>`;
    }
    const ch = d as unknown as ChannelDeclares;
    return html`<dl>
      <dt>Title</dt><dd>${ch.title}</dd>
      <dt>Credentials</dt>
      <dd>
        ${ch.credentials.length
          ? html`<ul class="fields">
              ${ch.credentials.map((f) => html`<li>${f.label} <code>${f.key}</code>${f.secret ? ", secret" : ""}${f.required ? "" : ", optional"}</li>`)}
            </ul>`
          : "None: nothing to set up"}
      </dd>
    </dl>`;
  }

  render() {
    const p = this.plugin;
    return html`<article class="card" aria-labelledby="name">
      <div class="head">
        <h3 id="name">${p.name}</h3>
        ${p.version ? html`<span class="version">v${p.version}</span>` : nothing}
      </div>
      <div class="tags">
        ${p.state === "failed" ? html`<span class="tag bad">Failed</span>` : html`<span class="tag ok">Loaded</span>`}
        <span class="tag">${p.kind ? KIND_TITLE[p.kind] : "Unknown kind"}</span>
        <span class="tag">${p.builtin ? "Built in" : "Added"}</span>
      </div>
      ${p.state === "failed" ? html`<p class="reason"><span class="sr-only">Why it failed: </span>${p.error ?? "It did not say why."}</p>` : nothing}
      ${this.declared()}
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-plugins-card": EtPluginsCard;
  }
}
