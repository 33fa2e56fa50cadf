import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { ChannelStateEvent, ChannelView, PersonaView } from "eternego/plugin/shared";
import { api, explain } from "../lib/api.js";
import { channelKinds, stateWords, withState, type ChannelKind } from "../lib/channels.js";
import { Subscriptions, type Connection } from "../lib/connection.js";
import { controls } from "../styles/tokens.js";
import "./et-channels-add.js";
import "./et-channels-card.js";
import "./et-channels-pair.js";
import "./et-confirm-dialog.js";
import type { EtConfirmDialog } from "./et-confirm-dialog.js";
import "./et-notice.js";

/** What decides which channels she has (not where each is): a change of it is fetched again. */
const shape = (p: PersonaView) => JSON.stringify([p.running, p.channels.map((c) => [c.type, c.name, c.verified])]);

/**
 * Her channels: each with its account, whether a chat on it is hers, and where its
 * connection is — followed live from `channel:state` and fetched again after the link to the
 * daemon comes back; adding one (a form made from what its plugin declares), pairing a chat
 * with the code she sent there, and removing one after asking.
 */
@customElement("et-channels")
export class EtChannels extends LitElement {
  static styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--space-4);
        max-width: 1040px;
        container-type: inline-size;
      }
      .top {
        display: flex;
        flex-direction: column;
        gap: var(--space-1);
      }
      h2 {
        font-size: var(--size-xl);
      }
      .intro {
        margin: 0;
        color: var(--text-muted);
        line-height: 1.55;
        max-width: 720px;
      }
      ul.list {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(290px, 1fr));
        gap: var(--space-3);
      }
      .forms {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: var(--space-4);
        align-items: start;
      }
      @container (min-width: 760px) {
        .forms.two {
          grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
        }
      }
      .loading {
        color: var(--text-muted);
      }
      .done {
        margin: 0;
        color: var(--ok);
        font-size: var(--size-sm);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) accessor persona: PersonaView | null = null;
  @property({ attribute: false }) accessor connection: Connection | undefined = undefined;
  @state() accessor channels: ChannelView[] | null = null;
  @state() accessor kinds: ChannelKind[] = [];
  @state() accessor error = "";
  /** The last change of state, said to screen readers. */
  @state() accessor announced = "";
  /** The channel being removed (its dialog is open). */
  @state() accessor removing: ChannelView | null = null;
  @state() accessor removeBusy = false;
  @state() accessor removeError = "";
  @state() accessor removed = "";
  @query("et-confirm-dialog") accessor dialog!: EtConfirmDialog;
  private asked = 0;
  private lastShape = "";
  /** States heard per channel while a fetch was on its way, with when: a fetch that started before one keeps the event's. */
  private readonly heard = new Map<string, { at: number; e: ChannelStateEvent }>();
  private readonly subs = new Subscriptions(this, (c) => {
    const id = this.persona?.id;
    if (!id) return [];
    return [c.watch(id), c.on("channel:state", (e) => e.persona === id && this.hear(e)), c.onResync(() => void this.load())];
  });

  protected willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has("persona") || !this.persona) return;
    const before = changed.get("persona") as PersonaView | null | undefined;
    const now = shape(this.persona);
    if (before?.id !== this.persona.id) {
      if (before) this.subs.renew();
      this.channels = null;
      this.heard.clear();
      this.announced = this.removed = "";
      this.lastShape = now;
      void this.load();
    } else if (now !== this.lastShape) {
      this.lastShape = now;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    const id = this.persona?.id;
    if (!id) return;
    const ask = ++this.asked;
    const started = performance.now();
    try {
      const [r, kinds] = await Promise.all([api.get<{ channels: ChannelView[] }>(`/api/persona/${id}/channels`), channelKinds()]);
      if (ask !== this.asked) return;
      this.kinds = kinds;
      this.channels = r.channels.map((c) => {
        const h = this.heard.get(c.type);
        return h && h.at > started ? withState(c, h.e) : c;
      });
      this.error = "";
    } catch (err) {
      if (ask === this.asked) this.error = explain(err);
    }
  }

  private hear(e: ChannelStateEvent): void {
    this.heard.set(e.type, { at: performance.now(), e });
    const list = this.channels;
    if (!list) return;
    if (!list.some((c) => c.type === e.type)) return void this.load();
    this.channels = list.map((c) => (c.type === e.type ? withState(c, e) : c));
    const c = this.channels.find((x) => x.type === e.type)!;
    this.announced = `${this.kindOf(e.type)?.title ?? e.type}: ${stateWords(c, this.persona!.running, this.kindOf(e.type)).text}`;
  }

  private kindOf(type: string): ChannelKind | undefined {
    return this.kinds.find((k) => k.name === type);
  }

  /**
   * A channel the daemon just answered with (added, or a chat paired): in the list at once. Its
   * connection may have moved on while the answer travelled (connected before the page got
   * the 201): a state heard since it was asked for is newer than the answer's.
   */
  private put({ channel, asked }: { channel: ChannelView; asked: number }): void {
    const list = this.channels ?? [];
    const h = this.heard.get(channel.type);
    const now = h && h.at > asked ? withState(channel, h.e) : channel;
    this.channels = list.some((c) => c.type === channel.type) ? list.map((c) => (c.type === channel.type ? now : c)) : [...list, now];
    this.removed = "";
  }

  private async askRemove(type: string): Promise<void> {
    this.removing = this.channels?.find((c) => c.type === type) ?? null;
    this.removeError = "";
    this.removed = "";
    if (!this.removing) return;
    // The dialog names the channel: drawn with it before it opens.
    await this.updateComplete;
    await this.dialog.show();
  }

  private async removeChannel(): Promise<void> {
    const c = this.removing;
    const p = this.persona;
    if (!c || !p) return;
    const title = this.kindOf(c.type)?.title ?? c.type;
    this.removeBusy = true;
    this.removeError = "";
    try {
      await api.post(`/api/persona/${p.id}/channels/${encodeURIComponent(c.type)}/remove`);
      this.dialog.close();
      this.channels = (this.channels ?? []).filter((x) => x.type !== c.type);
      this.removed = `Removed ${title} (${c.name}): she no longer listens there.`;
      this.removing = null;
      // Its button is gone with it: focus goes to what happened, not to the top of the page.
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>("p.done")?.focus();
    } catch (err) {
      this.removeError = explain(err);
    } finally {
      this.removeBusy = false;
    }
  }

  private dialogFor(c: ChannelView | null) {
    const title = c ? (this.kindOf(c.type)?.title ?? c.type) : "";
    return html`<et-confirm-dialog heading=${c ? `Remove ${title} (${c.name})?` : ""} confirmLabel=${`Remove ${title}`} busyLabel="Removing…" ?busy=${this.removeBusy} .error=${this.removeError} @et-confirm=${this.removeChannel}>
      <p>She stops listening on ${title} at once. Its credentials, the chats paired with her there and any of her words still waiting to be sent are removed from this machine.</p>
      <p>Adding it again takes its credentials again, and each chat must be paired again.</p>
    </et-confirm-dialog>`;
  }

  render() {
    const p = this.persona;
    if (!p) return nothing;
    const top = html`<div class="top">
      <h2>Channels</h2>
      <p class="intro">Where she talks with you. This page and the HTTP API are always hers; on other platforms she listens once a chat is paired.</p>
    </div>`;
    const list = this.channels;
    if (!list) {
      return html`${top}${this.error
          ? html`<et-notice heading="Her channels could not be read." .message=${this.error} retry @et-retry=${this.load}></et-notice>`
          : html`<p class="loading" role="status">Reading her channels…</p>`}`;
    }
    const addable = this.kinds.filter((k) => !k.always);
    // The channels of hers a chat must be paired on (one whose plugin did not load is taken to need it).
    const needPairing = list.filter((c) => {
      const k = this.kindOf(c.type);
      return k ? k.pairing && !k.always : true;
    });
    const titles = Object.fromEntries(needPairing.map((c) => [c.type, this.kindOf(c.type)?.title ?? c.type]));
    const pairing = Object.keys(titles).length > 0;
    return html`
      ${top}
      ${this.error ? html`<et-notice heading="Her channels could not be read again; this is what they were." .message=${this.error} retry @et-retry=${this.load}></et-notice>` : nothing}
      <ul class="list" aria-label="Her channels">
        ${list.map((c) => html`<li><et-channels-card .channel=${c} .kind=${this.kindOf(c.type)} ?running=${p.running} @et-channel-remove=${(e: CustomEvent<{ type: string }>) => void this.askRemove(e.detail.type)}></et-channels-card></li>`)}
      </ul>
      <p class="sr-only" role="status" aria-live="polite">${this.announced}</p>
      ${this.removed ? html`<p class="done" role="status" tabindex="-1">${this.removed}</p>` : nothing}
      <div class="forms ${pairing ? "two" : ""}">
        <et-channels-add .persona=${p} .kinds=${addable} .have=${list} @et-channel-added=${(e: CustomEvent<{ channel: ChannelView; asked: number }>) => this.put(e.detail)}></et-channels-add>
        ${pairing ? html`<et-channels-pair .persona=${p} .titles=${titles} @et-channel-paired=${(e: CustomEvent<{ channel: ChannelView; asked: number }>) => this.put(e.detail)}></et-channels-pair>` : nothing}
      </div>
      ${this.dialogFor(this.removing)}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "et-channels": EtChannels;
  }
}
