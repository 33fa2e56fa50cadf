import { OrganFault, idleTimer, organRequest, targetOf, type ModelContext, type OrganSpec, type OrganTarget, bodyFault as readFault, readText } from "eternego/plugin";
import { sseParser } from "./sse.js";

/**
 * The API version this plugin speaks. Its requests (no sampling parameters, no document
 * blocks, no citations) mean the same under 2026-10-21, so moving on is a one-line change.
 */
export const API_VERSION = "2023-06-01";

/** The longest timer Node keeps; a stream's only limit is then its silence watchdog. */
const NO_TOTAL_LIMIT = 2 ** 31 - 1;

/** One organ's view of the Anthropic API: where it is, how to call it, whom to blame. */
export interface Api {
  readonly spec: OrganSpec;
  readonly ctx: ModelContext;
  readonly target: OrganTarget;
  /** The host as faults name it (`api.anthropic.com`). */
  readonly host: string;
  get(path: string, notFound?: string): Promise<Response>;
  /** Reads a whole JSON body, turning a cut connection, a timeout or non-JSON into faults. */
  json(res: Response, what: string): Promise<unknown>;
  /**
   * A JSON POST answered as server-sent events, each handed to `onEvent` as it arrives.
   * `ctx.timeoutMs` bounds the wait for the answer to start (retries included) and then
   * each silence between two events — not the whole answer, which may be long. Errors
   * thrown by `onEvent` pass through unchanged.
   */
  stream(path: string, body: unknown, onEvent: (event: string, data: unknown) => void, notFound?: string, extraHeaders?: Record<string, string>): Promise<void>;
  /** The text with the api key taken out, for anything that quotes the provider. */
  scrub(text: string): string;
}

const seconds = (ms: number) => `${ms / 1000} s`;

export function connect(spec: OrganSpec, ctx: ModelContext): Api {
  // People paste the base URL with its /v1 as often as without; every path here adds it.
  const base = spec.url.replace(/\/+$/, "").replace(/\/v1$/, "");
  const target = targetOf({ ...spec, url: base }, ctx);
  const host = (() => {
    try {
      return new URL(base).host;
    } catch {
      return base;
    }
  })();
  const key = spec.api_key;
  const headers: Record<string, string> = { "anthropic-version": API_VERSION, ...(key ? { "x-api-key": key } : {}) };
  const opts = (notFound?: string) => ({ timeoutMs: ctx.timeoutMs, signal: ctx.signal, secrets: [key], notFound });
  const scrub = (text: string) => (key && key.length >= 4 ? text.split(key).join("***") : text);

  /** The toolkit's faults, with the fix that fits a hosted API. */
  const refine = (err: unknown): unknown => {
    if (!(err instanceof OrganFault) || err.kind !== "unreachable") return err;
    const code = (err.cause as { cause?: { code?: string } } | undefined)?.cause?.code;
    if (code !== "ECONNREFUSED") return err;
    return new OrganFault("unreachable", target, null, "connection refused — nothing answers at that url; the Anthropic API is https://api.anthropic.com.", { cause: err.cause });
  };

  /** Maps an error thrown while reading a body to a fault (a caller's abort passes through). */
  const bodyFault = (err: unknown, timedOut: boolean, limit: string): unknown =>
    readFault(err, target, { signal: ctx.signal, timedOut, timeout: `${limit} — the API may be overloaded; try again later.` });

  return {
    spec,
    ctx,
    target,
    host,
    scrub,
    get: (path, notFound) => organRequest(target, base + path, { method: "GET", headers }, opts(notFound)).catch((err) => Promise.reject(refine(err))),

    async json(res, what) {
      let text: string;
      try {
        text = await readText(res);
      } catch (err) {
        throw bodyFault(err, false, `the answer to ${what} did not finish within ${seconds(ctx.timeoutMs)}`);
      }
      try {
        return JSON.parse(text);
      } catch {
        const kind = res.headers.get("content-type")?.split(";")[0] ?? "no content type";
        throw new OrganFault("malformed", target, res.status, `answered ${what} with something that is not JSON (${kind}, ${text.length} bytes) — is the url the Anthropic API (https://api.anthropic.com)?`);
      }
    },

    async stream(path, body, onEvent, notFound, extraHeaders) {
      const idle = idleTimer(ctx.timeoutMs, ctx.signal, `silent for ${seconds(ctx.timeoutMs)}`);
      const { signal, arm, silent } = idle;
      try {
        let res: Response;
        try {
          const init: RequestInit = { method: "POST", headers: { ...headers, ...extraHeaders, "content-type": "application/json" }, body: JSON.stringify(body) };
          res = await organRequest(target, base + path, init, { ...opts(notFound), timeoutMs: NO_TOTAL_LIMIT, signal });
        } catch (err) {
          if (silent()) throw new OrganFault("timeout", target, null, `no answer within ${seconds(ctx.timeoutMs)} — the API may be overloaded; try again later.`, { cause: err });
          throw refine(err);
        }
        const type = res.headers.get("content-type")?.split(";")[0] ?? "no content type";
        if (type !== "text/event-stream" || !res.body) {
          await res.body?.cancel().catch(() => {});
          throw new OrganFault("malformed", target, res.status, `answered ${path} with ${type} instead of an event stream — is the url the Anthropic API (https://api.anthropic.com)?`);
        }
        let consumerFailed = false; // an error from onEvent is the caller's, not the connection's
        const parser = sseParser((event, data) => {
          let value: unknown;
          try {
            value = JSON.parse(data);
          } catch {
            throw new OrganFault("malformed", target, res.status, `streamed a '${event}' event whose data is not JSON (${JSON.stringify(scrub(data.slice(0, 60)))}) — is the url the Anthropic API, not a proxy's error page?`);
          }
          try {
            onEvent(event, value);
          } catch (err) {
            consumerFailed = true;
            throw err;
          }
        });
        try {
          for await (const bytes of res.body) {
            arm();
            parser.feed(bytes);
          }
          parser.end();
        } catch (err) {
          throw consumerFailed ? err : bodyFault(err, silent(), `the stream went silent for ${seconds(ctx.timeoutMs)}`);
        }
      } finally {
        idle.clear();
      }
    },
  };
}
