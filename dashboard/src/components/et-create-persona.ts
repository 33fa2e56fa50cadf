import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { OrganProgressEvent, OrganRole, PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import type { Connection } from "../lib/connection.js";
import { emit, type DashboardEvent, type OrganInput } from "../lib/events.js";
import { bytes } from "../lib/format.js";
import { ROLES, providers, type Provider } from "../lib/providers.js";
import { go } from "../lib/router.js";
import { controls, formPage } from "../styles/tokens.js";
import "./et-notice.js";
import "./et-organ-field.js";
import "./et-recovery-phrase.js";

type OrganErrors = { organ?: string | null; model?: string | null; url?: string | null; api_key?: string | null; provider?: string | null };

/** The daemon's refusal, put on the field or organ it concerns (what names no field is shown above the button). */
export function placeErrors(err: unknown): { name: string | null; organs: Partial<Record<OrganRole, OrganErrors>>; general: string | null } {
  const out: ReturnType<typeof placeErrors> = { name: null, organs: {}, general: null };
  if (err instanceof ApiError && Array.isArray(err.detail)) {
    const rest: string[] = [];
    for (const f of err.detail) {
      const [, where, role, field] = f.loc.map(String);
      if (where === "name") out.name = f.msg;
      else if (where === "organs" && (ROLES as readonly string[]).includes(role!)) {
        const o = (out.organs[role as OrganRole] ??= {});
        const key = (["model", "url", "api_key", "provider"] as const).find((k) => k === field) ?? "organ";
        o[key] = f.msg;
      } else rest.push(f.msg);
    }
    out.general = rest.length ? rest.join("; ") : null;
    return out;
  }
  const text = explain(err);
  const organ = /^Organ '(thinking|vision|hearing|frontier)'/.exec(text)?.[1] as OrganRole | undefined;
  if (organ) out.organs[organ] = { organ: text };
  else out.general = text;
  return out;
}

/**
 * A new persona: her name and her organs (providers from the daemon), a live view of long
 * preparation (a model being pulled), the daemon's refusals on the fields they concern — and
 * then her recovery phrase, which must be kept before going on.
 */
@customElement("et-create-persona")
export class EtCreatePersona extends LitElement {
  static styles = [
    controls,
    formPage,
    css`
      .name {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        max-width: 360px;
      }
      .row {
        display: flex;
        gap: var(--space-3);
        align-items: center;
        flex-wrap: wrap;
      }
      progress {
        width: 100%;
        height: 10px;
        accent-color: var(--accent);
      }
      .progress {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        padding: var(--space-3) var(--space-4);
      }
    `,
  ];

  @property({ attribute: false }) accessor connection: Connection | null = null;
  @state() accessor available: Record<string, Provider> = {};
  @state() accessor loadError = "";
  @state() accessor name = "";
  @state() accessor organs: Partial<Record<OrganRole, OrganInput | null>> = {};
  @state() accessor errors: ReturnType<typeof placeErrors> = { name: null, organs: {}, general: null };
  @state() accessor busy = false;
  @state() accessor progress: OrganProgressEvent | null = null;
  @state() accessor created: { persona: PersonaView; phrase: string } | null = null;
  private undo: (() => void) | null = null;

  connectedCallback(): void {
    super.connectedCallback();
    void this.loadProviders();
    // A model pull while she is being created has no persona yet: it is broadcast to every page.
    this.undo = this.connection?.on("organ:progress", (e) => this.busy && e.persona === null && (this.progress = e)) ?? null;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.undo?.();
  }

  private async loadProviders(): Promise<void> {
    try {
      this.available = await providers();
      this.loadError = "";
    } catch (err) {
      this.loadError = explain(err);
    }
  }

  private onOrgan(e: DashboardEvent<"et-organ">): void {
    this.organs = { ...this.organs, [e.detail.role]: e.detail.spec };
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    this.busy = true;
    this.progress = null;
    this.errors = { name: null, organs: {}, general: null };
    const organs = Object.fromEntries(Object.entries(this.organs).filter(([, v]) => v)) as Record<string, OrganInput>;
    try {
      const r = await api.post<{ persona: PersonaView; recovery_phrase: string }>("/api/persona/create", { name: this.name.trim(), organs });
      this.created = { persona: r.persona, phrase: r.recovery_phrase };
      emit(this, "et-persona-changed", { id: r.persona.id });
    } catch (err) {
      this.errors = placeErrors(err);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"], .general')?.focus?.();
    } finally {
      this.busy = false;
    }
  }

  render() {
    if (this.created) {
      return html`<et-recovery-phrase .name=${this.created.persona.name} .personaId=${this.created.persona.id} .phrase=${this.created.phrase}
        @et-phrase-kept=${() => go({ name: "persona", id: this.created!.persona.id, tab: "chat", arg: null })}></et-recovery-phrase>`;
    }
    if (this.loadError) return html`<et-notice heading="The providers could not be listed." .message=${this.loadError} retry @et-retry=${this.loadProviders}></et-notice>`;
    const p = this.progress;
    return html`<form @submit=${this.submit} @et-organ=${this.onOrgan} aria-busy=${this.busy ? "true" : "false"} novalidate>
      <h1>A new persona</h1>
      <p class="intro">Give her a name and a model to think with. The other organs are optional: she can see pictures, hear voice notes and learn new kinds of tasks when you give her one.</p>
      <div class="name">
        <label for="name">Name</label>
        <input id="name" .value=${this.name} required maxlength="80" autocomplete="off" @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
          aria-invalid=${this.errors.name ? "true" : "false"} aria-describedby=${this.errors.name ? "name-error" : nothing} />
        ${this.errors.name ? html`<span class="error" id="name-error">${this.errors.name}</span>` : nothing}
      </div>
      ${ROLES.map((role) => html`<et-organ-field .role=${role} ?optional=${role !== "thinking"} .providers=${this.available} .errors=${this.errors.organs[role] ?? {}}></et-organ-field>`)}
      ${this.busy
        ? html`<div class="progress card" role="status" aria-live="polite">
            <span>${p ? `${p.model}: ${p.status}${p.total ? ` — ${bytes(p.completed ?? 0)} of ${bytes(p.total)}` : ""}` : "Preparing her organs (checking each model is there)…"}</span>
            ${p?.total ? html`<progress max=${p.total} .value=${p.completed ?? 0} aria-label="Model download"></progress>` : html`<progress aria-label="Preparing"></progress>`}
          </div>`
        : nothing}
      ${this.errors.general ? html`<et-notice class="general" tabindex="-1" .message=${this.errors.general}></et-notice>` : nothing}
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.busy || !this.name.trim() || !this.organs.thinking?.model}>${this.busy ? "Creating…" : "Create her"}</button>
        <span class="hint">Her folder is created, her organs are checked, and she starts.</span>
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-create-persona": EtCreatePersona;
  }
}
