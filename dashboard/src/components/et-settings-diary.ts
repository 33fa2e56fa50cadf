import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { emit } from "../lib/events.js";
import { bytes, clock, longDay } from "../lib/format.js";
import { controls } from "../styles/tokens.js";
import type { EtConfirmDialog } from "./et-confirm-dialog.js";
import "./et-confirm-dialog.js";
import "./et-notice.js";
import "./et-recovery-phrase.js";
import { sectionStyles } from "./et-settings-section.js";

/** Her diary as diagnose tells it. */
interface DiaryState {
  fingerprint: string | null;
  latest: { created: string; bytes: number } | null;
  detail: string | null;
}

/**
 * Her diary: when the latest was written, a download of a fresh one, and a new recovery phrase
 * (shown once, as at her create). A persona made before diaries had a key is told so, with the
 * way to give her one.
 */
@customElement("et-settings-diary")
export class EtSettingsDiary extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      dl {
        margin: 0;
        display: grid;
        grid-template-columns: auto 1fr;
        gap: var(--space-1) var(--space-3);
      }
      dt {
        color: var(--text-muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      code {
        font-family: var(--font-mono);
      }
    `,
  ];

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @state() accessor diary: DiaryState | null = null;
  @state() accessor error = "";
  @state() accessor busy = false;
  @state() accessor dialogError = "";
  /** A new phrase, being shown once. */
  @state() accessor phrase: string | null = null;
  @query("et-confirm-dialog") accessor dialog!: EtConfirmDialog;

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | null | undefined;
    if (changed.has("persona") && before?.id !== this.persona?.id) {
      this.phrase = null;
      void this.load();
    }
  }

  async load(): Promise<void> {
    const id = this.persona?.id;
    if (!id) return;
    try {
      const r = await api.get<{ diary: DiaryState }>(`/api/persona/${encodeURIComponent(id)}/diagnose`);
      if (id === this.persona?.id) (this.diary = r.diary), (this.error = "");
    } catch (err) {
      this.error = explain(err);
    }
  }

  /** The download writes a fresh diary: her latest is read again a moment after (a link cannot say when its download began). */
  private exported(): void {
    setTimeout(() => void this.load(), 1500);
  }

  private async newPhrase(): Promise<void> {
    const p = this.persona!;
    this.busy = true;
    this.dialogError = "";
    try {
      const r = await api.post<{ recovery_phrase: string }>(`/api/persona/${encodeURIComponent(p.id)}/recovery-phrase`);
      this.dialog.close();
      this.phrase = r.recovery_phrase;
      emit(this, "et-persona-changed", { id: p.id });
      void this.load();
    } catch (err) {
      this.dialogError = explain(err);
    } finally {
      this.busy = false;
    }
  }

  render() {
    const p = this.persona;
    if (!p) return nothing;
    if (this.phrase) {
      return html`<et-recovery-phrase .name=${p.name} .personaId=${p.id} .phrase=${this.phrase} continueLabel="Done"
        note="Her diaries are written to these words from now on. Diaries saved before today still need the phrase they were written with."
        @et-phrase-kept=${() => (this.phrase = null)}></et-recovery-phrase>`;
    }
    const d = this.diary;
    const keyless = d && !d.fingerprint;
    return html`<section class="card" aria-labelledby="diary-title">
        <h2 id="diary-title">Her diary</h2>
        <p class="intro">One encrypted file that holds all of ${p.name}: written after every night, and whenever you export it. Only her recovery phrase opens it; with it she can be restored here or on another machine.</p>
        ${this.error ? html`<et-notice .message=${this.error}></et-notice>` : nothing}
        ${keyless ? html`<et-notice heading="${p.name} has no diary key yet" .message=${d.detail ?? ""}></et-notice>` : nothing}
        ${d && !keyless
          ? html`<dl>
              <dt>Latest</dt>
              <dd>${d.latest ? html`${longDay(d.latest.created.slice(0, 10))}, ${clock(d.latest.created)} · ${bytes(d.latest.bytes)}` : "none yet"}</dd>
              <dt>Key</dt>
              <dd><code>${d.fingerprint}</code></dd>
            </dl>`
          : nothing}
        <div class="row">
          ${keyless
            ? nothing
            : html`<a class="button primary" href="/api/persona/${encodeURIComponent(p.id)}/export" download @click=${this.exported}>Export her diary</a>`}
          <button class=${keyless ? "primary" : ""} @click=${() => ((this.dialogError = ""), void this.dialog.show())}>${keyless ? "Make her a recovery phrase" : "New recovery phrase"}</button>
        </div>
      </section>
      <et-confirm-dialog heading="A new recovery phrase for ${p.name}?" confirmLabel="Make a new phrase" busyLabel="Making it…" ?busy=${this.busy} .error=${this.dialogError} @et-confirm=${this.newPhrase}>
        <p>Her diaries will be written to the new words from now on, and a fresh one at once. ${keyless
          ? nothing
          : html`<strong>Diaries saved before keep needing the phrase they were written with</strong>: keep the old words as long as you keep those diaries.`}</p>
      </et-confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-settings-diary": EtSettingsDiary;
  }
}
