import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import { api, explain } from "../lib/api.js";
import { emit } from "../lib/events.js";
import { clock } from "../lib/format.js";
import { memoryText, type MemoryKey } from "../lib/knowledge.js";
import { markdown } from "../lib/markdown.js";
import { controls } from "../styles/tokens.js";
import { proseStyles } from "./et-knowledge-prose.styles.js";
import "./et-notice.js";

/**
 * One memory file: read as rendered Markdown, edited as text, saved as a whole. It says when
 * its text is no longer the one the daemon stored (`et-knowledge-dirty`), and after a save it
 * shows the file as stored (`et-knowledge-saved` carries it up). When she changes the file
 * herself while it is being edited, the edit is kept and the person told.
 */
@customElement("et-knowledge-file")
export class EtKnowledgeFile extends LitElement {
  static styles = [
    controls,
    proseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        min-width: 0;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: var(--space-2) var(--space-4);
        align-items: flex-start;
        justify-content: space-between;
      }
      .heading {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        min-width: 0;
        flex: 1 1 280px;
      }
      h2 {
        font-size: var(--size-xl);
        overflow-wrap: anywhere;
      }
      .about {
        margin: 0;
        color: var(--text-muted);
        line-height: 1.5;
      }
      .file {
        font-family: var(--font-mono);
        font-size: 12px;
        color: var(--text-muted);
      }
      .page {
        padding: var(--space-5) var(--space-6);
      }
      .empty {
        color: var(--text-muted);
        font-style: italic;
        margin: 0;
      }
      .editor {
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
      }
      .editor textarea {
        font-family: var(--font-mono);
        font-size: 14px;
        line-height: 1.6;
        padding: var(--space-3) var(--space-4);
        min-height: 280px;
        background: var(--bg-elev);
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: var(--space-2) var(--space-3);
      }
      .bar .state {
        flex: 1;
        min-width: 160px;
      }
      .unsaved {
        display: inline-flex;
        align-items: center;
        gap: var(--space-2);
        font-size: var(--size-sm);
        font-weight: 600;
        color: var(--warn);
      }
      .unsaved::before {
        content: "";
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: currentColor;
      }
      .saved {
        display: flex;
        align-items: center;
        gap: var(--space-2);
        margin: 0;
        padding: var(--space-2) var(--space-3);
        border-radius: var(--radius-sm);
        background: var(--ok-bg);
        border: 1px solid var(--ok);
        font-size: var(--size-sm);
      }
      .saved::before {
        content: "✓";
        font-weight: 700;
        color: var(--ok);
      }
      kbd {
        font-family: var(--font-mono);
        font-size: 11px;
        border: 1px solid var(--border-strong);
        border-bottom-width: 2px;
        border-radius: 4px;
        padding: 0 4px;
      }
      @media (max-width: 600px) {
        .page {
          padding: var(--space-4);
        }
        header button,
        .bar button {
          flex: 1;
        }
        header button {
          width: 100%;
        }
        .bar .state {
          flex-basis: 100%;
        }
        /* Phones have no Ctrl key to speak of. */
        #save-hint {
          display: none;
        }
      }
    `,
  ];

  @property() accessor personaId = "";
  @property() accessor personaName = "";
  @property() accessor key: MemoryKey = "person";
  /** The file as the daemon last gave it. */
  @property() accessor content = "";
  @state() accessor editing = false;
  @state() accessor draft = "";
  /** The stored text the edit began from (to tell her changes from the person's). */
  @state() accessor base = "";
  @state() accessor saving = false;
  @state() accessor error = "";
  @state() accessor savedAt: string | null = null;
  @query("textarea") accessor textarea!: HTMLTextAreaElement | null;
  private wasDirty = false;

  get dirty(): boolean {
    return this.editing && this.draft !== this.base;
  }

  protected updated(changed: PropertyValues<this>): void {
    if (this.dirty !== this.wasDirty) {
      this.wasDirty = this.dirty;
      emit(this, "et-knowledge-dirty", { dirty: this.dirty });
    }
    if (changed.has("editing") && this.editing) this.textarea?.focus();
  }

  private edit(): void {
    this.draft = this.content;
    this.base = this.content;
    this.savedAt = null;
    this.error = "";
    this.editing = true;
  }

  /** Gives the edit up (Cancel, or leaving). */
  discard(): void {
    this.editing = false;
    this.error = "";
  }

  private async save(): Promise<void> {
    if (this.saving) return;
    this.saving = true;
    this.error = "";
    try {
      const r = await api.post<{ key: MemoryKey; content: string }>(`/api/persona/${encodeURIComponent(this.personaId)}/knowledge`, { key: this.key, content: this.draft });
      this.editing = false;
      this.savedAt = new Date().toISOString();
      emit(this, "et-knowledge-saved", { key: r.key, content: r.content });
    } catch (err) {
      this.error = explain(err);
    } finally {
      this.saving = false;
    }
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
      e.preventDefault();
      void this.save();
    }
  }

  private view() {
    const name = this.personaName;
    return html`
      ${this.savedAt
        ? html`<p class="saved" role="status">Saved at ${clock(this.savedAt)}. This is the file as ${name} keeps it now; she reads it at her next beat.</p>`
        : nothing}
      <div class="page card" aria-label="${memoryText(this.key, name).file}, as she keeps it" role="region">
        ${this.content.trim() ? html`<div class="prose">${unsafeHTML(markdown(this.content))}</div>` : html`<p class="empty">Nothing here yet. ${name} fills it as she learns; you can write in it too.</p>`}
      </div>
    `;
  }

  private editor() {
    const t = memoryText(this.key, this.personaName);
    const rows = Math.min(32, Math.max(14, this.draft.split("\n").length + 2));
    const changedUnder = this.content !== this.base;
    return html`<div class="editor">
      <label for="text">Text of ${t.file} <span class="hint">(Markdown)</span></label>
      ${changedUnder
        ? html`<et-notice tone="warn" heading="${this.personaName} changed this file while you were editing it."
            message="Saving replaces her version with yours; Cancel keeps hers."></et-notice>`
        : nothing}
      <textarea id="text" rows=${rows} spellcheck="true" .value=${this.draft} aria-describedby="save-hint" ?readonly=${this.saving}
        @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)} @keydown=${this.onKey}></textarea>
      ${this.error ? html`<et-notice heading="${t.file} could not be saved." .message=${this.error} retry @et-retry=${this.save}></et-notice>` : nothing}
      <div class="bar">
        <span class="state" aria-live="polite">${this.dirty ? html`<span class="unsaved">Unsaved changes</span>` : html`<span class="hint">No changes yet</span>`}</span>
        <span class="hint" id="save-hint"><kbd>Ctrl</kbd> + <kbd>S</kbd> saves</span>
        <button type="button" @click=${this.discard} ?disabled=${this.saving}>Cancel</button>
        <button type="button" class="primary" @click=${this.save} ?disabled=${this.saving || !this.dirty}>${this.saving ? "Saving…" : "Save"}</button>
      </div>
    </div>`;
  }

  render() {
    const t = memoryText(this.key, this.personaName);
    return html`
      <header>
        <div class="heading">
          <h2 id="title">${t.title}</h2>
          <p class="about">${t.about} <span class="file">${t.file}</span></p>
        </div>
        ${this.editing ? nothing : html`<button type="button" class="primary" @click=${this.edit} aria-describedby="title">Edit</button>`}
      </header>
      ${this.editing ? this.editor() : this.view()}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-knowledge-file": EtKnowledgeFile;
  }
}
