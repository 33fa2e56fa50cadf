import crypto from "node:crypto";
import { BodyTooLarge, Invalid, Unauthorized, readText } from "eternego/plugin";

/** Where Discord's HTTP API lives when `api_url` is left empty. */
export const DISCORD_API = "https://discord.com/api";
const VERSION = "v10";
const TIMEOUT_MS = 15_000;
// Discord asks every bot to say what it is: `DiscordBot ($url, $version)`.
const USER_AGENT = "DiscordBot (https://discord.com/developers/docs/intro, 1.0.0) Eternego";

/** Her account on Discord, as `users/@me` and READY give it. */
export interface DiscordUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface GatewayBot {
  url: string;
  session_start_limit?: { remaining?: number; reset_after?: number };
}

/** An answer Discord gave that was not a success: its status, Discord's own code and message. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: number | null,
    readonly message: string,
    readonly retryAfter: number | null,
  ) {}
}

export const HOW_TO_FIX_TOKEN =
  "Copy the bot token again from the Discord Developer Portal (your application → Bot → Reset Token) and add the channel with the new one.";

/**
 * Discord's REST API for one bot: the few calls a persona needs (who she is, where the
 * gateway is, a message, "is typing"). The token only ever travels in the Authorization
 * header; no message this throws carries it.
 */
export class DiscordRest {
  readonly base: string;

  /**
   * @param onRevoked called with what she was doing when Discord refused the token while the
   *   channel is up: retrying a send cannot help then, and the gateway is told so it ends as `failed`.
   */
  constructor(
    apiUrl: string | undefined,
    private readonly token: string,
    private readonly signal?: AbortSignal,
    private readonly onRevoked?: (doing: string) => void,
  ) {
    this.base = baseOf(apiUrl);
  }

  /** Who the token belongs to: the check `validate` makes. */
  async me(): Promise<DiscordUser> {
    const r = await this.call<DiscordUser>("GET", "/users/@me");
    if (r instanceof Refusal) {
      if (r.status === 401) throw new Invalid(`Channel 'discord' refused the token: Discord answered 401 Unauthorized. ${HOW_TO_FIX_TOKEN}`);
      throw this.unexpected(r, "checking the token");
    }
    if (typeof r?.username !== "string") throw new Error(`Discord at ${this.base} answered users/@me without a username: is api_url Discord's API?`);
    return r;
  }

  /** The gateway to connect to, as real bots ask for it (the URL is Discord's to change). */
  async gateway(): Promise<string> {
    const r = await this.call<GatewayBot>("GET", "/gateway/bot");
    if (r instanceof Refusal) {
      if (r.status === 401) throw new Unauthorized(`Channel 'discord': Discord refused the token (401 Unauthorized); it was reset or the bot was deleted. ${HOW_TO_FIX_TOKEN}`);
      throw this.unexpected(r, "asking for the gateway");
    }
    if (typeof r?.url !== "string") throw new Error(`Discord at ${this.base} answered gateway/bot without a gateway url`);
    const limit = r.session_start_limit;
    if (limit?.remaining === 0) {
      const wait = Math.ceil((limit.reset_after ?? 0) / 60_000);
      throw new Error(`Discord allows this bot no more new sessions today; it allows them again in about ${wait} minute${wait === 1 ? "" : "s"}`);
    }
    return r.url;
  }

  /**
   * One message to a channel. A message Discord will never take (too long, empty, a chat
   * that is gone or closed to her) is `Invalid`, so it is dropped; a rate limit (with its
   * wait as `retryAfterMs`), a server error or no answer is a plain error, so it is tried
   * again — with the same nonce, which Discord enforces: a try whose answer was lost but
   * whose message was made gives that message back instead of a second one.
   */
  async send(channel: string, content: string, ref: string): Promise<void> {
    const r = await this.call("POST", `/channels/${encodeURIComponent(channel)}/messages`, { content, nonce: nonceOf(ref), enforce_nonce: true, allowed_mentions: { parse: [] } });
    if (r instanceof Refusal) throw this.sendRefusal(r, channel, "a message");
  }

  /** A DM's messages after `after` (at most 100): what she missed while no session was up. Throws `Invalid` for a chat gone or closed to her. */
  async history(channel: string, after: string): Promise<unknown[]> {
    const r = await this.call<unknown[]>("GET", `/channels/${encodeURIComponent(channel)}/messages?after=${encodeURIComponent(after)}&limit=100`);
    if (r instanceof Refusal) {
      if (r.status === 401) this.onRevoked?.("read a chat's history");
      throw r.status === 403 || r.status === 404 ? new Invalid(`Discord refused to show channel ${channel}: ${said(r)}`) : new Error(`Discord answered ${said(r)} when asked for channel ${channel}'s messages`);
    }
    return Array.isArray(r) ? r : [];
  }

  async typing(channel: string): Promise<void> {
    const r = await this.call("POST", `/channels/${encodeURIComponent(channel)}/typing`);
    if (r instanceof Refusal) throw this.sendRefusal(r, channel, "typing");
  }

  private sendRefusal(r: Refusal, channel: string, what: "a message" | "typing"): Error {
    if (r.status === 401) {
      // Not Invalid: her words stay in the outbox until the token is fixed; the channel is failed instead.
      this.onRevoked?.(what === "typing" ? "showed she was typing" : "sent a message");
      return new Error(`Discord refused the token (401 Unauthorized) when she sent ${what}; the channel stops until the token is fixed`);
    }
    if (r.status === 400 || r.status === 403 || r.status === 404) return new Invalid(`Discord refused ${what} to channel ${channel}: ${said(r)}`);
    if (r.status === 429) {
      const err = new Error(`Discord is rate limiting her${r.retryAfter !== null ? ` (retry after ${r.retryAfter} s)` : ""}`);
      return r.retryAfter !== null ? Object.assign(err, { retryAfterMs: Math.ceil(r.retryAfter * 1000) }) : err;
    }
    return new Error(`Discord answered ${said(r)} to ${what} for channel ${channel}`);
  }

  private unexpected(r: Refusal, doing: string): Error {
    return r.status >= 400 && r.status < 500 && r.status !== 429 ? new Invalid(`Channel 'discord': Discord answered ${said(r)} when ${doing}`) : new Error(`Discord answered ${said(r)} when ${doing}`);
  }

  /** One request; the parsed answer on success, Discord's refusal otherwise; throws only when Discord could not be reached. */
  private async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T | Refusal> {
    const url = `${this.base}/${VERSION}${path}`;
    const signals = [AbortSignal.timeout(TIMEOUT_MS), ...(this.signal ? [this.signal] : [])];
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bot ${this.token}`, "user-agent": USER_AGENT, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      throw new Error(`Discord could not be reached at ${this.base}: ${reasonOf(err)}`);
    }
    let text: string;
    try {
      text = await readText(res);
    } catch (err) {
      if (err instanceof BodyTooLarge) throw new Error(`Discord at ${this.base} answered, but ${err.message}`);
      throw new Error(`Discord's answer at ${this.base} was cut off: ${reasonOf(err)}`);
    }
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    if (res.ok) return parsed as T;
    const retry = Number(parsed?.retry_after ?? res.headers.get("retry-after") ?? NaN);
    return new Refusal(res.status, typeof parsed?.code === "number" ? parsed.code : null, typeof parsed?.message === "string" ? parsed.message : res.statusText, Number.isFinite(retry) ? retry : null);
  }
}

/** Discord takes nonces of at most 25 characters: the outbox's id for a message, made to fit. */
function nonceOf(ref: string): string {
  return crypto.createHash("sha256").update(ref).digest("base64url").slice(0, 25);
}

/** A refusal in Discord's words: `404 Unknown Channel (code 10003)`; its message often repeats the status. */
function said(r: Refusal): string {
  const text = r.message.startsWith(String(r.status)) ? r.message : `${r.status} ${r.message}`;
  return `${text}${r.code ? ` (code ${r.code})` : ""}`;
}

/** `api_url` as given (no trailing slash), or Discord's own; anything but an http(s) URL is refused. */
function baseOf(apiUrl: string | undefined): string {
  const given = (apiUrl ?? "").trim();
  if (!given) return DISCORD_API;
  let u: URL;
  try {
    u = new URL(given);
  } catch {
    throw new Invalid(`Channel 'discord': api_url '${given}' is not a URL; leave it empty for ${DISCORD_API}.`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Invalid(`Channel 'discord': api_url must be an http(s) URL, like ${DISCORD_API}.`);
  return given.replace(/\/+$/, "");
}

/** Why a request never got an answer, in the words of the network (ECONNREFUSED, a timeout). */
export function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return `no answer within ${TIMEOUT_MS / 1000} s`;
  if (e?.name === "AbortError") return "the channel was closed";
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
