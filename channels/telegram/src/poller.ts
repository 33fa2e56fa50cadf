import { Invalid, Unauthorized, type ChannelConnection, type ChannelContext } from "eternego/plugin";
import { ApiFault, type BotApi } from "./bot-api.js";
import { inbound, type TgUpdate } from "./inbound.js";

/** Seconds one getUpdates waits for news; `ETERNEGO_TELEGRAM_POLL_S` (tests make it short). */
export function pollSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.ETERNEGO_TELEGRAM_POLL_S);
  return Number.isInteger(n) && n >= 0 && n <= 50 ? n : 25;
}

/** How long past its own timeout a getUpdates may stay silent before the connection is taken for dead. */
const POLL_GRACE_MS = 15_000;
const SEND_TIMEOUT_MS = 30_000;
/** The longest wait a 429 is honoured with inside a call; a longer one is left to the daemon's backoff. */
const MAX_WAIT_S = 60;

const sleep = (s: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, s * 1000);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });

/** A chat id as the Bot API takes it: a number when it is one (it also takes `@channel` names). */
const chatId = (chat: string) => (/^-?\d+$/.test(chat) && Number.isSafeInteger(Number(chat)) ? Number(chat) : chat);

/**
 * Why polling cannot go on, as the daemon reads it: `Unauthorized`/`Invalid` when trying again
 * cannot help (a revoked token, a webhook in the way), a plain Error when it may (the network,
 * Telegram's own trouble, another program polling the same bot for a while).
 */
function pollError(err: unknown): Error {
  if (!(err instanceof ApiFault)) return err instanceof Error ? err : new Error(String(err));
  if (err.status === 401) {
    return new Unauthorized("Channel 'telegram': Telegram refused the token (401 Unauthorized) — it was revoked or replaced in @BotFather. Add the channel again with the bot's current token.");
  }
  if (err.status === 404) {
    return new Invalid("Channel 'telegram': the Bot API server answered 404 Not Found, as it does for a token that is not one, or an address that is not a Bot API server. Check the token and the 'Bot API server' setting, then add the channel again.");
  }
  if (err.status === 409 && /webhook/i.test(err.description)) {
    return new Invalid(
      "Channel 'telegram': this bot has a webhook set, so Telegram delivers its messages there and not to Eternego. Remove the webhook (open https://api.telegram.org/bot<your token>/deleteWebhook in a browser), then add the channel again.",
    );
  }
  if (err.status === 409) return new Error(`another program is reading this bot's messages (Telegram: ${err.description}); only one may — stop the other one`);
  if (err.status === null) return new Error(err.description);
  return new Error(`Telegram answered getUpdates with ${err.status} ${err.description}`);
}

/** Why a send failed, as the outbox reads it: `Invalid` when Telegram will never take that message (it is dropped). */
function sendError(err: unknown, chat: string): Error {
  if (!(err instanceof ApiFault)) return err instanceof Error ? err : new Error(String(err));
  if (err.status === 400 || err.status === 403) return new Invalid(`Telegram refused a message to chat ${chat}: ${err.description}`);
  if (err.status === 429) return new Error(`Telegram asks to wait ${err.retryAfter ?? "a while"} s before sending more (429 ${err.description})`);
  if (err.status === null) return new Error(`the message to chat ${chat} was not sent: ${err.description}`);
  return new Error(`Telegram could not take a message to chat ${chat}: ${err.status} ${err.description}`);
}

/**
 * One bot's updates, by long polling. The offset kept for her is moved past an update only
 * once the daemon has taken it (`ctx.receive` resolved): a message that was not taken — she is
 * stopping, or the daemon went down — is confirmed to Telegram by no later getUpdates, so it
 * comes again, and the daemon's record of handled ids keeps it from being taken twice.
 */
export class Poller {
  private offset: number | undefined;
  private readonly abort = new AbortController();
  private readonly signal: AbortSignal;
  private readonly pollS = pollSeconds();
  private settle!: { resolve(): void; reject(err: Error): void };
  readonly closed: Promise<void>;

  constructor(
    private readonly api: BotApi,
    private readonly ctx: ChannelContext,
  ) {
    this.signal = AbortSignal.any([ctx.signal, this.abort.signal]);
    const stored = ctx.stored.get<number>("offset");
    this.offset = Number.isInteger(stored) ? stored : undefined;
    this.closed = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // The daemon reads `closed` only while it holds the connection; a rejection nobody reads is not a crash.
    this.closed.catch(() => {});
  }

  /**
   * The first getUpdates, answered at once: the token works and no webhook is in the way, so
   * the connection is up when this resolves. What it brought is handled by the loop after.
   */
  async open(): Promise<ChannelConnection> {
    let first: TgUpdate[];
    try {
      first = await this.poll(0);
    } catch (err) {
      throw pollError(err);
    }
    this.ctx.state("connected");
    void this.run(first);
    return {
      send: (chat, text) => this.send(chat, text),
      typing: (chat) => this.typing(chat),
      closed: this.closed,
      close: async () => {
        this.abort.abort();
        this.settle.resolve();
      },
    };
  }

  private async poll(timeout: number): Promise<TgUpdate[]> {
    for (;;) {
      try {
        const got = await this.api.call<unknown>(
          "getUpdates",
          { ...(this.offset !== undefined ? { offset: this.offset } : {}), timeout, allowed_updates: ["message"] },
          { signal: this.signal, timeoutMs: timeout * 1000 + POLL_GRACE_MS },
        );
        if (!Array.isArray(got)) throw new Error("Telegram answered getUpdates with something that is not a list of updates");
        return got as TgUpdate[];
      } catch (err) {
        // Flood control says how long to wait: waited here, so the daemon's retries do not hammer it.
        if (!(err instanceof ApiFault) || err.status !== 429 || this.signal.aborted) throw err;
        this.ctx.log.warn(`Telegram asked to wait ${err.retryAfter ?? 1} s before polling again`);
        await sleep(Math.min(err.retryAfter ?? 1, MAX_WAIT_S), this.signal);
        if (this.signal.aborted) throw err;
      }
    }
  }

  private async run(batch: TgUpdate[]): Promise<void> {
    try {
      for (;;) {
        for (const update of batch) if (!(await this.take(update))) return;
        if (this.signal.aborted) return;
        batch = await this.poll(this.pollS);
      }
    } catch (err) {
      if (this.signal.aborted) return this.settle.resolve();
      this.settle.reject(pollError(err));
    }
  }

  /** One update into the daemon, then past it. False when she stopped taking messages (it comes again). */
  private async take(update: TgUpdate): Promise<boolean> {
    // An id Telegram can give (a safe whole number): one past it would skip every real update after it.
    if (!Number.isSafeInteger(update?.update_id) || update.update_id < 0) return true;
    if (this.offset !== undefined && update.update_id < this.offset) return true; // confirmed before
    const msg = inbound(update, this.api);
    if (msg) {
      try {
        await this.ctx.receive(msg);
      } catch (err) {
        if (this.signal.aborted) return false;
        // Not taken, and not confirmed: it comes again when the daemon connects anew.
        throw new Error(`a message could not be taken in, so it will come again: ${this.api.hide((err as Error)?.message ?? String(err))}`);
      }
    }
    this.offset = update.update_id + 1;
    await this.ctx.stored.set("offset", this.offset);
    return true;
  }

  private async send(chat: string, text: string): Promise<void> {
    try {
      // Not cut off when the channel closes: a message Telegram took must be known as sent, or it would go twice.
      await this.api.call("sendMessage", { chat_id: chatId(chat), text }, { timeoutMs: SEND_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof ApiFault && err.status === 429) await sleep(Math.min(err.retryAfter ?? 1, MAX_WAIT_S), this.signal);
      throw sendError(err, chat);
    }
  }

  private async typing(chat: string): Promise<void> {
    try {
      await this.api.call("sendChatAction", { chat_id: chatId(chat), action: "typing" }, { signal: this.signal, timeoutMs: 10_000 });
    } catch (err) {
      throw sendError(err, chat);
    }
  }
}
