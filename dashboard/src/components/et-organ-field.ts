import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { OrganRole, OrganView } from "eternego/plugin/shared";
import { emit, type OrganInput } from "../lib/events.js";
import { MODEL_FILE, ROLE_TEXT, inProcess, type Provider } from "../lib/providers.js";
import { controls } from "../styles/tokens.js";

let uid = 0;

/**
 * One organ: which provider (and service, for a provider that speaks to several), the model,
 * the URL and the key. An optional organ has a switch. On an existing persona the key field
 * says a key is kept, and an empty field keeps it. Errors the daemon gave for this organ are
 * shown on it. A provider that runs inside the daemon (the embedded engine) has no URL: its
 * model is a .gguf file or a link to fetch, and its presets are models to fetch.
 */
@customElement("et-organ-field")
export class EtOrganField extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
      }
      fieldset {
        border: 1px solid var(--border);
        border-radius: var(--radius-md);
        padding: var(--space-4);
        margin: 0;
        display: grid;
        gap: var(--space-3);
        grid-template-columns: repeat(2, minmax(0, 1fr));
        background: var(--bg-elev);
      }
      fieldset[aria-invalid="true"] {
        border-color: var(--danger);
      }
      legend {
        font-weight: 700;
        padding: 0 var(--space-2);
      }
      .wide {
        grid-column: 1 / -1;
      }
      .switch {
        display: flex;
        gap: var(--space-2);
        align-items: center;
        font-weight: 600;
      }
      .switch input {
        width: auto;
        min-height: 0;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
      }
      @media (max-width: 600px) {
        fieldset {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ];

  @property() accessor role: OrganRole = "thinking";
  @property({ type: Boolean }) accessor optional = false;
  @property({ attribute: false }) accessor providers: Record<string, Provider> = {};
  /** What she has now (on an existing persona). */
  @property({ attribute: false }) accessor current: OrganView | null = null;
  /** The daemon's words about this organ: the whole organ, or one of its fields. */
  @property({ attribute: false }) accessor errors: { organ?: string | null; model?: string | null; url?: string | null; api_key?: string | null; provider?: string | null } = {};

  @state() accessor on = false;
  @state() accessor provider = "";
  @state() accessor preset = "";
  @state() accessor model = "";
  @state() accessor url = "";
  @state() accessor key = "";
  private readonly uid = `organ-${++uid}`;
  private started = false;

  protected willUpdate(changed: Map<string, unknown>): void {
    const names = Object.keys(this.providers).filter((n) => this.providers[n]!.roles.includes(this.role));
    if (!this.started && names.length) {
      this.started = true;
      const c = this.current;
      this.on = !this.optional || !!c;
      this.provider = c?.provider && names.includes(c.provider) ? c.provider : names.includes("ollama") ? "ollama" : names[0]!;
      this.model = c?.model ?? "";
      this.url = c?.url ?? "";
      this.preset = this.presetFor(this.provider, this.url, this.model);
      this.send();
    }
    if (changed.has("current") && this.current && this.started) this.model ||= this.current.model;
  }

  private presetFor(provider: string, url: string, model: string): string {
    const p = this.providers[provider];
    // For an in-process provider a preset is a model file: it is told by the model, not the URL.
    const key = inProcess(p) ? model : url;
    return p?.presets.find((x) => x.url === key)?.name ?? "";
  }

  private get needsKey(): boolean {
    const p = this.providers[this.provider];
    const preset = p?.presets.find((x) => x.name === this.preset);
    return preset ? preset.needs_key : !!p?.needs_key;
  }

  /** The organ as it now stands, for the form that holds it. */
  get value(): OrganInput | null {
    if (!this.on) return null;
    const withUrl = !inProcess(this.providers[this.provider]) && this.url.trim();
    return {
      provider: this.provider,
      model: this.model.trim(),
      ...(withUrl ? { url: this.url.trim() } : {}),
      ...(this.key ? { api_key: this.key } : {}),
    };
  }

  private send(): void {
    emit(this, "et-organ", { role: this.role, spec: this.value });
  }

  private set<K extends "provider" | "preset" | "model" | "url" | "key">(k: K, v: string): void {
    this[k] = v;
    if (k === "provider") {
      this.preset = "";
      this.url = "";
    }
    if (k === "preset") {
      const p = this.providers[this.provider];
      const picked = p?.presets.find((x) => x.name === v)?.url ?? "";
      if (inProcess(p)) this.model = picked;
      else this.url = picked;
    }
    if (k === "model" && inProcess(this.providers[this.provider])) this.preset = this.presetFor(this.provider, "", v);
    this.send();
  }

  render() {
    const names = Object.keys(this.providers).filter((n) => this.providers[n]!.roles.includes(this.role));
    const text = ROLE_TEXT[this.role];
    const p = this.providers[this.provider];
    const local = inProcess(p);
    const e = this.errors;
    const field = (key: string, label: string, input: unknown, hint?: string, error?: string | null) =>
      html`<div class="field ${local && (key === "model" || key === "preset") ? "wide" : ""}">
        <label for="${this.uid}-${key}">${label}</label>
        ${input}
        ${hint ? html`<span class="hint" id="${this.uid}-${key}-hint">${hint}</span>` : nothing}
        ${error ? html`<span class="error" id="${this.uid}-${key}-error">${error}</span>` : nothing}
      </div>`;
    const described = (key: string, hint: boolean, error?: string | null) => [hint ? `${this.uid}-${key}-hint` : "", error ? `${this.uid}-${key}-error` : ""].filter(Boolean).join(" ") || nothing;
    return html`<fieldset aria-invalid=${e.organ ? "true" : "false"} aria-describedby=${e.organ ? `${this.uid}-organ-error` : nothing}>
      <legend>${text.title}</legend>
      <p class="hint wide">${text.what}</p>
      ${this.optional
        ? html`<label class="switch wide"><input type="checkbox" .checked=${this.on} @change=${(ev: Event) => ((this.on = (ev.target as HTMLInputElement).checked), this.send())} /> Give her a ${text.title.toLowerCase()} organ</label>`
        : nothing}
      ${this.on
        ? html`
            ${field(
              "provider",
              "Provider",
              html`<select id="${this.uid}-provider" .value=${this.provider} @change=${(ev: Event) => this.set("provider", (ev.target as HTMLSelectElement).value)} aria-invalid=${e.provider ? "true" : "false"} aria-describedby=${described("provider", false, e.provider)}>
                ${names.map((n) => html`<option value=${n} ?selected=${n === this.provider}>${this.providers[n]!.title}</option>`)}
              </select>`,
              undefined,
              e.provider,
            )}
            ${p?.presets.length
              ? field(
                  "preset",
                  local ? "Suggested model" : "Service",
                  html`<select id="${this.uid}-preset" .value=${this.preset} @change=${(ev: Event) => this.set("preset", (ev.target as HTMLSelectElement).value)} aria-describedby=${described("preset", local)}>
                    <option value="" ?selected=${!this.preset}>${local ? "My own file or link (below)" : "Another server (give its URL)"}</option>
                    ${p.presets.map((x) => html`<option value=${x.name} ?selected=${x.name === this.preset}>${x.title}</option>`)}
                  </select>`,
                  local ? "Fetched once into the daemon's models folder when she is made, with its progress shown; every persona naming it shares it." : undefined,
                )
              : nothing}
            ${field(
              "model",
              "Model",
              html`<input id="${this.uid}-model" .value=${this.model} required autocomplete="off" spellcheck="false"
                placeholder=${local ? MODEL_FILE.placeholder : this.provider === "ollama" ? "llama3.2" : this.provider === "anthropic" ? "claude-sonnet-4-5" : "gpt-4o-mini"}
                @input=${(ev: Event) => this.set("model", (ev.target as HTMLInputElement).value)} aria-invalid=${e.model ? "true" : "false"} aria-describedby=${described("model", local, e.model)} />`,
              local ? MODEL_FILE.hint : undefined,
              e.model,
            )}
            ${local
              ? nothing
              : field(
                  "url",
                  "URL",
                  html`<input id="${this.uid}-url" type="url" .value=${this.url} autocomplete="off" spellcheck="false" placeholder=${p?.url ?? ""}
                    @input=${(ev: Event) => this.set("url", (ev.target as HTMLInputElement).value)} aria-invalid=${e.url ? "true" : "false"} aria-describedby=${described("url", true, e.url)} />`,
                  `Empty: ${p?.url ?? "the provider's default"}`,
                  e.url,
                )}
            ${field(
              "key",
              this.needsKey ? "API key" : local ? "Token (only for a download that needs one)" : "API key (if the server needs one)",
              html`<input id="${this.uid}-key" type="password" .value=${this.key} autocomplete="off" ?required=${this.needsKey && !this.current?.has_key}
                placeholder=${this.current?.has_key ? "A key is kept; leave empty to keep it" : ""}
                @input=${(ev: Event) => this.set("key", (ev.target as HTMLInputElement).value)} aria-invalid=${e.api_key ? "true" : "false"} aria-describedby=${described("key", true, e.api_key)} />`,
              this.current?.has_key ? "Kept in her secrets.json only, never shown. Type a new one to replace it." : "Kept in her secrets.json only, never shown again.",
              e.api_key,
            )}
            ${e.organ ? html`<p class="error wide" id="${this.uid}-organ-error" role="alert">${e.organ}</p>` : nothing}
          `
        : nothing}
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-organ-field": EtOrganField;
  }
}
