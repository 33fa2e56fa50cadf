import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ChannelView, PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import type { ChannelKind } from "../lib/channels.js";
import { emit } from "../lib/events.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import { sectionStyles } from "./et-settings-section.js";
import "./et-notice.js";

declare module "../lib/events.js" {
  interface DashboardEvents {
    /** A channel was added to her (or its credentials replaced): the daemon's view of it, and when it was asked for (`performance.now()`). */
    "et-channel-added": { channel: ChannelView; asked: number };
  }
}

declare global {
  interface HTMLElementEventMap {
    "et-channel-added": CustomEvent<{ channel: ChannelView; asked: number }>;
  }
}

interface Refusal {
  /** The daemon's words for the whole form (a 400, or a 422 on no field shown). */
  general: string;
  /** A 422's words per credential key (and `type`). */
  fields: Record<string, string>;
}

const NO_REFUSAL: Refusal = { general: "", fields: {} };

/**
 * Adding a channel: a picker of the loaded channel plugins a persona can add (not the web,
 * which is always there), and a form made from what the chosen one declares — its labels,
 * secret fields hidden as they are typed, the required ones marked. The daemon checks the
 * credentials with the platform: its 400 is shown on the form, a 422 on the field it names.
 */
@customElement("et-channels-add")
export class EtChannelsAdd extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      form {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
      }
      .req {
        font-weight: 400;
        color: var(--text-muted);
      }
      .actions {
        display: flex;
        gap: var(--space-3);
        align-items: center;
        flex-wrap: wrap;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  /** The channel plugins she can be given. */
  @property({ attribute: false }) accessor kinds: ChannelKind[] = [];
  /** The channels she has (adding one of those replaces its credentials). */
  @property({ attribute: false }) accessor have: ChannelView[] = [];
  @state() accessor type = "";
  @state() accessor values: Record<string, string> = {};
  @state() accessor busy = false;
  @state() accessor refusal: Refusal = NO_REFUSAL;
  @state() accessor added = "";
  /** The channel the `added` line is about: it goes once a chat on it is paired (it said to pair one). */
  private addedType = "";

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | undefined;
    if (before && before.id !== this.persona.id) this.reset();
    // First the kinds she does not have yet: adding is more often that than replacing.
    if (!this.kinds.some((k) => k.name === this.type)) this.type = (this.kinds.find((k) => !this.have.some((c) => c.type === k.name)) ?? this.kinds[0])?.name ?? "";
    if (changed.has("have") && this.added && this.have.some((c) => c.type === this.addedType && c.verified)) this.added = "";
  }

  private reset(): void {
    this.values = {};
    this.refusal = NO_REFUSAL;
    this.added = "";
  }

  private get kind(): ChannelKind | undefined {
    return this.kinds.find((k) => k.name === this.type);
  }

  private pick(e: Event): void {
    this.type = (e.target as HTMLSelectElement).value;
    this.reset();
  }

  private set(key: string, value: string): void {
    this.values = { ...this.values, [key]: value };
    this.added = "";
    if (this.refusal.fields[key]) this.refusal = { ...this.refusal, fields: { ...this.refusal.fields, [key]: "" } };
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const kind = this.kind;
    if (!kind || this.busy) return;
    const credentials: Record<string, string> = {};
    // Trimmed (a pasted token often brings a space or a line end); an optional field left empty is not sent.
    for (const f of kind.credentials) if (this.values[f.key]?.trim()) credentials[f.key] = this.values[f.key]!.trim();
    this.busy = true;
    this.refusal = NO_REFUSAL;
    this.added = "";
    const asked = performance.now();
    try {
      const r = await api.post<{ channel: ChannelView }>(`/api/persona/${this.persona.id}/channels`, { type: kind.name, credentials });
      this.values = {};
      const pairing = kind.pairing && !r.channel.verified ? ` Write to her on ${kind.title}: she answers with a pairing code to enter below.` : "";
      this.added = `Added ${kind.title} as ${r.channel.name}.${pairing}`;
      this.addedType = kind.name;
      emit(this, "et-channel-added", { channel: r.channel, asked });
    } catch (err) {
      this.refusal = this.place(err, kind);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
    } finally {
      this.busy = false;
    }
  }

  /** A 422 on the fields it names (what names no field shown goes to the whole form); anything else on the form. */
  private place(err: unknown, kind: ChannelKind): Refusal {
    if (!(err instanceof ApiError) || typeof err.detail === "string") return { general: explain(err), fields: {} };
    const fields: Record<string, string> = {};
    for (const f of kind.credentials) {
      const words = err.field("credentials", f.key);
      if (words) fields[f.key] = words;
    }
    const type = err.field("type");
    if (type) fields.type = type;
    const placed = Object.keys(fields).length > 0;
    return { general: placed ? "" : explain(err), fields };
  }

  private field(f: ChannelKind["credentials"][number]) {
    const id = `cred-${f.key}`;
    const error = this.refusal.fields[f.key];
    const hint = f.secret ? `${id}-hint` : "";
    const described = [hint, error ? `${id}-error` : ""].filter(Boolean).join(" ");
    return html`<div class="field">
      <label for=${id}>${f.label}${f.required ? html` <span class="req">(required)</span>` : html` <span class="req">(optional)</span>`}</label>
      <input id=${id} type=${f.secret ? "password" : "text"} .value=${this.values[f.key] ?? ""} ?required=${f.required} aria-required=${f.required ? "true" : "false"}
        autocomplete=${f.secret ? "new-password" : "off"} spellcheck="false" ?disabled=${this.busy}
        aria-invalid=${error ? "true" : "false"} aria-describedby=${described || nothing}
        @input=${(e: Event) => this.set(f.key, (e.target as HTMLInputElement).value)} />
      ${f.secret ? html`<span class="hint" id=${hint}>Kept in her secrets.json only; never shown again.</span>` : nothing}
      ${error ? html`<span class="error" id="${id}-error">${error}</span>` : nothing}
    </div>`;
  }

  render() {
    const kind = this.kind;
    const has = kind && this.have.some((c) => c.type === kind.name);
    const plugins = href({ name: "plugins" });
    return html`<section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Add a channel</h2>
      ${this.kinds.length
        ? html`<p class="intro">Another way to talk with her. The daemon checks what you give with the platform before anything is kept.</p>
            <form @submit=${this.submit} novalidate aria-busy=${this.busy ? "true" : "false"}>
              <div class="field">
                <label for="type">Channel</label>
                <select id="type" .value=${this.type} ?disabled=${this.busy} @change=${this.pick}
                  aria-invalid=${this.refusal.fields.type ? "true" : "false"} aria-describedby=${this.refusal.fields.type ? "type-error" : nothing}>
                  ${this.kinds.map((k) => html`<option value=${k.name} ?selected=${k.name === this.type}>${k.title}${this.have.some((c) => c.type === k.name) ? " (she has it: replace its credentials)" : ""}</option>`)}
                </select>
                ${this.refusal.fields.type ? html`<span class="error" id="type-error">${this.refusal.fields.type}</span>` : nothing}
              </div>
              ${kind?.credentials.map((f) => this.field(f))}
              ${this.refusal.general ? html`<et-notice heading=${`${kind?.title ?? "The channel"} could not be added.`} .message=${this.refusal.general}></et-notice>` : nothing}
              <div class="actions">
                <button class="primary" type="submit" ?disabled=${!kind || this.busy}>${this.busy ? "Checking with the platform…" : has ? `Replace ${kind!.title}'s credentials` : `Add ${kind?.title ?? "it"}`}</button>
                <span class="done" role="status">${this.added}</span>
              </div>
            </form>`
        : html`<p class="intro">No channel plugin but the web is loaded, so there is nothing to add. <a href=${plugins}>Plugins and capabilities</a> lists what the daemon found, and why a plugin did not load.</p>`}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-channels-add": EtChannelsAdd;
  }
}
