import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import type { Connection } from "../lib/connection.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";
import { sectionStyles } from "./et-settings-section.js";
import "./et-settings-delete.js";
import "./et-settings-diary.js";
import "./et-settings-organs.js";
import "./et-settings-status.js";

/**
 * Organs and status: her name, whether she is awake (and why not, when she is sick), the
 * models she is made of, her diary, and deleting her. Each section is its own call to the daemon and
 * shows its own failures; what changed reaches the rest of the page as `et-persona-changed`.
 */
@customElement("et-settings")
export class EtSettings extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
      :host {
        display: block;
        container-type: inline-size;
      }
      .layout {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        grid-template-areas: "status" "name" "organs" "diary" "delete";
        gap: var(--space-4);
        align-items: start;
      }
      .side {
        display: contents;
      }
      et-settings-status {
        grid-area: status;
      }
      .name {
        grid-area: name;
      }
      et-settings-organs {
        grid-area: organs;
      }
      et-settings-diary {
        grid-area: diary;
      }
      et-settings-delete {
        grid-area: delete;
      }
      /* Wide: her organs on the left, the rest of her beside them. */
      @container (min-width: 940px) {
        .layout {
          grid-template-columns: minmax(0, 1fr) 320px;
          grid-template-areas: "organs side";
        }
        .side {
          display: flex;
          flex-direction: column;
          gap: var(--space-4);
          grid-area: side;
          position: sticky;
          top: 72px;
        }
        .side > * {
          grid-area: auto;
        }
      }
      form {
        display: flex;
        gap: var(--space-2);
        align-items: flex-end;
        flex-wrap: wrap;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        flex: 1;
        min-width: 200px;
        max-width: 360px;
      }
      .field .error {
        order: 3;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @property({ attribute: false }) accessor connection: Connection | null = null;
  /** The name being typed; null while it is her name. */
  @state() accessor name: string | null = null;
  @state() accessor renaming = false;
  @state() accessor nameError = "";
  @state() accessor renamed = "";

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | null | undefined;
    if (changed.has("persona") && before && before.id !== this.persona?.id) {
      this.name = null;
      this.nameError = "";
      this.renamed = "";
    }
  }

  private async rename(e: Event): Promise<void> {
    e.preventDefault();
    const p = this.persona!;
    const name = (this.name ?? p.name).trim();
    if (!name || name === p.name || this.renaming) return;
    this.renaming = true;
    this.nameError = "";
    this.renamed = "";
    try {
      const r = await api.post<{ persona: PersonaView }>(`/api/persona/${p.id}/update`, { name });
      this.name = null;
      this.renamed = `Renamed: she is ${r.persona.name} now.`;
      emit(this, "et-persona-changed", { id: p.id });
    } catch (err) {
      this.nameError = (err instanceof ApiError && err.field("name")) || explain(err);
    } finally {
      this.renaming = false;
    }
  }

  render() {
    const p = this.persona;
    if (!p) return nothing;
    const typed = this.name ?? p.name;
    const changed = typed.trim() !== p.name && !!typed.trim();
    return html`<div class="layout">
      <et-settings-organs .persona=${p} .connection=${this.connection}></et-settings-organs>
      <div class="side">
      <et-settings-status .persona=${p}></et-settings-status>
      <section class="card name" aria-labelledby="name-title">
        <h2 id="name-title">Name</h2>
        <form @submit=${this.rename} novalidate>
          <div class="field">
            <label for="name">Her name</label>
            <input id="name" .value=${typed} maxlength="80" autocomplete="off" required
              @input=${(e: Event) => ((this.name = (e.target as HTMLInputElement).value), (this.renamed = ""))}
              aria-invalid=${this.nameError ? "true" : "false"} aria-describedby=${this.nameError ? "name-error" : nothing} />
            ${this.nameError ? html`<span class="error" id="name-error">${this.nameError}</span>` : nothing}
          </div>
          <button class="primary" type="submit" ?disabled=${!changed || this.renaming}>${this.renaming ? "Renaming…" : "Rename her"}</button>
          <span class="done" role="status">${this.renamed}</span>
        </form>
      </section>
      <et-settings-diary .persona=${p}></et-settings-diary>
      <et-settings-delete .persona=${p}></et-settings-delete>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-settings": EtSettings;
  }
}
