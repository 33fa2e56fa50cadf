import fs from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BodyTooLarge, Invalid, readText } from "eternego/plugin";

export const DEFAULT_SERVER = "https://api.telegram.org";

/**
 * What the Bot API answered instead of a result, or why it could not answer: `status` is the
 * `error_code` it gave (null when it was not reached, or answered with something that is not
 * the Bot API). Its message never holds the token: every URL of the Bot API does.
 */
export class ApiFault extends Error {
  constructor(
    readonly method: string,
    readonly status: number | null,
    readonly description: string,
    /** `parameters.retry_after` of a 429: how many seconds to wait. */
    readonly retryAfter?: number,
  ) {
    super(`${method}: ${status === null ? description : `${status} ${description}`}`);
  }
}

/** A file larger than she may take: refused while it streams, and what came of it removed. */
class TooBig extends Error {}

/** How a request may end early: the caller giving up (closing), or silence for too long. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs: number;
}

/** A bot token as @BotFather gives it: the bot's id, a colon, then the secret part. */
const TOKEN_SHAPE = /^\d{3,}:[A-Za-z0-9_-]{20,}$/;

/**
 * One bot on one Bot API server: its methods called as `POST <server>/bot<token>/<method>`
 * with a JSON body, its files fetched from `<server>/file/bot<token>/<path>`.
 */
export class BotApi {
  readonly server: string;
  private readonly token: string;

  /** Checks the credentials' shape before anything is sent (a token with a `/` would change the URL). Throws `Invalid`. */
  constructor(credentials: Record<string, string>) {
    this.token = (credentials.token ?? "").trim();
    if (!TOKEN_SHAPE.test(this.token)) {
      throw new Invalid(
        "Channel 'telegram' refused the token: it does not look like a bot token, which is the bot's number, a colon and about 35 letters (123456789:AAE…). Copy it whole from @BotFather (/mybots → your bot → API Token).",
      );
    }
    this.server = serverOf(credentials.api_url ?? "");
  }

  /** Calls one method; its `result`, or an `ApiFault`. An abort by `opts.signal` passes through as it is. */
  async call<T>(method: string, params: Record<string, unknown>, opts: CallOptions): Promise<T> {
    const res = await this.fetch(method, `${this.server}/bot${this.token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    }, opts);
    let text: string;
    try {
      text = await readText(res);
    } catch (err) {
      if (err instanceof BodyTooLarge) throw new ApiFault(method, null, `the server at ${this.server} answered, but ${err.message} — is 'Bot API server' a Telegram Bot API server?`);
      throw this.cut(method, err, opts);
    }
    let body: { ok?: unknown; result?: unknown; error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } };
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiFault(method, null, `the server at ${this.server} answered HTTP ${res.status} with something that is not the Bot API's JSON — is 'Bot API server' a Telegram Bot API server?`);
    }
    if (body?.ok === true) return body.result as T;
    const status = typeof body?.error_code === "number" ? body.error_code : res.status;
    const description = typeof body?.description === "string" ? this.hide(body.description) : `HTTP ${res.status}`;
    // A wait Telegram can mean (a second or more): anything else is no wait said, and the callers' own applies.
    const asked = body?.parameters?.retry_after;
    const retryAfter = typeof asked === "number" && Number.isFinite(asked) && asked >= 1 ? asked : undefined;
    throw new ApiFault(method, status, description, retryAfter);
  }

  /** Streams a file of the bot's (a `file_path` from `getFile`) to `to`, refusing it past `maxBytes`. */
  async download(filePath: string, to: string, maxBytes: number, opts: CallOptions): Promise<void> {
    const where = filePath.split("/").map(encodeURIComponent).join("/");
    const res = await this.fetch("file download", `${this.server}/file/bot${this.token}/${where}`, { method: "GET" }, opts);
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new ApiFault("file download", res.status, `the file could not be fetched (HTTP ${res.status})`);
    }
    const length = Number(res.headers.get("content-length"));
    if (length > maxBytes) {
      await res.body.cancel().catch(() => {});
      throw new TooBig(`the file is ${length} bytes, more than the ${maxBytes} it may be`);
    }
    let got = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        got += chunk.length;
        if (got > maxBytes) done(new TooBig(`the file is more than the ${maxBytes} bytes it may be`));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), limit, fs.createWriteStream(to, { mode: 0o600 }));
    } catch (err) {
      await fs.promises.rm(to, { force: true });
      if (err instanceof TooBig) throw err;
      throw this.cut("file download", err, opts);
    }
  }

  /** The token out of any text (a library's error may quote the URL it was given). */
  hide(text: string): string {
    return text.split(this.token).join("***");
  }

  private async fetch(what: string, url: string, init: RequestInit, opts: CallOptions): Promise<Response> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
    try {
      return await fetch(url, { ...init, signal });
    } catch (err) {
      throw this.cut(what, err, opts);
    }
  }

  /** Why a request went unanswered, in words without the token; the caller's own abort passes through. */
  private cut(what: string, err: unknown, opts: CallOptions): unknown {
    if (opts.signal?.aborted) return err;
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === "TimeoutError") return new ApiFault(what, null, `the Bot API server at ${this.server} did not answer within ${opts.timeoutMs / 1000} s`);
    const code = e?.cause?.code;
    const why =
      code === "ECONNREFUSED" ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "its name does not resolve"
      : code === "ECONNRESET" || code === "UND_ERR_SOCKET" ? "the connection was cut"
      : this.hide(e?.cause?.message ?? e?.message ?? String(err));
    return new ApiFault(what, null, `the Bot API server at ${this.server} could not be reached (${why})`);
  }
}

/** `api_url` as a base for the Bot API's paths: empty is api.telegram.org; anything but http(s) is refused. */
function serverOf(given: string): string {
  const raw = given.trim();
  if (!raw) return DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL("invalid:");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash || url.username || url.password) {
    throw new Invalid("Channel 'telegram': 'Bot API server' must be the http(s) address of a Telegram Bot API server, such as http://localhost:8081 — or empty for api.telegram.org.");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
