import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ChannelView, PersonaView } from "eternego/plugin/shared";
import { ApiError, api, explain } from "../lib/api.js";
import { either, normalCode } from "../lib/channels.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";
import { sectionStyles } from "./et-settings-section.js";
import "./et-notice.js";

declare module "../lib/events.js" {
  interface DashboardEvents {
    /** A chat was paired: the channel as the daemon sees it now, and when it was asked for (`performance.now()`). */
    "et-channel-paired": { channel: ChannelView; asked: number };
  }
}

declare global {
  interface HTMLElementEventMap {
    "et-channel-paired": CustomEvent<{ channel: ChannelView; asked: number }>;
  }
}

/**
 * Pairing a chat: whoever writes to her on a channel that needs pairing gets a code from her
 * there, and the code entered here makes that chat hers. Typed as it comes (spaces, dashes,
 * lower case); a wrong or expired code, too many of them, or her not running is said in the
 * daemon's words.
 */
@customElement("et-channels-pair")
export class EtChannelsPair extends LitElement {
  static styles = [
    controls,
    sectionStyles,
    css`
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
        min-width: 180px;
        max-width: 280px;
      }
      input {
        font-family: var(--font-mono);
        letter-spacing: 0.08em;
        text-transform: uppercase;
      }
      ol {
        margin: 0;
        padding-left: var(--space-5);
        line-height: 1.6;
      }
      .paired {
        margin: 0;
        padding: var(--space-3) var(--space-4);
        border-left: 4px solid var(--ok);
        background: var(--ok-bg);
        border-radius: var(--radius-md);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  /** Her channels that need pairing, by type, with their titles ("Telegram", "Discord"). */
  @property({ attribute: false }) accessor titles: Record<string, string> = {};
  @state() accessor code = "";
  @state() accessor busy = false;
  @state() accessor error: { heading: string; detail: string } | null = null;
  @state() accessor paired = "";

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | undefined;
    if (before && before.id !== this.persona.id) {
      this.code = "";
      this.error = null;
      this.paired = "";
    }
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const code = normalCode(this.code);
    if (!code || this.busy) return;
    this.busy = true;
    this.error = null;
    this.paired = "";
    const asked = performance.now();
    try {
      const r = await api.post<{ channel: ChannelView; chat: string }>(`/api/persona/${this.persona.id}/pair`, { code });
      this.code = "";
      this.paired = `Paired: the chat is hers now — chat ${r.chat} on ${this.titles[r.channel.type] ?? r.channel.type} (${r.channel.name}).`;
      emit(this, "et-channel-paired", { channel: r.channel, asked });
    } catch (err) {
      this.error = { heading: this.refusal(err), detail: explain(err) };
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLInputElement>("#code")?.focus();
    } finally {
      this.busy = false;
    }
  }

  private refusal(err: unknown): string {
    const name = this.persona.name;
    if (!(err instanceof ApiError)) return "The code could not be sent.";
    if (err.status === 429) return "Too many wrong codes.";
    if (err.status === 409) return `${name} cannot pair a chat now.`;
    return "That code paired no chat.";
  }

  render() {
    const p = this.persona;
    const where = either(Object.values(this.titles));
    return html`<section class="card" aria-labelledby="pair-title">
      <h2 id="pair-title">Pair a chat</h2>
      <p class="intro">She listens only to chats that are hers. To make one hers:</p>
      <ol>
        <li>Write to her on ${where}; she answers with a code of 8 letters and digits.</li>
        <li>Enter the code here within 10 minutes.</li>
      </ol>
      ${p.running ? nothing : html`<et-notice tone="warn" .message=${`${p.name} is not running: start her (Organs and status), then write to her on ${where} for a code.`}></et-notice>`}
      <form @submit=${this.submit} novalidate aria-busy=${this.busy ? "true" : "false"}>
        <div class="field">
          <label for="code">Pairing code</label>
          <input id="code" .value=${this.code} maxlength="40" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" placeholder="K7M2PQ9D"
            ?disabled=${this.busy} aria-invalid=${this.error ? "true" : "false"} aria-describedby="code-hint"
            @input=${(e: Event) => ((this.code = (e.target as HTMLInputElement).value), (this.paired = ""))} />
        </div>
        <button class="primary" type="submit" ?disabled=${!normalCode(this.code) || this.busy || !p.running}>${this.busy ? "Pairing…" : "Pair the chat"}</button>
      </form>
      <span class="hint" id="code-hint">Spaces and lower case are fine.</span>
      ${this.error ? html`<et-notice .heading=${this.error.heading} .message=${this.error.detail}></et-notice>` : nothing}
      <div role="status">${this.paired ? html`<p class="paired">${this.paired}</p>` : nothing}</div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-channels-pair": EtChannelsPair;
  }
}
