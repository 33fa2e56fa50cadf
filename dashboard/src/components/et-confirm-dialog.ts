import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { emit } from "../lib/events.js";
import { controls } from "../styles/tokens.js";
import "./et-notice.js";

// The events this dialog sends, added to the dashboard's typed map beside the component that sends them.
declare module "../lib/events.js" {
  interface DashboardEvents {
    /** The person confirmed what the dialog asked. */
    "et-confirm": undefined;
  }
}

declare global {
  interface HTMLElementEventMap {
    "et-confirm": CustomEvent<undefined>;
  }
}

let uid = 0;

/**
 * A question that must be answered before something that cannot be undone: an in-page modal
 * `<dialog>` (focus stays in it, Escape or Cancel closes it). With `phrase`, the person types
 * that phrase (her name) before the confirm button wakes. The caller does the work on
 * `et-confirm` and says how it went through `busy` and `error`.
 */
@customElement("et-confirm-dialog")
export class EtConfirmDialog extends LitElement {
  static styles = [
    controls,
    css`
      dialog {
        border: 1px solid var(--border-strong);
        border-radius: var(--radius-lg);
        background: var(--bg-elev);
        color: var(--text);
        box-shadow: var(--shadow);
        padding: 0;
        width: min(480px, calc(100vw - 2 * var(--space-4)));
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.45);
      }
      form {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        padding: var(--space-5);
      }
      h2 {
        font-size: var(--size-xl);
        overflow-wrap: anywhere;
      }
      .body {
        line-height: 1.55;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
      }
      .actions {
        display: flex;
        gap: var(--space-2);
        justify-content: flex-end;
        flex-wrap: wrap;
      }
      strong.phrase {
        font-family: var(--font-mono);
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property() accessor heading = "";
  @property() accessor confirmLabel = "Confirm";
  /** What the confirm button says while the caller works. */
  @property() accessor busyLabel = "Working…";
  /** What the person must type to confirm (empty: no typing). */
  @property() accessor phrase = "";
  @property({ type: Boolean }) accessor busy = false;
  @property() accessor error = "";
  @state() accessor typed = "";
  @query("dialog") accessor dialog!: HTMLDialogElement;
  private readonly uid = `confirm-${++uid}`;

  /** Opens it, empty, with focus on the field (or on Cancel, the safe choice). */
  async show(): Promise<void> {
    this.typed = "";
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.renderRoot.querySelector<HTMLElement>(this.phrase ? "input" : "button.cancel")?.focus();
  }

  close(): void {
    this.dialog?.close();
  }

  private get ready(): boolean {
    return !this.phrase || this.typed.trim() === this.phrase.trim();
  }

  private submit(e: Event): void {
    e.preventDefault();
    if (this.ready && !this.busy) emit(this, "et-confirm");
  }

  render() {
    const field = `${this.uid}-phrase`;
    return html`<dialog aria-labelledby="${this.uid}-title" aria-describedby="${this.uid}-body" @cancel=${(e: Event) => this.busy && e.preventDefault()}>
      <form @submit=${this.submit} novalidate>
        <h2 id="${this.uid}-title">${this.heading}</h2>
        <div class="body" id="${this.uid}-body"><slot></slot></div>
        ${this.phrase
          ? html`<div class="field">
              <label for=${field}>Type <strong class="phrase">${this.phrase}</strong> to confirm</label>
              <input id=${field} .value=${this.typed} autocomplete="off" spellcheck="false" @input=${(e: Event) => (this.typed = (e.target as HTMLInputElement).value)} />
            </div>`
          : nothing}
        ${this.error ? html`<et-notice .message=${this.error}></et-notice>` : nothing}
        <div class="actions">
          <button type="button" class="cancel" ?disabled=${this.busy} @click=${() => this.close()}>Cancel</button>
          <button type="submit" class="danger solid" ?disabled=${!this.ready || this.busy}>${this.busy ? this.busyLabel : this.confirmLabel}</button>
        </div>
      </form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-confirm-dialog": EtConfirmDialog;
  }
}
