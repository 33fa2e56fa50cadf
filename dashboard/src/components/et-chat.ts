import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import type { MindActivityEvent, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { Conversation, type ChatEntry } from "../lib/chat.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import type { DashboardEvent } from "../lib/events.js";
import { localDay, longDay } from "../lib/format.js";
import { go, href } from "../lib/router.js";
import { controls } from "../styles/tokens.js";
import "./et-composer.js";
import type { EtComposer } from "./et-composer.js";
import "./et-message.js";
import "./et-notice.js";

const DOING: Record<MindActivityEvent["activity"], string> = {
  perceiving: "is looking at what you sent",
  thinking: "is thinking",
  acting: "is using her tools",
  reflecting: "is reflecting",
  idle: "",
};

/** Messages drawn at first, and added each time the person scrolls to the top. */
const PAGE = 150;

const shift = (day: string, by: number) => {
  const d = new Date(`${day}T12:00:00`);
  d.setDate(d.getDate() + by);
  return localDay(d);
};

/**
 * Talking with her: today's messages live (her words stream as a draft, taken back when she
 * does not say them), what she is doing now, any past day by its date, and the composer.
 * After the link comes back the conversation is fetched again and merged by id, so a daemon
 * restart loses and doubles nothing.
 */
@customElement("et-chat")
export class EtChat extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
        min-height: 60vh;
      }
      .days {
        display: flex;
        gap: var(--space-2);
        align-items: center;
        flex-wrap: wrap;
      }
      .days input {
        width: auto;
      }
      .days h2 {
        font-size: var(--size-lg);
        flex: 1;
        min-width: 200px;
      }
      .log {
        display: flex;
        flex-direction: column;
        gap: var(--space-3);
        padding: var(--space-3);
        border-radius: var(--radius-md);
        background: var(--bg-recessed);
        border: 1px solid var(--border);
        height: min(62vh, 900px);
        overflow-y: auto;
        overscroll-behavior: contain;
      }
      .empty {
        margin: auto;
        color: var(--text-muted);
        text-align: center;
        max-width: 420px;
        line-height: 1.6;
      }
      .activity {
        min-height: 22px;
        font-size: var(--size-sm);
        color: var(--text-muted);
        font-style: italic;
      }
      .earlier {
        align-self: center;
      }
      :host([dragging]) .log {
        outline: 3px dashed var(--accent);
      }
    `,
  ];

  @property({ attribute: false }) accessor persona!: PersonaView;
  /** A past day (YYYY-MM-DD) to read, or null for today. */
  @property() accessor day: string | null = null;
  @property({ attribute: false }) accessor connection: Connection | null = null;
  @property({ type: Boolean, reflect: true }) accessor dragging = false;
  @state() accessor version = 0;
  @state() accessor loading = true;
  @state() accessor error = "";
  @state() accessor activity: MindActivityEvent["activity"] = "idle";
  /** How many of the newest messages are drawn: older ones come as the person scrolls up. */
  @state() accessor limit = PAGE;
  @query(".log") accessor log!: HTMLElement;
  @query("et-composer") accessor composer!: EtComposer | null;
  private conversation = new Conversation();
  private pinned = true;
  private readonly subs = new Subscriptions(this, (c) => {
    if (!this.persona) return [];
    const mine = (e: { persona: string }) => e.persona === this.persona.id;
    const bump = () => {
      this.version++;
    };
    return [
      c.watch(this.persona.id),
      c.on("chat:message", (e) => mine(e) && this.today && (this.conversation.pushed(e), bump())),
      c.on("chat:delta", (e) => mine(e) && this.today && (this.conversation.delta(e.draft, e.text), bump())),
      c.on("chat:withdrawn", (e) => mine(e) && (this.conversation.withdraw(e.draft), bump())),
      c.on("mind:activity", (e) => mine(e) && (this.activity = e.activity)),
      c.onResync(() => {
        this.conversation.clearDrafts();
        this.activity = "idle";
        void this.load();
      }),
    ];
  });

  private get today(): boolean {
    return !this.day || this.day === localDay();
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    const before = changed.get("persona") as PersonaView | undefined;
    if ((changed.has("persona") && before?.id !== this.persona.id) || changed.has("day")) {
      if (changed.has("persona") && before && before.id !== this.persona.id) this.subs.renew();
      this.conversation = new Conversation();
      this.pinned = true;
      this.limit = PAGE;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    if (!this.persona) return;
    this.loading = this.conversation.size === 0;
    try {
      const q = this.today ? "" : `?date=${encodeURIComponent(this.day!)}`;
      const r = await api.get<{ messages: ChatEntry[] }>(`/api/persona/${this.persona.id}/conversation${q}`);
      this.conversation.merge(r.messages);
      this.error = "";
      this.version++;
    } catch (err) {
      this.error = explain(err);
    } finally {
      this.loading = false;
    }
  }

  /** Set while older messages are being drawn: the height they add is kept above the view. */
  private anchor: number | null = null;

  protected updated(): void {
    if (!this.log) return;
    if (this.anchor !== null) {
      this.log.scrollTop = this.log.scrollHeight - this.anchor;
      this.anchor = null;
    } else if (this.pinned) this.log.scrollTop = this.log.scrollHeight; // the newest in view, unless the person scrolled up to read
  }

  private onScroll(): void {
    const l = this.log;
    this.pinned = l.scrollHeight - l.scrollTop - l.clientHeight < 40;
    if (l.scrollTop < 80 && this.limit < this.conversation.size) this.earlier();
  }

  private earlier(): void {
    this.anchor = this.log.scrollHeight - this.log.scrollTop;
    this.limit += PAGE;
  }

  private onSent(e: DashboardEvent<"et-sent">): void {
    this.conversation.merge([e.detail]);
    this.pinned = true;
    this.version++;
  }

  private drag(e: DragEvent, on: boolean): void {
    if (!this.today || !e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    this.dragging = on;
  }

  private drop(e: DragEvent): void {
    this.drag(e, false);
    const files = e.dataTransfer?.files;
    if (files?.length && this.today) this.composer?.add(files);
  }

  render() {
    const p = this.persona;
    const all = this.conversation.messages;
    const messages = all.length > this.limit ? all.slice(-this.limit) : all;
    const drafts = this.today ? this.conversation.streaming : [];
    const day = this.day ?? localDay();
    return html`
      <div class="days">
        <h2>${this.today ? "Today" : longDay(day)}</h2>
        <a class="button" href=${href({ name: "persona", id: p.id, tab: "chat", arg: shift(day, -1) })}>← Day before</a>
        ${this.today ? nothing : html`<a class="button" href=${href({ name: "persona", id: p.id, tab: "chat", arg: shift(day, 1) === localDay() ? null : shift(day, 1) })}>Day after →</a>
          <a class="button" href=${href({ name: "persona", id: p.id, tab: "chat", arg: null })}>Today</a>`}
        <label class="sr-only" for="day">Read a day</label>
        <input id="day" type="date" .value=${day} max=${localDay()} @change=${(e: Event) => {
          const v = (e.target as HTMLInputElement).value;
          if (v) go({ name: "persona", id: p.id, tab: "chat", arg: v === localDay() ? null : v });
        }} />
      </div>
      ${this.error ? html`<et-notice heading="The conversation could not be read." .message=${this.error} retry @et-retry=${this.load}></et-notice>` : nothing}
      <div class="log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation with ${p.name}" tabindex="0" @scroll=${this.onScroll}
        @load=${{ handleEvent: () => this.pinned && (this.log.scrollTop = this.log.scrollHeight), capture: true }}
        @dragover=${(e: DragEvent) => this.drag(e, true)} @dragleave=${(e: DragEvent) => this.drag(e, false)} @drop=${this.drop}>
        ${this.loading ? html`<p class="empty" role="status">Reading the conversation…</p>` : nothing}
        ${all.length > messages.length ? html`<button class="earlier" @click=${this.earlier}>Show earlier messages (${all.length - messages.length} more)</button>` : nothing}
        ${!this.loading && !messages.length && !drafts.length
          ? html`<p class="empty">${this.today ? `Nothing said yet today. Write to ${p.name} below; files can be dropped here.` : `Nothing was said on ${longDay(day)}.`}</p>`
          : nothing}
        ${repeat(messages, (m) => m.id, (m) => html`<et-message .entry=${m} .name=${p.name} .personaId=${p.id}></et-message>`)}
        ${drafts.map((m) => html`<et-message .entry=${m} .name=${p.name} .personaId=${p.id} aria-hidden="true"></et-message>`)}
      </div>
      ${this.today
        ? html`<div class="activity" role="status" aria-live="polite">${this.activity !== "idle" ? `${p.name} ${DOING[this.activity]}…` : p.phase === "night" ? `${p.name} is asleep; what you send waits for her morning.` : ""}</div>
            <et-composer .persona=${p} ?dragging=${this.dragging} @et-sent=${this.onSent}></et-composer>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-chat": EtChat;
  }
}
