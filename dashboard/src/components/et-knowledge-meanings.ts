import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import { ApiError, api, explain } from "../lib/api.js";
import { meaningNameProblem, sourceText, type Meaning } from "../lib/knowledge.js";
import { markdown } from "../lib/markdown.js";
import { controls } from "../styles/tokens.js";
import "./et-confirm-dialog.js";
import type { EtConfirmDialog } from "./et-confirm-dialog.js";
import { proseStyles } from "./et-knowledge-prose.styles.js";
import "./et-notice.js";

type Field = "name" | "intention" | "body";
type FieldErrors = Partial<Record<Field, string>>;

/**
 * Her meanings: what she does in each kind of moment, who wrote each, the person's own added
 * with a small form (the name checked as the daemon checks it, and the daemon's refusals put
 * on the field they concern), and each removed only after a question.
 */
@customElement("et-knowledge-meanings")
export class EtKnowledgeMeanings extends LitElement {
  static styles = [
    controls,
    proseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .intro {
        margin: 0;
        color: var(--text-muted);
        line-height: 1.55;
        max-width: 68ch;
      }
      h2 {
        font-size: var(--size-xl);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: var(--space-3);
      }
      li {
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
        padding: var(--space-4);
        min-width: 0;
      }
      .top {
        display: flex;
        gap: var(--space-2);
        align-items: flex-start;
        justify-content: space-between;
      }
      h3 {
        font-family: var(--font-mono);
        font-size: 14px;
        font-weight: 600;
        overflow-wrap: anywhere;
        padding-top: 2px;
      }
      .intention {
        margin: 0;
        font-weight: 600;
        line-height: 1.45;
      }
      .intention span {
        color: var(--text-muted);
        font-weight: 400;
      }
      .source {
        align-self: flex-start;
        font-size: 12px;
        font-weight: 600;
        padding: 1px var(--space-2);
        border-radius: 999px;
        border: 1px solid var(--border-strong);
        color: var(--text-muted);
      }
      .source.person {
        border-color: var(--accent);
        color: var(--text);
        background: var(--accent-bg);
      }
      li .prose {
        font-size: 15px;
        border-top: 1px solid var(--border);
        padding-top: var(--space-2);
      }
      .remove {
        min-height: 30px;
        padding: 0 var(--space-3);
      }
      .none {
        margin: 0;
        padding: var(--space-4);
        color: var(--text-muted);
        border: 1px dashed var(--border-strong);
        border-radius: var(--radius-md);
      }
      form {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 2fr);
        gap: var(--space-3) var(--space-4);
        padding: var(--space-4) var(--space-5) var(--space-5);
      }
      form h3 {
        grid-column: 1 / -1;
        font-family: var(--font-serif);
        font-size: var(--size-lg);
        font-weight: 500;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        min-width: 0;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .field textarea {
        min-height: 120px;
      }
      .actions {
        grid-column: 1 / -1;
        display: flex;
        gap: var(--space-3);
        align-items: center;
        flex-wrap: wrap;
      }
      .actions .hint {
        flex: 1;
        min-width: 200px;
        margin: 0;
      }
      .status {
        margin: 0;
      }
      @media (max-width: 640px) {
        form {
          grid-template-columns: minmax(0, 1fr);
          padding: var(--space-4);
        }
        .actions button {
          width: 100%;
        }
      }
    `,
  ];

  @property() accessor personaId = "";
  @property() accessor personaName = "";
  @state() accessor meanings: Meaning[] = [];
  @state() accessor loading = true;
  @state() accessor loadError = "";
  @state() accessor name = "";
  @state() accessor intention = "";
  @state() accessor body = "";
  /** Whether the name field was left once (its problem shows from then on, not at the first key). */
  @state() accessor touched = false;
  @state() accessor errors: FieldErrors = {};
  @state() accessor general = "";
  @state() accessor adding = false;
  @state() accessor status = "";
  @state() accessor removing: Meaning | null = null;
  @state() accessor removeBusy = false;
  @state() accessor removeError = "";
  @query("et-confirm-dialog") accessor dialog!: EtConfirmDialog;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("personaId")) void this.load();
  }

  /** Asks the daemon again (after a reconnect, or when she may have learned one). */
  async load(): Promise<void> {
    if (!this.personaId) return;
    try {
      this.meanings = (await api.get<{ meanings: Meaning[] }>(`/api/persona/${encodeURIComponent(this.personaId)}/meanings`)).meanings;
      this.loadError = "";
    } catch (err) {
      this.loadError = explain(err);
    } finally {
      this.loading = false;
    }
  }

  private get nameProblem(): string | null {
    return meaningNameProblem(this.name.trim());
  }

  private async add(e: Event): Promise<void> {
    e.preventDefault();
    if (this.adding) return;
    this.touched = true;
    this.status = "";
    this.general = "";
    const mine: FieldErrors = {};
    if (this.nameProblem) mine.name = this.nameProblem;
    if (!this.intention) mine.intention = "Say when it is for, like: the person asks for a poem.";
    if (!this.body) mine.body = "Say what she does then.";
    this.errors = mine;
    if (Object.keys(mine).length) return this.focusError();
    this.adding = true;
    const name = this.name.trim();
    try {
      const r = await api.post<{ meaning: Meaning }>(`/api/persona/${encodeURIComponent(this.personaId)}/meanings`, { name, intention: this.intention, body: this.body });
      const replaced = this.meanings.some((m) => m.name === r.meaning.name);
      this.meanings = [...this.meanings.filter((m) => m.name !== r.meaning.name), r.meaning].sort((a, b) => a.name.localeCompare(b.name));
      this.status = `${replaced ? "Replaced" : "Added"} ${r.meaning.name}. ${this.personaName} uses it when ${lower(r.meaning.intention)}.`;
      this.name = this.intention = this.body = "";
      this.touched = false;
    } catch (err) {
      this.place(err);
      await this.focusError();
    } finally {
      this.adding = false;
    }
  }

  /** The daemon's refusal on the field it names; what names no field above the button. */
  private place(err: unknown): void {
    if (err instanceof ApiError && Array.isArray(err.detail)) {
      const errors: FieldErrors = {};
      for (const f of ["name", "intention", "body"] as const) {
        const msg = err.field(f);
        if (msg) errors[f] = msg;
      }
      this.errors = errors;
      const rest = err.detail.filter((f) => !["name", "intention", "body"].includes(String(f.loc[1])));
      this.general = rest.map((f) => f.msg).join("; ");
      return;
    }
    this.general = explain(err);
  }

  private async focusError(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('form [aria-invalid="true"], form et-notice')?.focus();
  }

  private async askRemove(m: Meaning): Promise<void> {
    this.removing = m;
    this.removeError = "";
    this.status = "";
    await this.dialog.show();
  }

  private async removeMeaning(): Promise<void> {
    const m = this.removing;
    if (!m || this.removeBusy) return;
    this.removeBusy = true;
    this.removeError = "";
    try {
      await api.post(`/api/persona/${encodeURIComponent(this.personaId)}/meanings/${encodeURIComponent(m.name)}/remove`);
      this.meanings = this.meanings.filter((x) => x.name !== m.name);
      this.dialog.close();
      this.status = `Removed ${m.name}.`;
      this.removing = null;
    } catch (err) {
      this.removeError = explain(err);
    } finally {
      this.removeBusy = false;
    }
  }

  private field(f: Field, label: string, control: unknown, hint?: unknown) {
    const err = this.errors[f];
    return html`<div class="field ${f === "name" ? "" : f === "body" ? "wide" : ""}">
      <label for="m-${f}">${label}</label>
      ${control}
      ${err ? html`<span class="error" id="m-${f}-error">${err}</span>` : hint ? html`<span class="hint" id="m-${f}-hint">${hint}</span>` : nothing}
    </div>`;
  }

  private described(f: Field, hasHint: boolean) {
    return this.errors[f] ? `m-${f}-error` : hasHint ? `m-${f}-hint` : nothing;
  }

  private form() {
    const exists = this.meanings.some((m) => m.name === this.name.trim());
    const nameHint = exists ? `${this.personaName} has a meaning of that name: adding replaces it.` : "Lower-case letters, digits and dashes, like write-a-haiku.";
    const set = (f: Field) => (e: Event) => {
      this[f] = (e.target as HTMLInputElement).value;
      if (f === "name" && this.touched) this.errors = { ...this.errors, name: this.nameProblem ?? undefined };
      else if (this.errors[f]) this.errors = { ...this.errors, [f]: undefined };
    };
    return html`<form class="card" @submit=${this.add} novalidate aria-labelledby="add-title">
      <h3 id="add-title">Give ${this.personaName} a meaning</h3>
      ${this.field(
        "name",
        "Name",
        html`<input id="m-name" .value=${this.name} autocomplete="off" spellcheck="false" required maxlength="64" placeholder="write-a-haiku"
          aria-invalid=${this.errors.name ? "true" : "false"} aria-describedby=${this.described("name", true)} @input=${set("name")}
          @blur=${() => {
            this.touched = true;
            if (this.name) this.errors = { ...this.errors, name: this.nameProblem ?? undefined };
          }} />`,
        nameHint,
      )}
      ${this.field(
        "intention",
        "When it is for",
        html`<input id="m-intention" .value=${this.intention} autocomplete="off" required maxlength="1000" placeholder="The person asks for a poem"
          aria-invalid=${this.errors.intention ? "true" : "false"} aria-describedby=${this.described("intention", true)} @input=${set("intention")} />`,
        "The kind of moment, in a few words.",
      )}
      ${this.field(
        "body",
        "What she does then",
        html`<textarea id="m-body" .value=${this.body} rows="5" required placeholder="Write three lines of five, seven and five syllables…"
          aria-invalid=${this.errors.body ? "true" : "false"} aria-describedby=${this.described("body", true)} @input=${set("body")}></textarea>`,
        "Markdown; she follows it as written.",
      )}
      ${this.general ? html`<et-notice class="wide" tabindex="-1" .message=${this.general}></et-notice>` : nothing}
      <div class="actions">
        <p class="hint">She uses it the next time such a moment comes.</p>
        <button type="submit" class="primary" ?disabled=${this.adding}>${this.adding ? "Adding…" : exists ? "Replace meaning" : "Add meaning"}</button>
      </div>
    </form>`;
  }

  private item(m: Meaning) {
    return html`<li class="card" aria-labelledby="meaning-${m.name}">
      <div class="top">
        <h3 id="meaning-${m.name}">${m.name}</h3>
        <button type="button" class="danger remove" aria-label="Remove ${m.name}" @click=${() => this.askRemove(m)}>Remove</button>
      </div>
      <span class="source ${m.source}">${sourceText(m.source, this.personaName)}</span>
      ${m.intention ? html`<p class="intention"><span>When:</span> ${m.intention}</p>` : nothing}
      ${m.body ? html`<div class="prose">${unsafeHTML(markdown(m.body))}</div>` : nothing}
    </li>`;
  }

  render() {
    const n = this.personaName;
    return html`
      <h2 id="meanings-title">Meanings</h2>
      <p class="intro">What ${n} does in each kind of moment. She learns them from her frontier organ, writes her own, or follows yours.</p>
      ${this.loadError ? html`<et-notice heading="Her meanings could not be read." .message=${this.loadError} retry @et-retry=${this.load}></et-notice>` : nothing}
      ${this.status ? html`<et-notice tone="info" .message=${this.status}></et-notice>` : nothing}
      ${this.loading
        ? html`<p class="hint" role="status">Reading her meanings…</p>`
        : this.loadError
          ? nothing
          : this.meanings.length
            ? html`<ul aria-labelledby="meanings-title">${repeat(this.meanings, (m) => m.name, (m) => this.item(m))}</ul>`
            : html`<p class="none">${n} has no meanings yet. She writes one the first time she meets a new kind of task, or you can give her one below.</p>`}
      ${this.form()}
      <et-confirm-dialog heading="Remove ${this.removing?.name ?? "this meaning"}?" confirmLabel="Remove it" busyLabel="Removing…" ?busy=${this.removeBusy} .error=${this.removeError} @et-confirm=${this.removeMeaning}>
        ${this.removing
          ? html`<p>${n} will no longer know what to do when ${lower(this.removing.intention || "this moment comes")} — until she learns it again. ${this.removing.source === "person" ? "You wrote this one." : ""}</p>`
          : nothing}
      </et-confirm-dialog>
    `;
  }
}

/** "The person asks for a poem." read inside a sentence: "…when the person asks for a poem". */
function lower(s: string): string {
  const t = s.trim().replace(/[.!?]+$/, "");
  return t && /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

declare global {
  interface HTMLElementTagNameMap {
    "et-knowledge-meanings": EtKnowledgeMeanings;
  }
}
