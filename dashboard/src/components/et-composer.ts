import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import { bytes } from "../lib/format.js";
import { controls } from "../styles/tokens.js";
import type { ChatEntry } from "../lib/chat.js";
import { emit } from "../lib/events.js";

interface Pending {
  file: File;
  preview: string | null;
  error: string | null;
}

interface Perceived {
  file: string;
  media: string;
  kind: string;
  text: string;
}

/** The files a refusal is about: those it names, else those of the extension it names, else all. */
export function concerned(detail: string, names: string[]): number[] {
  const named = names.map((n, i) => (detail.includes(`'${n}'`) ? i : -1)).filter((i) => i >= 0);
  if (named.length) return named;
  const ext = /'(\.[a-z0-9]+)'/i.exec(detail)?.[1]?.toLowerCase();
  const byExt = ext ? names.map((n, i) => (n.toLowerCase().endsWith(ext) ? i : -1)).filter((i) => i >= 0) : [];
  return byExt.length ? byExt : names.map((_, i) => i);
}

/**
 * Where the person writes to her: Enter sends, Shift+Enter starts a new line; files come by
 * the button, by paste or by drag and drop, several at once, each with its preview and, when
 * the daemon refuses it, the daemon's reason on it; voice notes are recorded here and sent
 * to her hearing.
 */
@customElement("et-composer")
export class EtComposer extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: var(--space-2);
        padding: var(--space-3);
        border: 1px solid var(--border-strong);
        border-radius: var(--radius-lg);
        background: var(--bg-elev);
      }
      :host([dragging]) form {
        border-style: dashed;
        border-color: var(--accent);
        background: var(--accent-bg);
      }
      textarea {
        border: 0;
        min-height: 44px;
        max-height: 240px;
        padding: var(--space-2);
        background: transparent;
      }
      textarea:focus-visible {
        outline: 3px solid var(--focus);
      }
      .row {
        display: flex;
        gap: var(--space-2);
        align-items: center;
        flex-wrap: wrap;
      }
      .row .grow {
        flex: 1;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-wrap: wrap;
        gap: var(--space-2);
      }
      li {
        display: flex;
        gap: var(--space-2);
        align-items: center;
        padding: var(--space-1) var(--space-2);
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
        max-width: 100%;
        background: var(--bg);
      }
      li.refused {
        border-color: var(--danger);
        background: var(--danger-bg);
        flex-basis: 100%;
      }
      li img {
        width: 40px;
        height: 40px;
        object-fit: cover;
        border-radius: 4px;
      }
      li .what {
        display: flex;
        flex-direction: column;
        min-width: 0;
      }
      li .file {
        font-size: var(--size-sm);
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      li button {
        min-height: 28px;
        padding: 0 var(--space-2);
      }
      .recording {
        color: var(--danger);
        font-weight: 700;
      }
      input[type="file"] {
        display: none;
      }
      progress {
        width: 120px;
        accent-color: var(--accent);
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  @property({ type: Boolean, reflect: true }) accessor dragging = false;
  @state() accessor text = "";
  @state() accessor files: Pending[] = [];
  @state() accessor busy = false;
  @state() accessor sent = 0;
  @state() accessor error = "";
  @state() accessor recording: MediaRecorder | null = null;
  @state() accessor voiceNote = "";
  @query("textarea") accessor box!: HTMLTextAreaElement;
  @query("input[type=file]") accessor picker!: HTMLInputElement;

  /** Files dropped anywhere on the chat come here too. */
  add(list: FileList | File[]): void {
    const more = [...list].map((file) => ({ file, preview: file.type.startsWith("image/") ? URL.createObjectURL(file) : null, error: null }));
    this.files = [...this.files.map((f) => ({ ...f, error: null })), ...more];
    this.error = "";
  }

  private unpick(i: number): void {
    const f = this.files[i];
    if (f?.preview) URL.revokeObjectURL(f.preview);
    this.files = this.files.filter((_, j) => j !== i);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const f of this.files) if (f.preview) URL.revokeObjectURL(f.preview);
    this.recording?.stop();
  }

  private sentEntry(id: string, text: string, perceived: Perceived[] = []): void {
    const entry: ChatEntry = { id, time: new Date().toISOString(), from: "person", channel: "web", text, ...(perceived.length ? { media: perceived.map((p) => p.media), perceived } : {}) };
    emit(this, "et-sent", entry);
  }

  private async send(e?: Event): Promise<void> {
    e?.preventDefault();
    const text = this.text.trim();
    if (this.busy || (!text && !this.files.length)) return;
    this.busy = true;
    this.error = "";
    const id = this.persona.id;
    // The box empties at once, so what is typed meanwhile is the next message; a refusal puts it back.
    const typed = this.text;
    this.text = "";
    try {
      if (this.files.length) {
        const form = new FormData();
        for (const f of this.files) form.append("file", f.file, f.file.name);
        form.append("caption", text);
        this.sent = 0;
        const r = await api.upload<{ id: string; perceived: Perceived[] }>(`/api/persona/${id}/attach`, form, (s) => (this.sent = s));
        this.sentEntry(r.id, text, r.perceived);
        for (const f of this.files) if (f.preview) URL.revokeObjectURL(f.preview);
        this.files = [];
      } else {
        const r = await api.post<{ id: string }>(`/api/persona/${id}/read`, { message: text });
        this.sentEntry(r.id, text);
      }
    } catch (err) {
      if (!this.text) this.text = typed;
      const why = explain(err);
      if (this.files.length && err instanceof ApiError && [400, 413, 415, 422].includes(err.status)) {
        const hit = new Set(concerned(why, this.files.map((f) => f.file.name)));
        this.files = this.files.map((f, i) => ({ ...f, error: hit.has(i) ? why : null }));
        this.error = "Nothing was sent. Remove the file marked in red, or replace it, and send again.";
      } else this.error = why;
    } finally {
      this.busy = false;
      this.box?.focus();
    }
  }

  private keydown(e: KeyboardEvent): void {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.send();
    }
  }

  private paste(e: ClipboardEvent): void {
    const files = e.clipboardData?.files;
    if (files?.length) {
      e.preventDefault();
      this.add(files);
    }
  }

  private get hears(): boolean {
    return !!this.persona.organs.hearing;
  }

  private async record(): Promise<void> {
    if (this.recording) return void this.recording.stop();
    this.voiceNote = "";
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.voiceNote = "The browser did not give the page a microphone. Allow it in the address bar, then try again.";
      return;
    }
    const type = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"].find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
    const rec = new MediaRecorder(stream, type ? { mimeType: type } : {});
    const chunks: Blob[] = [];
    rec.ondataavailable = (ev) => ev.data.size && chunks.push(ev.data);
    rec.onstop = () => {
      for (const t of stream.getTracks()) t.stop();
      this.recording = null;
      const blob = new Blob(chunks, { type: rec.mimeType || "audio/webm" });
      void this.sendVoice(new File([blob], `voice-${Date.now()}.${/ogg/.test(rec.mimeType) ? "ogg" : "webm"}`, { type: blob.type }));
    };
    rec.start();
    this.recording = rec;
  }

  /** A voice note to her hearing organ: what she hears becomes the message. */
  async sendVoice(file: File): Promise<void> {
    this.busy = true;
    this.voiceNote = "";
    try {
      const form = new FormData();
      form.append("audio", file, file.name);
      const r = await api.upload<{ id: string }>(`/api/persona/${this.persona.id}/hear`, form);
      this.sentEntry(r.id, "(a voice note)");
    } catch (err) {
      this.voiceNote = explain(err);
    } finally {
      this.busy = false;
    }
  }

  render() {
    const live = this.persona.running;
    const canRecord = typeof MediaRecorder !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
    return html`<form @submit=${this.send} aria-busy=${this.busy ? "true" : "false"}>
      ${this.files.length
        ? html`<ul aria-label="Files to send">
            ${this.files.map(
              (f, i) => html`<li class=${f.error ? "refused" : ""}>
                ${f.preview ? html`<img src=${f.preview} alt="" />` : nothing}
                <span class="what">
                  <span class="file">${f.file.name}</span>
                  <span class=${f.error ? "error" : "hint"}>${f.error ?? bytes(f.file.size)}</span>
                </span>
                <button type="button" class="quiet" aria-label="Remove ${f.file.name}" @click=${() => this.unpick(i)}>✕</button>
              </li>`,
            )}
          </ul>`
        : nothing}
      <label class="sr-only" for="message">Message to ${this.persona.name}</label>
      <textarea id="message" rows="2" .value=${this.text} ?disabled=${!live} placeholder=${live ? `Write to ${this.persona.name}… (Enter sends, Shift+Enter for a new line)` : `${this.persona.name} is not running; start her to talk.`}
        @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)} @keydown=${this.keydown} @paste=${this.paste}></textarea>
      <div class="row">
        <input type="file" multiple @change=${(e: Event) => (this.add((e.target as HTMLInputElement).files ?? []), ((e.target as HTMLInputElement).value = ""))} />
        <button type="button" ?disabled=${!live || this.busy} @click=${() => this.picker.click()}>Attach files</button>
        ${canRecord
          ? html`<button type="button" class=${this.recording ? "danger" : ""} ?disabled=${!live || (!this.hears && !this.recording) || (this.busy && !this.recording)} aria-pressed=${this.recording ? "true" : "false"}
              aria-describedby=${this.hears ? nothing : "no-hearing"} @click=${this.record}>${this.recording ? "Stop and send" : "Record a voice note"}</button>`
          : nothing}
        ${this.recording ? html`<span class="recording" role="status">● Recording…</span>` : nothing}
        ${!this.hears ? html`<span class="hint" id="no-hearing">Voice notes need a hearing organ: add one in Organs and status.</span>` : nothing}
        <span class="grow"></span>
        ${this.busy && this.files.length ? html`<progress max="1" .value=${this.sent} aria-label="Sending files"></progress>` : nothing}
        <button class="primary" type="submit" ?disabled=${!live || this.busy || (!this.text.trim() && !this.files.length)}>${this.busy ? "Sending…" : "Send"}</button>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.voiceNote ? html`<p class="error" role="alert">${this.voiceNote}</p>` : nothing}
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-composer": EtComposer;
  }
}
