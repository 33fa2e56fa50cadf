import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import type { ChatEntry } from "../lib/chat.js";
import { clock } from "../lib/format.js";
import { markdown } from "../lib/markdown.js";

const IMAGE = /\.(png|jpe?g|gif|webp)$/i;
const AUDIO = /\.(wav|mp3|m4a|ogg|oga|opus|webm|flac)$/i;

/** A message: her words as sanitised Markdown, the person's as they typed them, and the files that came with them. */
@customElement("et-message")
export class EtMessage extends LitElement {
  static styles = css`
    :host {
      display: block;
    }
    article {
      display: flex;
      flex-direction: column;
      gap: 4px;
      max-width: min(640px, 100%);
    }
    :host([from="person"]) article {
      margin-left: auto;
      align-items: flex-end;
    }
    .meta {
      font-size: 12px;
      color: var(--text-muted);
      display: flex;
      gap: 8px;
    }
    .who {
      font-weight: 700;
      color: var(--text);
    }
    .body {
      padding: 10px 14px;
      border-radius: 14px;
      line-height: 1.55;
      overflow-wrap: anywhere;
      background: var(--bg-elev);
      border: 1px solid var(--border);
    }
    :host([from="persona"]) .body {
      font-family: var(--font-serif);
      font-size: 16.5px;
      border-top-left-radius: 4px;
    }
    :host([from="person"]) .body {
      background: var(--mine-bg);
      border-color: transparent;
      border-top-right-radius: 4px;
      white-space: pre-wrap;
    }
    :host([draft]) .body {
      border-style: dashed;
      color: var(--text-muted);
    }
    .body > :first-child {
      margin-top: 0;
    }
    .body > :last-child {
      margin-bottom: 0;
    }
    .body p {
      margin: 0.4em 0;
    }
    .body pre {
      font-family: var(--font-mono);
      font-size: 13px;
      background: var(--bg-recessed);
      padding: 8px 10px;
      border-radius: 6px;
      overflow-x: auto;
    }
    .body code {
      font-family: var(--font-mono);
      font-size: 0.9em;
    }
    .body a {
      color: var(--accent);
    }
    .media {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
    }
    .media img {
      max-width: 260px;
      max-height: 220px;
      border-radius: 10px;
      border: 1px solid var(--border);
      display: block;
    }
    .media a {
      color: var(--accent);
      font-size: 13px;
    }
    details {
      font-size: 13px;
      color: var(--text-muted);
      max-width: 100%;
    }
    summary {
      cursor: pointer;
    }
    summary:focus-visible {
      outline: 3px solid var(--focus);
    }
  `;

  @property({ attribute: false }) accessor entry!: ChatEntry;
  @property() accessor personaId = "";
  @property() accessor name = "";
  @property({ reflect: true }) accessor from: "person" | "persona" = "person";
  @property({ type: Boolean, reflect: true }) accessor draft = false;

  protected willUpdate(): void {
    this.from = this.entry.from;
    this.draft = !!this.entry.draft;
  }

  private mediaItem(name: string) {
    const src = `/api/persona/${encodeURIComponent(this.personaId)}/media/${encodeURIComponent(name)}`;
    const shown = name.replace(/^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}-/, "");
    const seen = this.entry.perceived?.find((p) => p.media === name);
    if (IMAGE.test(name)) return html`<a href=${src} target="_blank" rel="noopener"><img src=${src} alt=${seen?.text ? `A picture: ${seen.text.slice(0, 200)}` : `A picture, ${shown}`} loading="lazy" /></a>`;
    if (AUDIO.test(name)) return html`<audio controls preload="none" src=${src} aria-label="Voice note ${shown}"></audio>`;
    return html`<a href=${src} target="_blank" rel="noopener">${shown}</a>`;
  }

  render() {
    const e = this.entry;
    const who = e.from === "persona" ? this.name : "You";
    return html`<article aria-label="${who}${e.draft ? ", writing" : ""}, ${clock(e.time)}">
      <div class="meta"><span class="who">${who}</span><time datetime=${e.time}>${clock(e.time)}</time>${e.channel !== "web" ? html`<span>via ${e.channel}</span>` : nothing}${e.draft ? html`<span>writing…</span>` : nothing}</div>
      ${e.media?.length ? html`<div class="media">${e.media.map((m) => this.mediaItem(m))}</div>` : nothing}
      ${e.text ? html`<div class="body">${e.from === "persona" ? unsafeHTML(markdown(e.text)) : e.text}</div>` : nothing}
      ${e.perceived?.length
        ? html`<details>
            <summary>What ${this.name} took from ${e.perceived.length === 1 ? "the file" : `the ${e.perceived.length} files`}</summary>
            ${e.perceived.map((p) => html`<p><strong>${p.kind}:</strong> ${p.text}</p>`)}
          </details>`
        : nothing}
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-message": EtMessage;
  }
}
