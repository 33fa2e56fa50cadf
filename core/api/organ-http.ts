import { BodyTooLarge, readHead } from "./body.js";
import { OrganFault, type FaultKind, type OrganTarget } from "./organ-fault.js";

export interface OrganRequestOptions {
  /** Per-attempt timeout for the response headers, in ms (default 60 s). */
  timeoutMs?: number;
  /** Attempts in all for 429 / 5xx / network trouble (default 3). */
  attempts?: number;
  /** First backoff in ms, doubled each time; `Retry-After` wins when the provider sends it. */
  backoffMs?: number;
  /** The longest single wait honoured, in ms (default 30 s). */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** Secrets to strip from any text that ends up in a fault (the api key). */
  secrets?: (string | undefined)[];
  /** Explains a 404 for this provider (e.g. "run `ollama pull x`"). */
  notFound?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** `Retry-After` as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("***");
  return out;
}

function networkFault(err: unknown, target: OrganTarget, timeoutMs: number): OrganFault {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? "";
  if (e.name === "TimeoutError") return new OrganFault("timeout", target, null, `no answer within ${timeoutMs / 1000} s — is the model still loading, or is the server overloaded?`, { cause: err });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new OrganFault("dns", target, null, "the host name does not resolve — check the url.", { cause: err });
  if (code === "ECONNREFUSED") return new OrganFault("unreachable", target, null, "connection refused — is the server running at that url?", { cause: err });
  return new OrganFault("unreachable", target, null, `the connection failed (${code || e.cause?.message || e.name || "network error"}).`, { cause: err });
}

/** Reads a short, readable reason out of a provider's error body. */
async function reasonOf(res: Response): Promise<string> {
  const text = await readHead(res, 64 * 1024).catch(() => "");
  try {
    const j = JSON.parse(text);
    const m = j?.error?.message ?? j?.error ?? j?.message ?? j?.detail;
    if (typeof m === "string") return m.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

function statusFault(status: number, reason: string, target: OrganTarget, opts: OrganRequestOptions): OrganFault {
  const host = (() => {
    try {
      return new URL(target.url).host;
    } catch {
      return target.url;
    }
  })();
  const said = reason ? ` (${reason})` : "";
  let kind: FaultKind = "rejected";
  let why = `${status} from ${host}${said}.`;
  if (status === 401 || status === 403) {
    kind = "auth";
    why = `${status} from ${host}: the key was refused — check the api_key${said}.`;
  } else if (status === 404) {
    kind = "model";
    why = `${status} from ${host}: ${opts.notFound ?? `model '${target.model}' not found — check the model name and url`}${said}.`;
  } else if (status === 429) {
    kind = "rate";
    why = `429 from ${host}: too many requests, still refused after retrying${said}.`;
  } else if (status >= 500) {
    kind = "server";
    why = `${status} from ${host}: the provider failed, still failing after retrying${said}.`;
  }
  return new OrganFault(kind, target, status, scrub(why, opts.secrets ?? []));
}

/**
 * One HTTP call to a model provider, with the fault mapping every model plugin needs:
 * network trouble, timeouts and 429/5xx are retried a bounded number of times with backoff
 * (honouring `Retry-After`); what still fails becomes a typed `OrganFault`. Returns the
 * successful response (2xx) with its body unread.
 *
 * @example
 * const res = await organRequest(target, `${spec.url}/api/tags`, { method: "GET" });
 */
export async function organRequest(target: OrganTarget, url: string, init: RequestInit, opts: OrganRequestOptions = {}): Promise<Response> {
  const attempts = opts.attempts ?? 3;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let backoff = opts.backoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      // AbortSignal.any only when there is a caller's signal to join: it costs about 5% of a
      // loopback call, which the organ benchmark sees.
      const timeout = AbortSignal.timeout(timeoutMs);
      res = await fetch(url, { ...init, signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const fault = networkFault(err, target, timeoutMs);
      if (attempt >= attempts || fault.kind === "dns") throw fault;
      await sleep(backoff, opts.signal);
      backoff *= 2;
      continue;
    }
    if (res.ok) return res;
    const retryable = res.status === 429 || res.status >= 500;
    if (!retryable || attempt >= attempts) throw statusFault(res.status, await reasonOf(res), target, opts);
    await res.body?.cancel().catch(() => {});
    const wait = Math.min(retryAfterMs(res.headers.get("retry-after")) ?? backoff, opts.maxWaitMs ?? 30_000);
    await sleep(wait, opts.signal);
    backoff *= 2;
  }
}

/**
 * An error thrown while reading a provider's answer body, as an organ fault: a timeout (a
 * silence watchdog when `timedOut`, or the request's own limit) or a connection dropped
 * mid-answer. A caller's own abort, a fault already made, and anything else pass through.
 * `timeout` is the whole timeout detail; `dropped` is a hint added to the dropped one.
 *
 * @example
 * try { for await (const b of res.body!) lines.feed(b); }
 * catch (err) { throw bodyFault(err, target, { signal: ctx.signal, timedOut: idle.silent(), timeout: "the stream went silent for 120 s", dropped: "did the server stop?" }); }
 */
export function bodyFault(err: unknown, target: OrganTarget, o: { signal?: AbortSignal; timedOut?: boolean; timeout: string; dropped?: string }): unknown {
  if (err instanceof OrganFault || o.signal?.aborted) return err;
  if (err instanceof BodyTooLarge) return new OrganFault("malformed", target, null, `${err.message} — is the url that of the provider's API?`, { cause: err });
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (o.timedOut || e.name === "TimeoutError") return new OrganFault("timeout", target, null, o.timeout, { cause: err });
  // undici reports a connection closed mid-body as TypeError "terminated" (cause: the socket error).
  if ((e.name === "TypeError" && e.message === "terminated") || e.cause?.code || e.name === "AbortError") {
    const why = `the connection dropped before the answer was complete (${e.cause?.code ?? e.message ?? "closed"})`;
    return new OrganFault("unreachable", target, null, o.dropped ? `${why} — ${o.dropped}` : `${why}.`, { cause: err });
  }
  return err;
}
