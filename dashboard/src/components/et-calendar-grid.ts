import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import { inMonth, monthTitle, weekdays, weeks, type DaySummary, type Month } from "../lib/calendar.js";
import { longDay } from "../lib/format.js";
import { href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";

/**
 * A month as a grid, Monday first: each day says in words what it holds — how many messages
 * (and opens that day's conversation), reminders fired, reminders to come — and today is marked.
 */
@customElement("et-calendar-grid")
export class EtCalendarGrid extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: block;
      }
      table {
        width: 100%;
        table-layout: fixed;
        border-collapse: separate;
        border-spacing: 0;
        border: 1px solid var(--border);
        border-radius: var(--radius-md);
        overflow: hidden;
        background: var(--bg-elev);
        box-shadow: var(--shadow);
      }
      th {
        font-size: 12px;
        font-weight: 700;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--text-muted);
        padding: var(--space-2);
        text-align: left;
        background: var(--bg-recessed);
        border-bottom: 1px solid var(--border);
      }
      th abbr {
        text-decoration: none;
      }
      td {
        position: relative;
        vertical-align: top;
        height: 112px;
        padding: var(--space-2);
        border-right: 1px solid var(--border);
        border-bottom: 1px solid var(--border);
      }
      td:last-child {
        border-right: 0;
      }
      tr:last-child td {
        border-bottom: 0;
      }
      td.out {
        background: var(--bg-recessed);
      }
      td.out .num {
        color: var(--text-muted);
        font-weight: 400;
      }
      td.talked:hover {
        background: var(--surface-hover);
      }
      .top {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: var(--space-1);
        margin-bottom: var(--space-2);
      }
      .num {
        display: inline-flex;
        align-items: center;
        justify-content: center;
        min-width: 28px;
        height: 28px;
        border-radius: 999px;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      td.today .num {
        background: var(--accent);
        color: var(--on-accent);
      }
      .today-label {
        font-size: 11px;
        font-weight: 700;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--accent);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 3px;
      }
      li {
        font-size: 12px;
        line-height: 1.3;
        padding: 2px 6px;
        border-radius: 4px;
        border-left: 3px solid;
        overflow-wrap: anywhere;
      }
      li.talk {
        background: var(--accent-bg);
        border-left-color: var(--accent);
        font-weight: 600;
      }
      li.fired {
        background: var(--ok-bg);
        border-left-color: var(--ok);
      }
      li.coming {
        background: var(--warn-bg);
        border-left-color: var(--warn);
      }
      a {
        color: var(--text);
        text-decoration: none;
      }
      /* The whole day opens its conversation, not only the words. */
      a::after {
        content: "";
        position: absolute;
        inset: 0;
      }
      a:focus-visible {
        outline: none;
      }
      a:focus-visible::after {
        outline: 3px solid var(--focus);
        outline-offset: -3px;
        border-radius: 2px;
      }
      .short {
        display: none;
      }
      @media (max-width: 720px) {
        th {
          padding: var(--space-1);
          text-align: center;
          font-size: 11px;
          letter-spacing: 0;
        }
        td {
          height: 76px;
          padding: 3px 2px;
        }
        .top {
          justify-content: center;
          margin-bottom: 3px;
        }
        .num {
          min-width: 24px;
          height: 24px;
          font-size: 13px;
        }
        .today-label {
          display: none;
        }
        li {
          font-size: 10.5px;
          padding: 1px 2px;
          border-left-width: 2px;
          text-align: center;
        }
        .long {
          display: none;
        }
        .short {
          display: inline;
        }
      }
    `,
  ];

  @property() accessor personaId = "";
  @property({ attribute: false }) accessor month!: Month;
  @property({ attribute: false }) accessor days: Map<string, DaySummary> = new Map();
  @property() accessor today = "";

  private cell(date: string) {
    const mine = inMonth(date, this.month);
    const s = mine ? this.days.get(date) : undefined;
    const today = date === this.today;
    const classes = [mine ? "" : "out", today ? "today" : "", s?.messages ? "talked" : ""].join(" ");
    return html`<td class=${classes} aria-current=${today ? "date" : nothing}>
      <div class="top">
        <span class="num"><span class="sr-only">${longDay(date)}</span><span aria-hidden="true">${Number(date.slice(8))}</span></span>
        ${today ? html`<span class="today-label">Today</span>` : nothing}
      </div>
      ${s
        ? html`<ul>
            ${s.messages
              ? html`<li class="talk">
                  <a href=${href({ name: "persona", id: this.personaId, tab: "chat", arg: date })}
                    ><span class="sr-only">Conversation of ${longDay(date)}: </span>${s.messages}<span class="long"> ${s.messages === 1 ? "message" : "messages"}</span><span class="short"> msg</span></a>
                </li>`
              : nothing}
            ${s.fired.length
              ? html`<li class="fired">${s.fired.length}<span class="long"> ${s.fired.length === 1 ? "reminder" : "reminders"} fired</span><span class="short"> fired</span></li>`
              : nothing}
            ${s.upcoming.length
              ? html`<li class="coming">${s.upcoming.length}<span class="long"> ${s.upcoming.length === 1 ? "reminder" : "reminders"} to come</span><span class="short"> to come</span></li>`
              : nothing}
          </ul>`
        : nothing}
    </td>`;
  }

  render() {
    return html`<table>
      <caption class="sr-only">${monthTitle(this.month)}, Monday first</caption>
      <thead>
        <tr>
          ${weekdays().map((w) => html`<th scope="col"><abbr title=${w.long}>${w.short}</abbr></th>`)}
        </tr>
      </thead>
      <tbody>
        ${weeks(this.month).map((week) => html`<tr>${week.map((d) => this.cell(d))}</tr>`)}
      </tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-calendar-grid": EtCalendarGrid;
  }
}
