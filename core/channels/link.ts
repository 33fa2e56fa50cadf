import crypto from "node:crypto";
import { Invalid, isEternegoError } from "../api/errors.js";
import type { ChannelConnection, ChannelPlugin, InboundMessage, PluginLogger } from "../api/plugin.js";
import type { ChannelState } from "../api/types.js";
import type { ChannelFile } from "../persona-store.js";
import { splitText } from "./split.js";

/** What a code is made of: no 0/O, no 1/I, so it reads back without doubt. */
const CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const CODE_TTL_MS = 10 * 60_000;
/** How many handled message ids are kept (a platform redelivers only recent ones). */
const SEEN_KEPT = 2_000;
const MAX_BACKOFF_MS = 60_000;
/** A platform's "is typing" lasts about five seconds: shown again while she still thinks. */
const TYPING_EVERY_MS = 4_000;
/** How long she thinks before the chat is shown she is writing. */
const TYPING_AFTER_MS = 400;

export function newCode(): string {
  return Array.from(crypto.randomBytes(8), (b) => CODE_LETTERS[b % CODE_LETTERS.length]).join("");
}

/** Whether retrying cannot help: the platform refused the credentials (or the plugin said so). */
function permanent(err: unknown): boolean {
  return isEternegoError(err) && (err.status === 400 || err.status === 401 || err.status === 403);
}

/**
 * Whether the platform will never take this one message (a chat that is gone, a text it
 * refuses): `Invalid`. A refused token is not the message's fault — it waits in the outbox for
 * the channel to be put right, and is sent then.
 */
function undeliverable(err: unknown): boolean {
  return isEternegoError(err) && (err.status === 400 || err.status === 403 || err.status === 404);
}

/**
 * A plugin's promise, or what it gave instead, as a promise whose rejection nobody has to
 * catch: a plugin written in plain JavaScript may return nothing, throw at once, or leave a
 * rejection of ours unawaited, and none of that may take the daemon down.
 */
function settled<T>(f: () => T | Promise<T>): Promise<T> {
  const p = Promise.resolve().then(f);
  p.catch(() => {});
  return p;
}

export interface LinkDeps {
  persona: string;
  /** Her name now, for the pairing reply. */
  name(): string;
  plugin: ChannelPlugin;
  credentials: Record<string, string>;
  /** The chats paired with her on this channel now. */
  paired(): ReadonlySet<string>;
  load(): Promise<ChannelFile>;
  save(data: ChannelFile): Promise<void>;
  /** A message from a paired chat (or any, when the channel needs no pairing): into her. */
  deliver(msg: InboundMessage): Promise<void>;
  /** Whether a message id was already written to her conversation (a crash between it and `seen`). */
  known(ref: string): Promise<boolean>;
  state(state: ChannelState, detail: string | null, retryAt: string | null): void;
  log: PluginLogger;
  /** Secrets out of any text that leaves: the plugin's errors may carry a token. */
  scrub(text: string): string;
  retryMs: number;
}

/**
 * One channel of a running persona: its connection kept up (retried with backoff, `failed`
 * when retrying cannot help, never silently dead), the messages that come in (handled once
 * each; an unpaired chat gets a pairing code and never reaches her), and her words going out
 * through a persisted outbox (sent in order, retried until sent, removed once sent).
 */
export class ChannelLink {
  state: ChannelState = "disconnected";
  detail: string | null = null;
  retryAt: string | null = null;
  private conn: ChannelConnection | null = null;
  private abort = new AbortController();
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private file!: ChannelFile;
  private seen = new Set<string>();
  private writes: Promise<void> = Promise.resolve();
  private sending = false;
  private sendTimer: NodeJS.Timeout | null = null;
  private sendFailures = 0;
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: LinkDeps) {}

  get type(): string {
    return this.d.plugin.name;
  }

  /** Loads what it kept and connects (in the background: a platform that is down never holds her start). */
  async start(): Promise<void> {
    await this.load();
    this.reconnect();
  }

  /** What it kept, read once: her words may come before `start` has read it (an answer as she wakes). */
  private loading: Promise<void> | null = null;
  private load(): Promise<void> {
    return (this.loading ??= this.d.load().then((file) => {
      this.file = file;
      this.seen = new Set(file.seen);
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.sendTimer) clearTimeout(this.sendTimer);
    for (const t of this.typingTimers.values()) (clearTimeout(t), clearInterval(t));
    this.typingTimers.clear();
    const conn = this.conn;
    this.conn = null;
    if (conn) await settled(() => conn.close()).catch((err) => this.d.log.warn(`Closing ${this.type} failed: ${this.d.scrub(String(err?.message ?? err))}`));
    // A send in flight is waited for (it was cut off with the connection, or ends) — bounded, so a
    // platform that never answers cannot hold her stop.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([this.flushing, new Promise<void>((r) => (bound = setTimeout(r, 5_000)))]);
    clearTimeout(bound);
    await this.writes;
    this.set("disconnected", null, null);
  }

  private set(state: ChannelState, detail: string | null, retryAt: string | null): void {
    if (this.state === state && this.detail === detail && this.retryAt === retryAt) return;
    this.state = state;
    this.detail = detail;
    this.retryAt = retryAt;
    this.d.state(state, detail, retryAt);
  }

  // ─── the connection ─────────────────────────────────────────────────────────

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.set("connecting", null, null);
    this.abort = new AbortController();
    let conn: ChannelConnection;
    try {
      conn = await this.d.plugin.connect(this.d.credentials, {
        log: this.d.log,
        receive: (msg) => settled(() => this.receive(msg)),
        state: (s) => !this.closed && this.set(s, null, null),
        stored: {
          get: <T>(key: string) => this.file.stored[key] as T | undefined,
          set: (key, value) => settled(() => this.persist(() => void (this.file.stored[key] = value))),
        },
        signal: this.abort.signal,
      });
    } catch (err) {
      return this.lost(err);
    }
    if (typeof conn?.send !== "function" || typeof conn.close !== "function" || typeof (conn.closed as Promise<void> | undefined)?.then !== "function") {
      if (conn && typeof conn.close === "function") void settled(() => conn.close());
      return this.lost(new Invalid(`the plugin's connect() must return { send, close, closed } (see eternego/plugin's ChannelConnection); it returned ${conn === null || typeof conn !== "object" ? String(conn) : `{ ${Object.keys(conn).join(", ")} }`} — the plugin needs fixing`));
    }
    if (this.closed) return void settled(() => conn.close());
    this.conn = conn;
    this.set("connected", null, null);
    this.failures = 0;
    this.flush();
    settled(() => conn.closed).then(
      () => this.conn === conn && this.lost(new Error("the connection ended")),
      (err) => this.conn === conn && this.lost(err),
    );
  }

  private lost(err: unknown): void {
    this.conn = null;
    if (this.closed) return;
    const why = this.d.scrub((err as Error)?.message ?? String(err));
    if (permanent(err)) {
      this.d.log.error(`${this.d.plugin.title} failed and will not be retried: ${why}`);
      this.set("failed", why, null);
      return;
    }
    const wait = Math.min(this.d.retryMs * 2 ** this.failures++, MAX_BACKOFF_MS);
    const at = new Date(Date.now() + wait).toISOString();
    this.d.log.warn(`${this.d.plugin.title} lost (${why}); trying again at ${at}`);
    this.set("retrying", why, at);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reconnect();
    }, wait);
  }

  /** Connects in the background; whatever goes wrong in it is a lost connection, never an unhandled one. */
  private reconnect(): void {
    this.connect().catch((err) => this.lost(err));
  }

  // ─── coming in ──────────────────────────────────────────────────────────────

  private async receive(msg: InboundMessage): Promise<void> {
    if (this.closed) throw new Error("this channel is closing; the message is not taken and comes again");
    const ref = `${msg.chat}:${msg.id}`;
    if (this.seen.has(ref)) return;
    const pairing = this.d.plugin.pairing !== false;
    if (pairing && !this.d.paired().has(msg.chat)) {
      await this.pairingReply(msg);
    } else if (this.caughtUp || !(await this.d.known(ref))) {
      // Messages come in order, each written before the next is taken: after a crash only the
      // first ones given again can be in her conversation already, so once one is not, none is.
      this.caughtUp = true;
      await this.d.deliver(msg);
    }
    await this.persist(() => {
      this.seen.add(ref);
      this.file.seen = [...this.seen].slice(-SEEN_KEPT);
      if (this.seen.size > SEEN_KEPT) this.seen = new Set(this.file.seen);
    });
  }

  /** A chat she does not know yet: the same code while it is valid, and what to do with it. */
  private async pairingReply(msg: InboundMessage): Promise<void> {
    const now = Date.now();
    let pending = this.file.pending.find((p) => p.chat === msg.chat && Date.parse(p.expires) > now);
    if (!pending) {
      pending = { chat: msg.chat, ...(msg.from ? { from: msg.from } : {}), code: newCode(), expires: new Date(now + CODE_TTL_MS).toISOString() };
      await this.persist(() => {
        this.file.pending = [...this.file.pending.filter((p) => p.chat !== msg.chat && Date.parse(p.expires) > now), pending!];
        // A reply still waiting (the platform was down) carries the code that expired: the new one replaces it.
        this.file.outbox = this.file.outbox.filter((o) => !(o.chat === msg.chat && o.pairing));
      });
    }
    // One pairing reply waiting per chat at most: a stranger's flood does not fill the outbox ahead of her words.
    if (this.file.outbox.some((o) => o.chat === msg.chat && o.pairing)) return;
    const minutes = Math.max(1, Math.round((Date.parse(pending.expires) - now) / 60_000));
    await this.say(
      msg.chat,
      `Hello! This is ${this.d.name()}. Before I can talk with you here, pair this chat: enter the code ${pending.code} in my Channels screen on the Eternego dashboard (or POST /api/persona/${this.d.persona}/pair). It is valid for ${minutes} more minute${minutes === 1 ? "" : "s"}.`,
      true,
    );
  }

  /** The chat a pairing code was given to, if it is one of this channel's and still valid; the code is used up. */
  async redeem(code: string): Promise<{ chat: string; from?: string } | null> {
    await this.load();
    const now = Date.now();
    const hit = this.file.pending.find((p) => p.code === code && Date.parse(p.expires) > now);
    if (!hit) return null;
    await this.persist(() => void (this.file.pending = this.file.pending.filter((p) => p !== hit && Date.parse(p.expires) > now)));
    return { chat: hit.chat, ...(hit.from ? { from: hit.from } : {}) };
  }

  // ─── going out ──────────────────────────────────────────────────────────────

  /** Her words to a chat: split to fit, written to the outbox, sent in order. */
  async say(chat: string, text: string, pairing = false): Promise<void> {
    this.stopTyping(chat);
    await this.load();
    const parts = splitText(text, this.d.plugin.maxText);
    if (!parts.length) return;
    await this.persist(() => {
      for (const p of parts) this.file.outbox.push({ id: crypto.randomUUID(), chat, text: p, ...(pairing ? { pairing } : {}) });
    });
    this.flush();
  }

  /** Sends what waits, one at a time, oldest first; a failure waits (backoff) and tries the same one again. */
  private flush(): void {
    if (this.sending || this.sendTimer || !this.conn || this.closed) return;
    this.sending = true;
    this.flushing = (async () => {
      try {
        while (this.conn && !this.closed && this.file.outbox.length) {
          const next = this.file.outbox[0]!;
          try {
            await this.conn.send(next.chat, next.text, next.id);
          } catch (err) {
            const why = this.d.scrub((err as Error)?.message ?? String(err));
            if (undeliverable(err)) {
              // The platform will never take this one (a chat that is gone): it is dropped, the rest go on.
              this.d.log.error(`${this.d.plugin.title} refused a message to chat ${next.chat} for good, so it is dropped: ${why}`);
            } else {
              // A platform that said how long to wait (a 429's retry_after) is waited for that long at least.
              const asked = Number((err as { retryAfterMs?: unknown })?.retryAfterMs);
              const wait = Math.max(Math.min(this.d.retryMs * 2 ** this.sendFailures++, MAX_BACKOFF_MS), Number.isFinite(asked) ? Math.min(asked, 10 * MAX_BACKOFF_MS) : 0);
              this.d.log.warn(`${this.d.plugin.title} could not send (${why}); trying again in ${wait} ms`);
              this.sendTimer = setTimeout(() => {
                this.sendTimer = null;
                this.flush();
              }, wait);
              return;
            }
          }
          this.sendFailures = 0;
          await this.persist(() => void (this.file.outbox = this.file.outbox.filter((o) => o.id !== next.id)));
        }
      } finally {
        this.sending = false;
      }
    })().catch((err) => this.d.log.error(`Sending on ${this.type} stopped: ${this.d.scrub((err as Error)?.message ?? String(err))}`));
  }
  /** The send loop under way, so closing waits for a send in flight to be recorded. */
  private flushing: Promise<void> = Promise.resolve();

  /** Shows her writing in a chat until she says something there (or `stopTyping`). */
  typing(chat: string): void {
    const conn = this.conn;
    if (!conn?.typing || this.typingTimers.has(chat) || this.closed) return;
    const show = () => void settled(() => this.conn?.typing?.(chat));
    // Only once she has been thinking a moment: an answer that comes at once needs no "typing…".
    this.typingTimers.set(
      chat,
      setTimeout(() => {
        if (!this.typingTimers.has(chat)) return;
        show();
        this.typingTimers.set(chat, setInterval(show, TYPING_EVERY_MS));
      }, TYPING_AFTER_MS),
    );
  }

  stopTyping(chat: string): void {
    const t = this.typingTimers.get(chat);
    if (t) (clearTimeout(t), clearInterval(t));
    this.typingTimers.delete(chat);
  }

  /** Whether it is being closed: work for it now is given up (and comes again). */
  get closing(): boolean {
    return this.closed;
  }

  /** How many of her words wait to be sent. */
  get waiting(): number {
    return this.file?.outbox.length ?? 0;
  }

  /** One change to what it keeps, then written: changes are applied and written in order. */
  private persist(change: () => void): Promise<void> {
    // Changes asked for while a write is under way are applied together and written once after it.
    if (this.batch) {
      this.batch.changes.push(change);
      return this.batch.done;
    }
    const batch = { changes: [change], done: Promise.resolve() };
    this.batch = batch;
    batch.done = this.writes.then(async () => {
      this.batch = null;
      for (const c of batch.changes) c();
      await this.d.save(this.file);
    });
    this.writes = batch.done.catch((err) => this.d.log.error(`Could not keep the state of ${this.type}: ${(err as Error).message}`));
    return batch.done;
  }
  private batch: { changes: (() => void)[]; done: Promise<void> } | null = null;
  /** Whether a message was found new since this link started (see `receive`). */
  private caughtUp = false;
}
