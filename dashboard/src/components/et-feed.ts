import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import { emit } from "../lib/events.js";
import { bytes } from "../lib/format.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-notice.js";

type Source = "" | "chatgpt" | "claude";

/** What `POST /api/persona/{id}/feed` answers. */
interface FeedSummary {
  source: "chatgpt" | "claude";
  conversations: number;
  messages: number;
  read: number;
  updated: string[];
}

const SOURCES: Record<"chatgpt" | "claude", string> = { chatgpt: "ChatGPT", claude: "Claude" };

/** Her memory files, as the result names them. */
const FILES: Record<string, string> = {
  person: "who you are",
  traits: "your traits",
  wishes: "your wishes",
  struggles: "your struggles",
};

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** "a, b and c". */
function list(items: string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * Feeding her the person's past: a ChatGPT export (.zip or conversations.json) or a Claude
 * export (.json), picked or dropped, sent with its progress, then her reading of it as the
 * daemon pushes `feed:progress`, and what she learned in words. A refusal is the daemon's own.
 */
@customElement("et-feed")
export class EtFeed extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
        max-width: 820px;
      }
      section {
        padding: var(--space-5);
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      h2 {
        font-size: var(--size-xl);
      }
      p {
        margin: 0;
        line-height: 1.6;
      }
      .intro {
        color: var(--text-muted);
      }
      details {
        border: 1px solid var(--border);
        border-radius: var(--radius-md);
        padding: var(--space-3) var(--space-4);
        background: var(--bg);
      }
      summary {
        cursor: pointer;
        font-weight: 600;
      }
      details ol {
        margin: var(--space-2) 0 0;
        padding-left: var(--space-5);
        line-height: 1.6;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .drop {
        position: relative;
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        gap: var(--space-2);
        padding: var(--space-3) var(--space-4) var(--space-5);
        border: 2px dashed var(--border-strong);
        border-radius: var(--radius-lg);
        background: var(--bg-recessed);
        text-align: center;
      }
      .drop:hover {
        border-color: var(--accent);
      }
      .drop:focus-within {
        outline: 3px solid var(--focus);
        outline-offset: 2px;
      }
      :host([dragging]) .drop {
        border-color: var(--accent);
        background: var(--accent-bg);
      }
      .drop label {
        font-size: var(--size-lg);
        font-weight: 500;
        cursor: pointer;
        align-self: stretch;
        padding: var(--space-5) 0 var(--space-1);
      }
      .drop .pick {
        color: var(--accent);
        text-decoration: underline;
      }
      .drop input {
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
      }
      .chosen {
        font-family: var(--font-mono);
        font-size: var(--size-sm);
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .fields {
        display: flex;
        gap: var(--space-3);
        align-items: flex-end;
        flex-wrap: wrap;
      }
      .fields .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        min-width: 220px;
        flex: 1;
        max-width: 320px;
      }
      .progress {
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
        padding: var(--space-3) var(--space-4);
        background: var(--bg-recessed);
        border-radius: var(--radius-md);
      }
      progress {
        width: 100%;
        height: 10px;
        accent-color: var(--accent);
      }
      .result {
        padding: var(--space-4);
        border-left: 4px solid var(--ok);
        background: var(--ok-bg);
        border-radius: var(--radius-md);
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
      }
      .result h3 {
        font-size: var(--size-lg);
      }
      .start {
        display: block;
        margin-top: var(--space-2);
      }
      .row {
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
        align-items: center;
      }
      @media (max-width: 600px) {
        section {
          padding: var(--space-4);
        }
        .drop {
          padding: var(--space-2) var(--space-3) var(--space-4);
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @property({ attribute: false }) accessor connection: Connection | undefined = undefined;
  @property({ type: Boolean, reflect: true }) accessor dragging = false;
  @state() accessor file: File | null = null;
  @state() accessor source: Source = "";
  /** Where the feed is: sending the file (with the fraction sent), she reading it (with what the daemon says), or neither. */
  @state() accessor phase: "idle" | "sending" | "reading" = "idle";
  @state() accessor sent = 0;
  @state() accessor read: { done: number; total: number } | null = null;
  @state() accessor result: FeedSummary | null = null;
  @state() accessor error: { heading: string; detail: string } | null = null;
  @state() accessor starting = false;
  @state() accessor startError = "";
  @query("input[type=file]") accessor picker!: HTMLInputElement;
  private readonly subs = new Subscriptions(this, (c) => {
    const id = this.persona?.id;
    if (!id) return [];
    return [
      c.watch(id),
      c.on("feed:progress", (e) => {
        if (e.persona !== id || this.phase === "idle") return;
        this.phase = "reading";
        this.read = { done: e.done, total: e.total };
      }),
    ];
  });

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | null | undefined;
    if (changed.has("persona") && before && before.id !== this.persona?.id) {
      this.subs.renew();
      this.clear();
    }
  }

  private async start(): Promise<void> {
    const p = this.persona!;
    this.starting = true;
    this.startError = "";
    try {
      await api.post(`/api/persona/${p.id}/start`);
      emit(this, "et-persona-changed", { id: p.id });
    } catch (err) {
      this.startError = explain(err);
    } finally {
      this.starting = false;
    }
  }

  private clear(): void {
    this.file = null;
    this.result = null;
    this.error = null;
    this.read = null;
    this.phase = "idle";
    if (this.picker) this.picker.value = "";
  }

  private choose(files: FileList | null | undefined): void {
    const f = files?.[0];
    if (!f) return;
    this.file = f;
    this.result = null;
    this.error = null;
  }

  private drag(e: DragEvent, on: boolean): void {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    this.dragging = on;
  }

  private drop(e: DragEvent): void {
    this.drag(e, false);
    this.choose(e.dataTransfer?.files);
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const p = this.persona;
    if (!p || !this.file || this.phase !== "idle") return;
    const form = new FormData();
    form.append("history", this.file, this.file.name);
    if (this.source) form.append("source", this.source);
    this.phase = "sending";
    this.sent = 0;
    this.read = null;
    this.result = null;
    this.error = null;
    try {
      this.result = await api.upload<FeedSummary>(`/api/persona/${p.id}/feed`, form, (f) => {
        this.sent = f;
        // Sent whole: the daemon reads the file, then she reads what it holds.
        if (f >= 1 && this.phase === "sending") this.phase = "reading";
      });
      this.file = null;
      if (this.picker) this.picker.value = "";
    } catch (err) {
      this.error = { heading: this.refusal(err), detail: explain(err) };
    } finally {
      this.phase = "idle";
    }
  }

  /** What kind of refusal it was, in a heading; the daemon's words go beneath it. */
  private refusal(err: unknown): string {
    const name = this.persona?.name ?? "She";
    if (!(err instanceof ApiError)) return "The file could not be sent.";
    if (err.status === 409) return `${name} cannot read it now.`;
    if (err.status === 415) return "That is not a file she can read as an export.";
    if (err.status === 413) return "That file is too large.";
    return `${name} could not read this export.`;
  }

  private progress() {
    if (this.phase === "sending") {
      const pct = Math.round(this.sent * 100);
      return html`<div class="progress" role="status" aria-live="polite">
        <span>Sending ${this.file?.name ?? "the file"} — ${pct}%</span>
        <progress max="100" .value=${pct} aria-label="Sending the file"></progress>
      </div>`;
    }
    const r = this.read;
    return html`<div class="progress" role="status" aria-live="polite">
      <span>${r ? (r.done < r.total ? `${this.persona!.name} is reading your conversations: part ${r.done + 1} of ${r.total}` : `${this.persona!.name} has read them all; she is writing down what she learned…`) : "The daemon is opening the export…"}</span>
      ${r && r.total ? html`<progress max=${r.total} .value=${r.done} aria-label="Her reading"></progress>` : html`<progress aria-label="Opening the export"></progress>`}
    </div>`;
  }

  private summary(r: FeedSummary) {
    const p = this.persona!;
    const learned = r.updated.map((k) => FILES[k] ?? k);
    return html`<div class="result" role="status" tabindex="-1">
      <h3>${p.name} read your ${SOURCES[r.source]} export</h3>
      <p>It held ${plural(r.conversations, "conversation")} with ${plural(r.messages, "message")}; she read ${r.read === r.conversations ? (r.read === 1 ? "it" : r.read === 2 ? "both" : `all ${r.read.toLocaleString()}`) : `the newest ${r.read.toLocaleString()}`}.</p>
      <p>${learned.length ? `She rewrote what she knows about ${list(learned)}.` : "Nothing in it changed what she knows about you."}</p>
      <div class="row">
        <a class="button" href=${href({ name: "persona", id: p.id, tab: "knowledge", arg: null })}>See what she knows</a>
      </div>
    </div>`;
  }

  render() {
    const p = this.persona;
    if (!p) return nothing;
    const busy = this.phase !== "idle";
    return html`<section class="card" aria-labelledby="feed-title">
      <h2 id="feed-title">Feed ${p.name} your past conversations</h2>
      <p class="intro">Give her an export of your conversations with ChatGPT or Claude, and she reads them — the newest first — to learn who you are, your traits, your wishes and your struggles. The file stays on this machine.</p>
      <details>
        <summary>How to get an export</summary>
        <ol>
          <li><strong>ChatGPT:</strong> Settings → Data controls → Export data. The email brings a <code>.zip</code>; give it as it is, or the <code>conversations.json</code> inside it.</li>
          <li><strong>Claude:</strong> Settings → Privacy → Export data. The email brings a <code>.zip</code>; give the <code>conversations.json</code> inside it.</li>
        </ol>
      </details>
      ${p.running
        ? nothing
        : html`<et-notice tone="warn" .message=${`${p.name} is not running: she can read an export only while she is awake.`}>
            <span class="start"><button ?disabled=${this.starting} @click=${this.start}>${this.starting ? "Starting…" : `Start ${p.name}`}</button></span>
          </et-notice>`}
      ${this.startError ? html`<et-notice heading=${`${p.name} did not start.`} .message=${this.startError}></et-notice>` : nothing}
      <form @submit=${this.submit} novalidate aria-busy=${busy ? "true" : "false"}>
        <div class="drop" @dragover=${(e: DragEvent) => this.drag(e, true)} @dragleave=${(e: DragEvent) => this.drag(e, false)} @drop=${this.drop}>
          <label for="history"><span class="pick">Choose an export</span> or drop it here</label>
          <input id="history" type="file" accept=".zip,.json,application/zip,application/json" ?disabled=${busy} aria-describedby="history-hint" @change=${(e: Event) => this.choose((e.target as HTMLInputElement).files)} />
          <span class="hint" id="history-hint">A .zip or conversations.json from ChatGPT, or a .json from Claude</span>
          ${this.file ? html`<span class="chosen">Chosen: ${this.file.name} · ${bytes(this.file.size)}</span>` : nothing}
        </div>
        <div class="fields">
          <div class="field">
            <label for="source">Which export is it?</label>
            <select id="source" .value=${this.source} ?disabled=${busy} @change=${(e: Event) => (this.source = (e.target as HTMLSelectElement).value as Source)}>
              <option value="" ?selected=${this.source === ""}>Tell from the file</option>
              <option value="chatgpt" ?selected=${this.source === "chatgpt"}>ChatGPT</option>
              <option value="claude" ?selected=${this.source === "claude"}>Claude</option>
            </select>
          </div>
          <button class="primary" type="submit" ?disabled=${!this.file || busy}>${busy ? "Reading…" : "Let her read it"}</button>
        </div>
      </form>
      ${busy ? this.progress() : nothing}
      ${this.error ? html`<et-notice .heading=${this.error.heading} .message=${this.error.detail}></et-notice>` : nothing}
      ${this.result ? this.summary(this.result) : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-feed": EtFeed;
  }
}
