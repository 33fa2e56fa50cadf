import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { OrganRole, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { bytes } from "../lib/format.js";
import { ROLE_TEXT } from "../lib/providers.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-notice.js";

/** One extension as `GET /api/capabilities` lists it (`available` only in a persona's list). */
export interface Capability {
  extension: string;
  plugin: string;
  organ: OrganRole | null;
  max_bytes: number;
  mime_types: string[];
  available?: boolean;
}

/** The extensions one plugin reads, as one row. */
interface Row {
  plugin: string;
  organ: OrganRole | null;
  max_bytes: number;
  extensions: string[];
  available?: boolean;
}

function rows(caps: Capability[]): Row[] {
  const by = new Map<string, Row>();
  for (const c of caps) {
    const key = `${c.plugin}\u0000${c.available ?? ""}`;
    const row = by.get(key) ?? { plugin: c.plugin, organ: c.organ, max_bytes: c.max_bytes, extensions: [], ...(c.available === undefined ? {} : { available: c.available }) };
    row.extensions.push(c.extension);
    by.set(key, row);
  }
  return [...by.values()].sort((a, b) => a.plugin.localeCompare(b.plugin));
}

const organWord = (r: OrganRole | null) => (r ? `${ROLE_TEXT[r].title.toLowerCase()} organ` : "");

/**
 * Which files can be taken in: each extension, the plugin that reads it and the organ it
 * needs — and, for a persona chosen here, which of them she can take in with her organs and
 * which organ to give her for the rest.
 */
@customElement("et-plugins-capabilities")
export class EtPluginsCapabilities extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
      }
      .choose {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
        max-width: 320px;
      }
      .summary {
        margin: 0;
        padding: var(--space-3) var(--space-4);
        border-radius: var(--radius-md);
        background: var(--bg-recessed);
        line-height: 1.6;
      }
      .summary ul {
        margin: var(--space-1) 0 0;
        padding-left: var(--space-5);
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: var(--size-sm);
      }
      th {
        text-align: left;
        font-weight: 600;
        color: var(--text-muted);
        border-bottom: 1px solid var(--border-strong);
        padding: var(--space-2);
      }
      td {
        padding: var(--space-2);
        border-bottom: 1px solid var(--border);
        vertical-align: top;
      }
      td.plugin {
        font-family: var(--font-mono);
      }
      ul.chips {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-wrap: wrap;
        gap: var(--space-1);
      }
      ul.chips li {
        font-family: var(--font-mono);
        font-size: 12px;
        padding: 0 var(--space-1);
        border-radius: 4px;
        background: var(--bg-recessed);
        border: 1px solid var(--border);
      }
      .yes {
        color: var(--ok);
        font-weight: 600;
      }
      .no {
        color: var(--text);
        font-weight: 600;
      }
      .no::before {
        content: "+ ";
        color: var(--warn);
      }
      @media (max-width: 640px) {
        thead {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip: rect(0 0 0 0);
        }
        table,
        tbody,
        tr,
        td {
          display: block;
        }
        tr {
          border: 1px solid var(--border);
          border-radius: var(--radius-md);
          padding: var(--space-2) var(--space-3);
          margin-bottom: var(--space-2);
          background: var(--bg-elev);
        }
        td {
          border: 0;
          padding: var(--space-1) 0;
          display: grid;
          grid-template-columns: 92px minmax(0, 1fr);
          gap: var(--space-2);
        }
        td::before {
          content: attr(data-label);
          color: var(--text-muted);
          font-weight: 600;
          font-family: var(--font-sans);
        }
      }
    `,
  ];

  /** Every capability of the daemon. */
  @property({ attribute: false }) accessor capabilities: Capability[] = [];
  @property({ attribute: false }) accessor personas: PersonaView[] = [];
  @state() accessor chosen = "";
  @state() accessor hers: Capability[] | null = null;
  @state() accessor loading = false;
  @state() accessor error = "";
  private asked = 0;

  protected willUpdate(changed: PropertyValues<this>): void {
    // The first persona is chosen to begin with; a chosen one that is gone is let go.
    if (changed.has("personas") && (!this.chosen || !this.personas.some((p) => p.id === this.chosen))) this.pick(this.personas[0]?.id ?? "");
  }

  private pick(id: string): void {
    this.chosen = id;
    this.hers = null;
    this.error = "";
    if (id) void this.load();
  }

  private async load(): Promise<void> {
    const id = this.chosen;
    const ask = ++this.asked;
    this.loading = true;
    try {
      const r = await api.get<{ capabilities: Capability[] }>(`/api/persona/${id}/capabilities`);
      if (ask === this.asked) this.hers = r.capabilities;
    } catch (err) {
      if (ask === this.asked) this.error = explain(err);
    } finally {
      if (ask === this.asked) this.loading = false;
    }
  }

  private forHer(p: PersonaView, caps: Capability[]) {
    const can = caps.filter((c) => c.available);
    const missing = new Map<OrganRole, string[]>();
    for (const c of caps) if (!c.available && c.organ) missing.set(c.organ, [...(missing.get(c.organ) ?? []), c.extension]);
    const settings = href({ name: "persona", id: p.id, tab: "settings", arg: null });
    return html`<div class="summary" role="status">
      <strong>${p.name} can take in ${can.length} of ${caps.length} kinds of file with the organs she has.</strong>
      ${missing.size
        ? html`<ul>
              ${[...missing].map(([organ, exts]) => html`<li>For ${exts.join(", ")}: give her a ${organWord(organ)}.</li>`)}
            </ul>
            <a href=${settings}>Add organs in ${p.name}'s Organs and status</a>`
        : html`<br />She has every organ they need.`}
    </div>`;
  }

  render() {
    const p = this.personas.find((x) => x.id === this.chosen) ?? null;
    const list = rows(p && this.hers ? this.hers : this.capabilities);
    const settings = p ? href({ name: "persona", id: p.id, tab: "settings", arg: null }) : "";
    return html`
      ${this.personas.length
        ? html`<div class="choose">
            <label for="persona">For a persona</label>
            <select id="persona" .value=${this.chosen} @change=${(e: Event) => this.pick((e.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${!this.chosen}>Nobody (what the daemon can do)</option>
              ${this.personas.map((x) => html`<option value=${x.id} ?selected=${x.id === this.chosen}>${x.name}</option>`)}
            </select>
          </div>`
        : nothing}
      ${this.error ? html`<et-notice heading="Her capabilities could not be read." .message=${this.error} retry @et-retry=${this.load}></et-notice>` : nothing}
      ${p && this.loading && !this.hers ? html`<p class="hint" role="status">Reading what ${p.name} can take in…</p>` : nothing}
      ${p && this.hers ? this.forHer(p, this.hers) : nothing}
      ${list.length
        ? html`<table>
            <caption class="sr-only">Files that can be taken in${p && this.hers ? `, and whether ${p.name} can` : ""}</caption>
            <thead>
              <tr>
                <th scope="col">Files</th>
                <th scope="col">Read by</th>
                <th scope="col">Needs</th>
                <th scope="col">Largest</th>
                ${p && this.hers ? html`<th scope="col">${p.name}</th>` : nothing}
              </tr>
            </thead>
            <tbody>
              ${list.map(
                (r) => html`<tr>
                  <td data-label="Files"><ul class="chips">${r.extensions.map((e) => html`<li>${e}</li>`)}</ul></td>
                  <td data-label="Read by" class="plugin">${r.plugin}</td>
                  <td data-label="Needs">${r.organ ? `A ${organWord(r.organ)}` : "No organ"}</td>
                  <td data-label="Largest">${bytes(r.max_bytes)}</td>
                  ${p && this.hers
                    ? html`<td data-label=${p.name}>${r.available ? html`<span class="yes">✓ She can</span>` : html`<a class="no" href=${settings}>Add a ${organWord(r.organ)}</a>`}</td>`
                    : nothing}
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="hint">No perception plugin is loaded: she can take in no file.</p>`}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-plugins-capabilities": EtPluginsCapabilities;
  }
}
