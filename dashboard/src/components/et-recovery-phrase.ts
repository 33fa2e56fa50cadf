import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";

/**
 * Her recovery phrase, shown once: the 24 words numbered, with copy and print, and a plain
 * word that it is never shown again. The person must say they kept it before going on.
 */
@customElement("et-recovery-phrase")
export class EtRecoveryPhrase extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
        max-width: 760px;
      }
      section {
        padding: var(--space-5);
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .warning {
        padding: var(--space-3) var(--space-4);
        border-left: 4px solid var(--warn);
        background: var(--warn-bg);
        border-radius: var(--radius-sm);
        margin: 0;
        line-height: 1.55;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(4, minmax(0, 1fr));
        gap: var(--space-2);
        counter-reset: word;
      }
      li {
        font-family: var(--font-mono);
        font-size: var(--size-base);
        padding: var(--space-2) var(--space-3);
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
        background: var(--bg);
        display: flex;
        gap: var(--space-2);
      }
      li span {
        color: var(--text-muted);
        min-width: 2ch;
        text-align: right;
      }
      .row {
        display: flex;
        gap: var(--space-2);
        flex-wrap: wrap;
        align-items: center;
      }
      .ack {
        display: flex;
        gap: var(--space-2);
        align-items: flex-start;
        font-weight: 600;
      }
      .ack input {
        width: auto;
        min-height: 0;
        margin-top: 4px;
      }
      @media (max-width: 600px) {
        ol {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
      @media print {
        button,
        .ack,
        .row {
          display: none !important;
        }
        section {
          box-shadow: none;
          border: 0;
        }
      }
    `,
  ];

  @property() accessor name = "";
  @property() accessor personaId = "";
  @property() accessor phrase = "";
  /** The last button's words (default: "Continue to <name>"). */
  @property() accessor continueLabel = "";
  /** A line more under the warning (a new phrase says that older diaries keep the old one). */
  @property() accessor note = "";
  @state() accessor kept = false;
  @state() accessor copied = "";

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.phrase);
      this.copied = "Copied. Paste it somewhere safe that is not this machine, then clear the clipboard.";
    } catch {
      this.copied = "This browser did not let the page copy; select the words and copy them by hand.";
    }
  }

  render() {
    const words = this.phrase.split(/\s+/).filter(Boolean);
    return html`<section class="card" aria-labelledby="phrase-title">
      <h1 id="phrase-title">${this.name}'s recovery phrase</h1>
      <p class="warning"><strong>This is the only time these words are shown.</strong> They are not stored anywhere, not even on this machine.
        They are the only way to open ${this.name}'s diary and bring her to another machine. Write them down, in order, and keep them somewhere safe.</p>
      ${this.note ? html`<p>${this.note}</p>` : nothing}
      <ol aria-label="The 24 words, in order">
        ${words.map((w, i) => html`<li><span aria-hidden="true">${i + 1}.</span>${w}</li>`)}
      </ol>
      <div class="row">
        <button @click=${this.copy}>Copy the words</button>
        <button @click=${() => window.print()}>Print</button>
        <span class="hint" role="status">${this.copied}</span>
      </div>
      <label class="ack"><input type="checkbox" .checked=${this.kept} @change=${(e: Event) => (this.kept = (e.target as HTMLInputElement).checked)} /> I have written down or printed these 24 words and keep them safe.</label>
      <div class="row">
        <button class="primary" ?disabled=${!this.kept} @click=${() => emit(this, "et-phrase-kept", { id: this.personaId })}>${this.continueLabel || `Continue to ${this.name}`}</button>
        ${this.kept ? nothing : html`<span class="hint">Tick the box first: the words cannot be shown again.</span>`}
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-recovery-phrase": EtRecoveryPhrase;
  }
}
