import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { keyed } from "lit/directives/keyed.js";
import type { OrganProgressEvent, OrganRole, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import { emit, type DashboardEvent } from "../lib/events.js";
import { bytes } from "../lib/format.js";
import { ROLES, ROLE_TEXT, providers, type Provider } from "../lib/providers.js";
import { complete, describeChanges, organChanges, type WantedOrgans } from "../lib/settings.js";
import { controls } from "../styles/tokens.js";
import { placeErrors } from "./et-create-persona.js";
import { sectionStyles } from "./et-settings-section.js";
import "./et-notice.js";
import "./et-organ-field.js";

const NO_ERRORS: ReturnType<typeof placeErrors> = { name: null, organs: {}, general: null };

/**
 * Her organs as she has them, to change: another model (the stored key is kept unless a new
 * one is typed), another provider, an optional organ added or taken away. Only what changed
 * is sent; the daemon prepares it (a model may be pulled, shown as it goes) and a running
 * persona restarts with it. A refusal is shown on the organ it names.
 */
@customElement("et-settings-organs")
export class EtSettingsOrgans extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      form {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
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
        background: var(--bg-recessed);
        border-radius: var(--radius-md);
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  @property({ attribute: false }) accessor connection: Connection | undefined = undefined;
  @state() accessor available: Record<string, Provider> = {};
  @state() accessor loadError = "";
  /** The organs the fields were made from; they are made again when she changes (here or elsewhere). */
  @state() accessor have: PersonaView["organs"] = {};
  @state() accessor generation = 0;
  @state() accessor wanted: WantedOrgans = {};
  @state() accessor errors = NO_ERRORS;
  @state() accessor busy = false;
  @state() accessor progress: OrganProgressEvent | null = null;
  @state() accessor saved = "";
  private haveJson = "";
  private readonly subs = new Subscriptions(this, (c) =>
    this.persona
      ? [c.watch(this.persona.id), c.on("organ:progress", (e) => this.busy && e.persona === this.persona.id && (this.progress = e))]
      : [],
  );

  connectedCallback(): void {
    super.connectedCallback();
    void this.loadProviders();
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has("persona")) return;
    const before = changed.get("persona") as PersonaView | undefined;
    if (before && before.id !== this.persona.id) {
      this.subs.renew();
      this.errors = NO_ERRORS;
      this.saved = "";
    }
    this.follow(this.persona.organs);
  }

  /** Makes the fields again from what she has, unless that is what they already show. */
  private follow(organs: PersonaView["organs"]): void {
    const json = JSON.stringify(organs);
    if (json === this.haveJson) return;
    this.haveJson = json;
    this.have = organs;
    this.wanted = {};
    this.generation++;
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
    this.wanted = { ...this.wanted, [e.detail.role]: e.detail.spec };
    this.saved = "";
  }

  private get changes(): WantedOrgans {
    return organChanges(this.have, this.wanted, this.available);
  }

  private reset(): void {
    this.wanted = {};
    this.errors = NO_ERRORS;
    this.generation++;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const changes = this.changes;
    if (this.busy || !Object.keys(changes).length) return;
    const p = this.persona;
    this.busy = true;
    this.progress = null;
    this.saved = "";
    this.errors = NO_ERRORS;
    try {
      const r = await api.post<{ persona: PersonaView }>(`/api/persona/${p.id}/update`, { organs: changes });
      this.saved = `Saved — ${describeChanges(changes, ROLE_TEXT)}.${r.persona.running ? " She restarted with her new organs." : ""}`;
      this.follow(r.persona.organs);
      emit(this, "et-persona-changed", { id: p.id });
    } catch (err) {
      this.errors = placeErrors(err);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(".general")?.focus();
    } finally {
      this.busy = false;
    }
  }

  render() {
    if (this.loadError) return html`<et-notice heading="The providers could not be listed." .message=${this.loadError} retry @et-retry=${this.loadProviders}></et-notice>`;
    const changes = this.changes;
    const dirty = Object.keys(changes).length > 0;
    const p = this.progress;
    return html`<section class="card" aria-labelledby="organs-title">
      <h2 id="organs-title">Organs</h2>
      <p class="intro">The models she thinks, sees, hears and learns with. A key you gave is kept: leave its field empty to keep it. Changed organs are checked before they are kept${this.persona.running ? ", and she restarts with them" : ""}.</p>
      <form @submit=${this.submit} @et-organ=${this.onOrgan} aria-busy=${this.busy ? "true" : "false"} novalidate>
        ${keyed(
          this.generation,
          html`${ROLES.map(
            (role: OrganRole) =>
              html`<et-organ-field .role=${role} ?optional=${role !== "thinking"} .providers=${this.available} .current=${this.have[role] ?? null} .errors=${this.errors.organs[role] ?? {}}></et-organ-field>`,
          )}`,
        )}
        ${this.busy
          ? html`<div class="progress" role="status" aria-live="polite">
              <span>${p ? `${p.model}: ${p.status}${p.total ? ` — ${bytes(p.completed ?? 0)} of ${bytes(p.total)}` : ""}` : "Checking the changed organs (each model must be there)…"}</span>
              ${p?.total ? html`<progress max=${p.total} .value=${p.completed ?? 0} aria-label="Model download"></progress>` : html`<progress aria-label="Checking"></progress>`}
            </div>`
          : nothing}
        ${this.errors.general ? html`<et-notice class="general" tabindex="-1" heading="Her organs were not changed." .message=${this.errors.general}></et-notice>` : nothing}
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.busy || !dirty || !complete(changes)}>${this.busy ? "Saving…" : "Save organs"}</button>
          ${dirty && !this.busy ? html`<button type="button" @click=${this.reset}>Undo changes</button>` : nothing}
          <span class="done" role="status">${this.saved}</span>
          ${!dirty && !this.saved ? html`<span class="hint">Nothing changed yet.</span>` : nothing}
        </div>
      </form>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-settings-organs": EtSettingsOrgans;
  }
}
