import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import { emit } from "../lib/events.js";
import type { Theme } from "../lib/theme.js";
import { controls } from "../styles/tokens.js";

/** Light, dark, or as the system says: a group of three pressable buttons. */
@customElement("et-theme-picker")
export class EtThemePicker extends LitElement {
  static styles = [
    controls,
    css`
      div {
        display: inline-flex;
        border: 1px solid var(--border-strong);
        border-radius: var(--radius-sm);
        overflow: hidden;
      }
      button {
        border: 0;
        border-radius: 0;
        min-height: 32px;
        padding: 0 var(--space-3);
        background: transparent;
        font-weight: 500;
      }
      button[aria-pressed="true"] {
        background: var(--accent-bg);
        color: var(--text);
        font-weight: 700;
      }
    `,
  ];

  @property() accessor theme: Theme = "system";

  render() {
    const one = (t: Theme, label: string) =>
      html`<button type="button" aria-pressed=${this.theme === t ? "true" : "false"} @click=${() => emit(this, "et-theme", { theme: t })}>${label}</button>`;
    return html`<div role="group" aria-label="Theme">${one("light", "Light")}${one("dark", "Dark")}${one("system", "System")}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-theme-picker": EtThemePicker;
  }
}
