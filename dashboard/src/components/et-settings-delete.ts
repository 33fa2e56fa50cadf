import { LitElement, css, html } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { emit } from "../lib/events.js";
import { go } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-confirm-dialog.js";
import type { EtConfirmDialog } from "./et-confirm-dialog.js";
import { sectionStyles } from "./et-settings-section.js";

/** Deleting her: asked in a dialog that names her, and confirmed by typing her name. */
@customElement("et-settings-delete")
export class EtSettingsDelete extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      section {
        border-color: var(--danger);
      }
      ul {
        margin: 0;
        padding-left: var(--space-5);
        line-height: 1.6;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  @state() accessor busy = false;
  @state() accessor error = "";
  @query("et-confirm-dialog") accessor dialog!: EtConfirmDialog;

  private ask(): void {
    this.error = "";
    void this.dialog.show();
  }

  private async removeHer(): Promise<void> {
    const p = this.persona;
    this.busy = true;
    this.error = "";
    try {
      await api.post(`/api/persona/${p.id}/delete`);
      this.dialog.close();
      emit(this, "et-persona-changed", { id: p.id });
      go({ name: "personas" });
    } catch (err) {
      this.error = explain(err);
    } finally {
      this.busy = false;
    }
  }

  render() {
    const name = this.persona.name;
    return html`<section class="card" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete ${name}</h2>
        <p class="intro">She is stopped and her whole folder is removed from this machine: her memory, her conversations, her files and her keys. A diary you exported can bring her back, with her recovery phrase.</p>
        <div class="row"><button class="danger" @click=${this.ask}>Delete ${name}…</button></div>
      </section>
      <et-confirm-dialog heading="Delete ${name}?" confirmLabel="Delete ${name} for good" busyLabel="Deleting…" .phrase=${name} ?busy=${this.busy} .error=${this.error} @et-confirm=${this.removeHer}>
        <p>This removes everything of ${name} from this machine, at once and for good:</p>
        <ul>
          <li>what she knows about you, and her own notes and meanings;</li>
          <li>every conversation and every file you sent her;</li>
          <li>her organs' keys.</li>
        </ul>
        <p>Only a diary you exported, with its recovery phrase, can bring her back.</p>
      </et-confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-settings-delete": EtSettingsDelete;
  }
}
