import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { ChannelView } from "eternego/plugin/shared";
import { stateWords, type ChannelKind } from "../lib/channels.js";
import { emit } from "../lib/events.js";
import { controls, facts } from "../styles/tokens.js";

declare module "../lib/events.js" {
  interface DashboardEvents {
    /** The person asked to remove a channel of hers (the screen asks first). */
    "et-channel-remove": { type: string };
  }
}

declare global {
  interface HTMLElementEventMap {
    "et-channel-remove": CustomEvent<{ type: string }>;
  }
}

/**
 * One channel of hers: which platform and account, whether a chat on it is hers, where its
 * connection is in words (and what to do when it failed), and a way to remove it. The web is
 * marked as needing nothing and cannot be removed.
 */
@customElement("et-channels-card")
export class EtChannelsCard extends LitElement {
  static styles = [
    controls,
    facts,
    css`
      :host {
        display: block;
      }
      article {
        padding: var(--space-4);
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
        height: 100%;
      }
      :host([tone="bad"]) article {
        border-color: var(--danger);
        border-left-width: 5px;
      }
      :host([tone="warn"]) article {
        border-color: var(--warn);
        border-left-width: 5px;
      }
      .head {
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      h3 {
        font-size: var(--size-lg);
        overflow-wrap: anywhere;
      }
      .account {
        font-family: var(--font-mono);
        font-size: var(--size-sm);
        color: var(--text-muted);
        overflow-wrap: anywhere;
      }
      .state {
        margin: 0;
        display: flex;
        gap: var(--space-2);
        align-items: baseline;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .dot {
        width: 9px;
        height: 9px;
        border-radius: 50%;
        background: var(--text-muted);
        flex: none;
        transform: translateY(-1px);
      }
      :host([tone="ok"]) .dot {
        background: var(--ok);
        box-shadow: 0 0 0 3px var(--ok-bg);
      }
      :host([tone="busy"]) .dot {
        background: var(--warn);
        animation: pulse 1.2s ease-in-out infinite;
      }
      :host([tone="warn"]) .dot {
        background: var(--warn);
        box-shadow: 0 0 0 3px var(--warn-bg);
      }
      :host([tone="bad"]) .dot {
        background: var(--danger);
        box-shadow: 0 0 0 3px var(--danger-bg);
      }
      :host([tone="bad"]) .state {
        color: var(--danger);
      }
      @keyframes pulse {
        50% {
          opacity: 0.35;
        }
      }
      .help {
        margin: 0;
        color: var(--text-muted);
        font-size: var(--size-sm);
        line-height: 1.5;
      }
      .tag {
        display: inline-block;
        font-size: 12px;
        font-weight: 600;
        padding: 1px var(--space-2);
        border-radius: 999px;
        border: 1px solid var(--ok);
        color: var(--ok);
        background: var(--ok-bg);
        white-space: nowrap;
      }
      .actions {
        margin-top: auto;
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
      }
    `,
  ];

  @property({ attribute: false }) accessor channel!: ChannelView;
  /** Its plugin; absent when no loaded plugin provides it. */
  @property({ attribute: false }) accessor kind: ChannelKind | undefined = undefined;
  /** Whether she runs. */
  @property({ type: Boolean }) accessor running = false;
  @property({ reflect: true }) accessor tone = "rest";

  protected willUpdate(): void {
    this.tone = stateWords(this.channel, this.running, this.kind).tone;
  }

  private paired() {
    const c = this.channel;
    if (this.kind?.always) return html`<span class="tag">Needs nothing</span> It is this page and the daemon's HTTP API: whoever reaches the daemon talks with her.`;
    if (this.kind && !this.kind.pairing) return "Needs no pairing: every chat on it is hers.";
    return c.verified ? "A chat is paired: it is hers." : "No chat is paired yet. Write to her there: she answers with a pairing code to enter below.";
  }

  render() {
    const c = this.channel;
    const title = this.kind?.title ?? c.type;
    const words = stateWords(c, this.running, this.kind);
    const id = `channel-${c.type}`;
    return html`<article class="card" aria-labelledby="${id}-title">
      <div class="head">
        <h3 id="${id}-title">${title}</h3>
        ${this.kind?.always ? nothing : html`<span class="account">${c.name}</span>`}
      </div>
      <p class="state"><span class="dot" aria-hidden="true"></span><span>${words.text}</span></p>
      <p class="help">${words.help}</p>
      <dl>
        <dt>${this.kind?.always ? "Setup" : "Pairing"}</dt>
        <dd>${this.paired()}</dd>
      </dl>
      ${this.kind?.always
        ? nothing
        : html`<div class="actions">
            <button class="danger" @click=${() => emit(this, "et-channel-remove", { type: c.type })}>Remove ${title}…</button>
          </div>`}
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-channels-card": EtChannelsCard;
  }
}
