import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { keyed } from "lit/directives/keyed.js";
import type { PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import { LeaveGuard } from "../lib/knowledge-guard.js";
import { MEMORY_KEYS, isMemoryKey, memoryText, type Knowledge, type MemoryKey } from "../lib/knowledge.js";
import { go, href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-confirm-dialog.js";
import type { EtConfirmDialog } from "./et-confirm-dialog.js";
import "./et-knowledge-file.js";
import type { EtKnowledgeFile } from "./et-knowledge-file.js";
import "./et-knowledge-meanings.js";
import type { EtKnowledgeMeanings } from "./et-knowledge-meanings.js";
import "./et-notice.js";

/**
 * What she knows: her memory files one at a time (the chosen one in the URL), each read and
 * edited as a whole, and her meanings. Edits not saved are not lost by leaving — the file, the
 * tab or the page — without being asked first. After a reconnect, and whenever she has just
 * finished thinking (her tools and her night write these files), it is read again.
 */
@customElement("et-knowledge")
export class EtKnowledge extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-7);
      }
      .files {
        display: grid;
        grid-template-columns: 236px minmax(0, 1fr);
        gap: var(--space-5);
        align-items: start;
      }
      nav {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        position: sticky;
        top: 72px;
      }
      nav h2 {
        font-family: var(--font-sans);
        font-size: 12px;
        font-weight: 700;
        text-transform: uppercase;
        letter-spacing: 0.08em;
        color: var(--text-muted);
        margin: 0 0 var(--space-1) var(--space-3);
      }
      nav ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      nav a {
        display: flex;
        align-items: baseline;
        justify-content: space-between;
        gap: var(--space-2);
        padding: var(--space-2) var(--space-3);
        border-radius: var(--radius-sm);
        color: var(--text);
        text-decoration: none;
        line-height: 1.35;
        border-left: 3px solid transparent;
      }
      nav a:hover {
        background: var(--surface-hover);
      }
      nav a[aria-current="page"] {
        background: var(--accent-bg);
        border-left-color: var(--accent);
        font-weight: 600;
      }
      .tag {
        font-size: 11px;
        font-weight: 600;
        color: var(--text-muted);
        white-space: nowrap;
      }
      .picker {
        display: none;
        flex-direction: column;
        gap: var(--space-1);
      }
      .loading {
        color: var(--text-muted);
        padding: var(--space-5) 0;
      }
      @media (max-width: 860px) {
        .files {
          grid-template-columns: minmax(0, 1fr);
          gap: var(--space-4);
        }
        nav {
          display: none;
        }
        .picker {
          display: flex;
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  /** The memory file shown (its key), or null for the first. */
  @property() accessor file: string | null = null;
  @property({ attribute: false }) accessor connection: Connection | null = null;
  @state() accessor memory: Knowledge["memory"] | null = null;
  @state() accessor loadError = "";
  @state() accessor dirty = false;
  @state() accessor leavingTo: string | null = null;
  @query("et-knowledge-file") accessor editor!: EtKnowledgeFile | null;
  @query("et-knowledge-meanings") accessor meanings!: EtKnowledgeMeanings | null;
  @query("et-confirm-dialog") accessor dialog!: EtConfirmDialog;
  private readonly subs = new Subscriptions(this, (c) =>
    this.persona
      ? [
          c.watch(this.persona.id),
          // Her beat may have saved notes or a meaning; her night rewrites every file.
          c.on("mind:activity", (e) => e.persona === this.persona.id && e.activity === "idle" && this.refresh()),
          c.onResync(() => this.refresh()),
        ]
      : [],
  );
  private readonly guard = new LeaveGuard(
    this,
    () => this.dirty,
    (to) => void this.askLeave(to),
  );

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | undefined;
    if (changed.has("persona") && before?.id !== this.persona.id) {
      if (before) this.subs.renew();
      this.memory = null;
      void this.load();
    }
    if (changed.has("file") || (changed.has("persona") && before?.id !== this.persona.id)) this.dirty = false;
  }

  protected updated(): void {
    // The chosen file is always in the URL, so a reload or a shared link opens the same one.
    if (this.file === null) queueMicrotask(() => this.file === null && go({ name: "persona", id: this.persona.id, tab: "knowledge", arg: MEMORY_KEYS[0] }, true));
  }

  private refresh(): void {
    void this.load();
    void this.meanings?.load();
  }

  private async load(): Promise<void> {
    const id = this.persona?.id;
    if (!id) return;
    try {
      const r = await api.get<Knowledge>(`/api/persona/${encodeURIComponent(id)}/knowledge`);
      if (id !== this.persona.id) return;
      this.memory = r.memory;
      this.loadError = "";
    } catch (err) {
      this.loadError = explain(err);
    }
  }

  private async askLeave(to: string): Promise<void> {
    this.leavingTo = to;
    await this.dialog.show();
  }

  private leave(): void {
    const to = this.leavingTo;
    this.dialog.close();
    if (!to) return;
    this.editor?.discard();
    this.dirty = false;
    this.leavingTo = null;
    this.guard.leave(to);
  }

  private pick(e: Event): void {
    const select = e.target as HTMLSelectElement;
    const to = href({ name: "persona", id: this.persona.id, tab: "knowledge", arg: select.value });
    if (!this.dirty) return go({ name: "persona", id: this.persona.id, tab: "knowledge", arg: select.value });
    // The edit stays until the person says otherwise; so does the choice shown.
    select.value = this.file ?? MEMORY_KEYS[0];
    void this.askLeave(new URL(to, location.href).href);
  }

  private nav(current: MemoryKey | null) {
    const name = this.persona.name;
    const group = (g: "you" | "her", title: string) => html`<div>
      <h2 id="files-${g}">${title}</h2>
      <ul aria-labelledby="files-${g}">
        ${MEMORY_KEYS.filter((k) => memoryText(k, name).group === g).map(
          (k) => html`<li>
            <a href=${href({ name: "persona", id: this.persona.id, tab: "knowledge", arg: k })} aria-current=${k === current ? "page" : "false"}>
              <span>${memoryText(k, name).title}</span>
              ${this.memory && !this.memory[k].trim() ? html`<span class="tag">empty</span>` : nothing}
            </a>
          </li>`,
        )}
      </ul>
    </div>`;
    return html`<nav aria-label="Memory files">${group("you", "About you")}${group("her", `About ${name}`)}</nav>
      <div class="picker">
        <label for="file-picker">Memory file</label>
        <select id="file-picker" .value=${current ?? MEMORY_KEYS[0]} @change=${this.pick}>
          <optgroup label="About you">${MEMORY_KEYS.filter((k) => memoryText(k, name).group === "you").map((k) => html`<option value=${k} ?selected=${k === current}>${memoryText(k, name).title}</option>`)}</optgroup>
          <optgroup label="About ${name}">${MEMORY_KEYS.filter((k) => memoryText(k, name).group === "her").map((k) => html`<option value=${k} ?selected=${k === current}>${memoryText(k, name).title}</option>`)}</optgroup>
        </select>
      </div>`;
  }

  private panel(key: MemoryKey | null) {
    if (this.loadError) return html`<et-notice heading="${this.persona.name}'s memory could not be read." .message=${this.loadError} retry @et-retry=${this.load}></et-notice>`;
    if (!this.memory) return html`<p class="loading" role="status">Reading ${this.persona.name}'s memory…</p>`;
    if (!key) return html`<et-notice tone="warn" heading="There is no memory file called “${this.file}”." message="Choose one of her files from the list."></et-notice>`;
    return keyed(
      key,
      html`<et-knowledge-file .personaId=${this.persona.id} .personaName=${this.persona.name} .key=${key} .content=${this.memory[key]}
        @et-knowledge-dirty=${(e: CustomEvent<{ dirty: boolean }>) => (this.dirty = e.detail.dirty)}
        @et-knowledge-saved=${(e: CustomEvent<{ key: MemoryKey; content: string }>) => this.memory && (this.memory = { ...this.memory, [e.detail.key]: e.detail.content })}></et-knowledge-file>`,
    );
  }

  render() {
    const key = this.file === null ? MEMORY_KEYS[0] : isMemoryKey(this.file) ? this.file : null;
    const title = key ? memoryText(key, this.persona.name).title : "this file";
    return html`
      <section class="files">
        ${this.nav(key)}
        <div>${this.panel(key)}</div>
      </section>
      <et-knowledge-meanings .personaId=${this.persona.id} .personaName=${this.persona.name}></et-knowledge-meanings>
      <et-confirm-dialog heading="Leave without saving?" confirmLabel="Leave without saving" @et-confirm=${this.leave}>
        <p>Your changes to “${title}” are not saved. If you leave now, they are lost; Cancel takes you back to them.</p>
      </et-confirm-dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-knowledge": EtKnowledge;
  }
}
