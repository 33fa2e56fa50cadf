import { LitElement, css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import type { OrganRole, PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import type { DashboardEvent, OrganInput } from "../lib/events.js";
import { emit } from "../lib/events.js";
import { bytes } from "../lib/format.js";
import { ROLES, providers, type Provider } from "../lib/providers.js";
import { go } from "../lib/router.js";
import { controls, formPage } from "../styles/tokens.js";
import { placeErrors } from "./et-create-persona.js";
import "./et-notice.js";
import "./et-organ-field.js";

/**
 * A persona brought back from her diary: the .diary file, her 24 words, and either the organs
 * her diary names or others chosen here. The daemon's refusal is shown in its words (a wrong
 * phrase, a damaged diary, an organ that cannot be prepared); her id already here asks whether
 * to replace her.
 */
@customElement("et-restore-persona")
export class EtRestorePersona extends LitElement {
  static styles = [
    controls,
    formPage,
    css`
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
      }
      textarea {
        font-family: var(--font-mono);
        min-height: 5.5em;
      }
      .choice {
        display: flex;
        gap: var(--space-2);
        align-items: center;
      }
      .choice input {
        width: auto;
        min-height: 0;
      }
      .row {
        display: flex;
        gap: var(--space-3);
        align-items: center;
        flex-wrap: wrap;
      }
      .progress {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        padding: var(--space-3) var(--space-4);
      }
      progress {
        width: 100%;
        height: 10px;
        accent-color: var(--accent);
      }
    `,
  ];

  @state() accessor file: File | null = null;
  @state() accessor phrase = "";
  /** Organs chosen here rather than those her diary names. */
  @state() accessor ownOrgans = false;
  @state() accessor available: Record<string, Provider> = {};
  @state() accessor organs: Partial<Record<OrganRole, OrganInput | null>> = {};
  @state() accessor errors: ReturnType<typeof placeErrors> = { name: null, organs: {}, general: null };
  @state() accessor busy = false;
  @state() accessor sent = 0;
  /** Her id is already here: the daemon's words, until the person says to replace her. */
  @state() accessor conflict = "";

  private async chooseOrgans(on: boolean): Promise<void> {
    this.ownOrgans = on;
    if (!on || Object.keys(this.available).length) return;
    try {
      this.available = await providers();
    } catch (err) {
      this.errors = { ...this.errors, general: explain(err) };
    }
  }

  private onOrgan(e: DashboardEvent<"et-organ">): void {
    this.organs = { ...this.organs, [e.detail.role]: e.detail.spec };
  }

  private async submit(e: Event, replace = false): Promise<void> {
    e.preventDefault();
    if (this.busy || !this.file) return;
    this.busy = true;
    this.sent = 0;
    this.errors = { name: null, organs: {}, general: null };
    const form = new FormData();
    form.append("phrase", this.phrase);
    if (this.ownOrgans) form.append("organs", JSON.stringify(Object.fromEntries(Object.entries(this.organs).filter(([, v]) => v))));
    form.append("replace", replace ? "true" : "false");
    form.append("diary", this.file, this.file.name);
    try {
      const r = await api.upload<{ persona: PersonaView }>("/api/persona/migrate", form, (s) => (this.sent = s));
      emit(this, "et-persona-changed", { id: r.persona.id });
      go({ name: "persona", id: r.persona.id, tab: "chat", arg: null });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) this.conflict = err.message;
      else {
        this.conflict = "";
        const placed = placeErrors(err);
        // A refusal of the phrase field is shown on it; the rest above the button.
        if (err instanceof ApiError && err.field("phrase")) placed.general = `Her recovery phrase: ${err.field("phrase")}`;
        this.errors = placed;
      }
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(".general, .conflict")?.focus?.();
    } finally {
      this.busy = false;
    }
  }

  render() {
    const words = this.phrase.trim().split(/\s+/).filter(Boolean).length;
    const ready = !!this.file && words === 24 && (!this.ownOrgans || !!this.organs.thinking?.model);
    return html`<form @submit=${(e: Event) => this.submit(e)} @et-organ=${this.onOrgan} aria-busy=${this.busy ? "true" : "false"} novalidate>
      <h1>Restore a persona from her diary</h1>
      <p class="intro">Her diary (a <code>.diary</code> file) and her recovery phrase bring her back whole: what she knows, her days, her notes and files, with her own id. Keys are never in a diary: give her organs again if hers need one.</p>
      <div class="field">
        <label for="diary">Her diary</label>
        <input id="diary" type="file" accept=".diary" @change=${(e: Event) => ((this.file = (e.target as HTMLInputElement).files?.[0] ?? null), (this.conflict = ""))} />
        ${this.file ? html`<span class="hint">${this.file.name}, ${bytes(this.file.size)}</span>` : nothing}
      </div>
      <div class="field">
        <label for="phrase">Her recovery phrase</label>
        <textarea id="phrase" .value=${this.phrase} autocomplete="off" autocapitalize="none" spellcheck="false"
          aria-describedby="phrase-hint" @input=${(e: Event) => (this.phrase = (e.target as HTMLTextAreaElement).value)}></textarea>
        <span class="hint" id="phrase-hint">The 24 words shown when she was made (or when her phrase was last renewed), in order. ${words ? `${words} of 24.` : ""}</span>
      </div>
      <label class="choice"><input type="checkbox" .checked=${this.ownOrgans} @change=${(e: Event) => void this.chooseOrgans((e.target as HTMLInputElement).checked)} /> Give her other organs than her diary names</label>
      ${this.ownOrgans
        ? ROLES.map((role) => html`<et-organ-field .role=${role} ?optional=${role !== "thinking"} .providers=${this.available} .errors=${this.errors.organs[role] ?? {}}></et-organ-field>`)
        : Object.entries(this.errors.organs).map(([role, e]) => html`<et-notice heading="Her ${role} organ from the diary cannot be used here." .message=${e?.organ ?? ""}>
            <p class="hint">Tick "Give her other organs" and choose one this machine has.</p>
          </et-notice>`)}
      ${this.busy
        ? html`<div class="card progress" role="status" aria-live="polite">
            <span>${this.sent < 1 ? `Sending her diary… ${Math.round(this.sent * 100)}%` : "Opening her diary and checking every part of it…"}</span>
            ${this.sent < 1 ? html`<progress max="1" .value=${this.sent} aria-label="Sending her diary"></progress>` : html`<progress aria-label="Opening her diary"></progress>`}
          </div>`
        : nothing}
      ${this.errors.general ? html`<et-notice class="general" tabindex="-1" heading="She was not restored." .message=${this.errors.general}></et-notice>` : nothing}
      ${this.conflict
        ? html`<et-notice class="conflict" tabindex="-1" heading="She is already here." .message=${this.conflict}>
            <p class="hint">Replacing her stops her and puts the diary in her place: what she has lived here since the diary was written is lost.</p>
            <button type="button" class="danger solid" ?disabled=${this.busy} @click=${(e: Event) => this.submit(e, true)}>Replace her with this diary</button>
          </et-notice>`
        : nothing}
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.busy || !ready}>${this.busy ? "Restoring…" : "Restore her"}</button>
        <span class="hint">Nothing is written unless the whole diary opens and checks out.</span>
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-restore-persona": EtRestorePersona;
  }
}
