import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";

/** A failure shown where it happened, in the daemon's own words, with a way to try again. */
@customElement("et-notice")
export class EtNotice extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
      }
      div {
        display: flex;
        gap: var(--space-3);
        align-items: flex-start;
        justify-content: space-between;
        padding: var(--space-3) var(--space-4);
        border-radius: var(--radius-md);
        border: 1px solid var(--danger);
        background: var(--danger-bg);
        color: var(--text);
      }
      :host([tone="info"]) div {
        border-color: var(--border-strong);
        background: var(--bg-elev);
      }
      :host([tone="warn"]) div {
        border-color: var(--warn);
        background: var(--warn-bg);
      }
      p {
        margin: 0;
        overflow-wrap: anywhere;
      }
      strong {
        display: block;
      }
    `,
  ];

  @property() accessor heading = "";
  @property() accessor message = "";
  @property({ reflect: true }) accessor tone: "error" | "info" | "warn" = "error";
  @property({ type: Boolean }) accessor retry = false;

  render() {
    if (!this.message) return nothing;
    return html`<div role=${this.tone === "error" ? "alert" : "status"}>
      <p>${this.heading ? html`<strong>${this.heading}</strong>` : nothing}${this.message}<slot></slot></p>
      ${this.retry ? html`<button @click=${() => emit(this, "et-retry")}>Try again</button>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-notice": EtNotice;
  }
}
