import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { OrganRole } from "eternego/plugin/shared";
import { count, moment, type OrganHealth } from "../lib/health.js";
import { ROLE_TEXT } from "../lib/providers.js";
import { controls } from "../styles/tokens.js";

/** One organ's health: what it is, how much it was used since the daemon started, and its last fault. */
@customElement("et-health-organ")
export class EtHealthOrgan extends LitElement {
  static styles = [
    controls,
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
      :host([faulted]) article {
        border-color: var(--danger);
      }
      h3 {
        font-size: var(--size-lg);
      }
      .what {
        margin: 0;
        font-size: var(--size-sm);
        color: var(--text-muted);
        overflow-wrap: anywhere;
      }
      .what strong {
        color: var(--text);
        font-family: var(--font-mono);
        font-weight: 600;
      }
      dl.usage {
        margin: 0;
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: var(--space-2);
      }
      dl.usage div {
        background: var(--bg-recessed);
        border-radius: var(--radius-sm);
        padding: var(--space-2) var(--space-3);
      }
      dl.usage dt {
        font-size: 12px;
        color: var(--text-muted);
      }
      dl.usage dd {
        margin: 0;
        font-size: var(--size-lg);
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      .fault {
        margin: 0;
        padding: var(--space-2) var(--space-3);
        border-left: 4px solid var(--danger);
        background: var(--danger-bg);
        border-radius: var(--radius-sm);
        font-size: var(--size-sm);
        line-height: 1.5;
        overflow-wrap: anywhere;
      }
      .fault strong {
        display: block;
      }
      .fine {
        margin: 0;
        font-size: var(--size-sm);
        color: var(--text-muted);
      }
      .fine::before {
        content: "✓ ";
        color: var(--ok);
        font-weight: 700;
      }
    `,
  ];

  @property() accessor role: OrganRole = "thinking";
  @property({ attribute: false }) accessor organ!: OrganHealth;
  @property({ type: Boolean, reflect: true }) accessor faulted = false;

  protected willUpdate(): void {
    this.faulted = !!this.organ?.last_fault;
  }

  render() {
    const o = this.organ;
    const f = o.last_fault;
    return html`<article class="card" aria-labelledby="title">
      <h3 id="title">${ROLE_TEXT[this.role].title}</h3>
      <p class="what"><strong>${o.model}</strong> · ${o.provider} · ${o.url}${o.has_key ? " · key kept" : ""}</p>
      <dl class="usage">
        <div><dt>Calls</dt><dd>${count(o.calls)}</dd></div>
        <div><dt>Tokens in</dt><dd>${count(o.input_tokens)}</dd></div>
        <div><dt>Tokens out</dt><dd>${count(o.output_tokens)}</dd></div>
      </dl>
      ${o.waiting ? html`<p role="status">Waiting for ${o.waiting.what}, since ${moment(o.waiting.since)}.</p>` : nothing}
      ${f
        ? html`<p class="fault"><strong>Last fault, ${moment(f.time)}${f.status ? ` (HTTP ${f.status})` : ""}</strong>${f.detail}</p>`
        : html`<p class="fine">No fault since the daemon started.</p>`}
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-health-organ": EtHealthOrgan;
  }
}
