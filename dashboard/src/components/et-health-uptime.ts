import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import { styleMap } from "lit/directives/style-map.js";
import { cellLabel, dayOfMonth, hourText, isFuture, minutesText, weekday } from "../lib/health.js";
import { controls } from "../styles/tokens.js";

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/**
 * Her last days, hour by hour: a table (a day a row, an hour a column) whose every cell says
 * in words how many minutes of that hour she had a heartbeat, and shows it as how full the
 * cell is — so neither a screen reader nor an eye that does not tell colours apart misses it.
 */
@customElement("et-health-uptime")
export class EtHealthUptime extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
      }
      .scroll {
        overflow-x: auto;
      }
      table {
        border-collapse: separate;
        border-spacing: 3px;
        width: 100%;
        table-layout: fixed;
        min-width: 300px;
      }
      th {
        font-size: 11px;
        font-weight: 600;
        color: var(--text-muted);
        white-space: nowrap;
      }
      thead th {
        text-align: left;
        padding-bottom: var(--space-1);
        overflow: visible;
      }
      th.day {
        width: 84px;
      }
      th[scope="row"] {
        text-align: left;
        padding-right: var(--space-2);
        font-size: var(--size-sm);
        color: var(--text);
      }
      th.total,
      td.total {
        width: 72px;
        text-align: right;
        font-size: var(--size-sm);
        white-space: nowrap;
        padding-left: var(--space-2);
      }
      td.total {
        color: var(--text-muted);
      }
      td.hour {
        padding: 0;
        height: 24px;
        position: relative;
        border-radius: 3px;
        background: var(--bg-recessed);
        border: 1px solid var(--border);
        overflow: hidden;
      }
      td.hour.future {
        background: transparent;
        border-style: dashed;
      }
      .fill {
        position: absolute;
        inset: auto 0 0 0;
        height: calc(var(--fill) * 100%);
        background: var(--ok);
      }
      td.hour.some .fill {
        min-height: 3px;
      }
      .legend {
        display: flex;
        gap: var(--space-4);
        flex-wrap: wrap;
        align-items: center;
        margin-top: var(--space-2);
        font-size: var(--size-sm);
        color: var(--text-muted);
      }
      .legend span {
        display: inline-flex;
        gap: var(--space-2);
        align-items: center;
      }
      .swatch {
        width: 14px;
        height: 14px;
        border-radius: 3px;
        border: 1px solid var(--border);
        background: var(--bg-recessed);
        position: relative;
        overflow: hidden;
      }
      .swatch i {
        position: absolute;
        inset: auto 0 0 0;
        background: var(--ok);
      }
      @media (max-width: 600px) {
        table {
          border-spacing: 1px;
        }
        th.day {
          width: 36px;
        }
        th[scope="row"] {
          padding-right: var(--space-1);
        }
        th[scope="row"] .date {
          display: none;
        }
        th.total,
        td.total {
          display: none;
        }
        td.hour {
          height: 20px;
          border-radius: 2px;
        }
      }
    `,
  ];

  /** The days, oldest first, each with 24 numbers: the minutes of that hour with a heartbeat. */
  @property({ attribute: false }) accessor days: { date: string; hours: number[] }[] = [];

  render() {
    const now = new Date();
    return html`<div class="scroll">
        <table>
          <caption class="sr-only">Minutes with a heartbeat in each hour of the last ${this.days.length} days, oldest first</caption>
          <thead>
            <tr>
              <th scope="col" class="day"><span class="sr-only">Day</span></th>
              ${HOURS.map((h) => html`<th scope="col"><span class=${h % 6 === 0 ? "" : "sr-only"}>${h % 6 === 0 ? String(h).padStart(2, "0") : hourText(h)}</span></th>`)}
              <th scope="col" class="total">Up</th>
            </tr>
          </thead>
          <tbody>
            ${this.days.map((d) => {
              const total = d.hours.reduce((a, b) => a + b, 0);
              return html`<tr>
                <th scope="row">${weekday(d.date)} <span class="date">${dayOfMonth(d.date)}</span></th>
                ${d.hours.map((m, h) => {
                  const label = cellLabel(d.date, h, m, now);
                  const future = isFuture(d.date, h, now);
                  return html`<td class="hour ${future ? "future" : m > 0 ? "some" : "none"}" title=${label}>
                    <span class="fill" style=${styleMap({ "--fill": String(future ? 0 : Math.min(m, 60) / 60) })}></span><span class="sr-only">${label}</span>
                  </td>`;
                })}
                <td class="total"><span class="sr-only">Up ${d.date}: </span>${minutesText(total)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <div class="legend" aria-hidden="true">
        <span><span class="swatch"></span>No heartbeat</span>
        <span><span class="swatch"><i style="height: 50%"></i></span>Part of the hour</span>
        <span><span class="swatch"><i style="height: 100%"></i></span>The whole hour</span>
        <span><span class="swatch" style="background: transparent; border-style: dashed"></span>Not yet</span>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-health-uptime": EtHealthUptime;
  }
}
