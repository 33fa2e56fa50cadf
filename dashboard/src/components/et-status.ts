import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { PersonaView } from "eternego/plugin/shared";
import { condition } from "../lib/format.js";

/** How she is, as a dot and words (never the colour alone). */
@customElement("et-status")
export class EtStatus extends LitElement {
  static styles = css`
    :host {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      font-size: 13px;
      font-weight: 600;
      white-space: nowrap;
    }
    .dot {
      width: 9px;
      height: 9px;
      border-radius: 50%;
      background: var(--text-muted);
      flex: none;
    }
    :host([tone="ok"]) .dot {
      background: var(--ok);
      box-shadow: 0 0 0 3px var(--ok-bg);
    }
    :host([tone="busy"]) .dot {
      background: var(--warn);
      animation: pulse 1.2s ease-in-out infinite;
    }
    :host([tone="bad"]) .dot {
      background: var(--danger);
      box-shadow: 0 0 0 3px var(--danger-bg);
    }
    :host([tone="bad"]) {
      color: var(--danger);
    }
    @keyframes pulse {
      50% {
        opacity: 0.35;
      }
    }
  `;

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @property({ reflect: true }) accessor tone = "rest";

  protected willUpdate(): void {
    if (this.persona) this.tone = condition(this.persona).tone;
  }

  render() {
    if (!this.persona) return html``;
    return html`<span class="dot" aria-hidden="true"></span><span>${condition(this.persona).text}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-status": EtStatus;
  }
}
