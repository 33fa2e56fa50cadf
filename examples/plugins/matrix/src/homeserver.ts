import { readHead, readText } from "eternego/plugin";

/**
 * A Matrix homeserver as one access token sees it, through the Client-Server API: where it
 * is, and one call that says what went wrong in Matrix's own terms (the `errcode`), never
 * with the token in it.
 */

/** The homeserver refused a call (with Matrix's `errcode`), or could not be reached (`status` null). */
export class MatrixFault extends Error {
  constructor(
    readonly status: number | null,
    readonly errcode: string | null,
    message: string,
    /** How long a 429 asks to wait (`retry_after_ms`). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "MatrixFault";
  }
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** How long the whole call may take (ms); 30 s unless given. */
  timeoutMs?: number;
  /** The most its answer may be (bytes); readText's 16 MiB unless given. */
  maxBytes?: number;
}

export interface Homeserver {
  /** The client-server base URL, e.g. `https://matrix-client.matrix.org`. */
  readonly base: string;
  call<T = Record<string, unknown>>(method: string, path: string, opts?: CallOptions): Promise<T>;
  /** A GET whose body is read as it comes (media), or a MatrixFault. */
  stream(path: string, signal?: AbortSignal): Promise<Response>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The base URL as a person may type it: "matrix.example.org/" → "https://matrix.example.org". */
export function baseOf(typed: string): string {
  const t = typed.trim().replace(/\/+$/, "");
  return /^https?:\/\//i.test(t) ? t : `https://${t}`;
}

export function homeserver(credentials: Record<string, string>): Homeserver {
  const base = baseOf(credentials.homeserver ?? "");
  const token = credentials.token ?? "";

  const request = async (method: string, path: string, opts: CallOptions): Promise<Response> => {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      return await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const why = timeout.aborted ? `no answer in ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s` : causeOf(err);
      throw new MatrixFault(null, null, `could not reach the homeserver at ${base} (${why})`);
    }
  };

  const fault = async (res: Response, path: string): Promise<MatrixFault> => {
    const body = (await readHead(res, 64 * 1024).then(JSON.parse).catch(() => null)) as { errcode?: unknown; error?: unknown; retry_after_ms?: unknown } | null;
    const errcode = typeof body?.errcode === "string" ? body.errcode : null;
    const error = typeof body?.error === "string" ? body.error : res.statusText;
    const wait = typeof body?.retry_after_ms === "number" ? body.retry_after_ms : null;
    // Which call, without whose room or which message: "/rooms/{room}/send/m.room.message/{txn}".
    const what = path
      .split("?")[0]!
      .replace(/^\/_matrix\/client\/v\d+/, "")
      .replace(/\/rooms\/[^/]+/, "/rooms/{room}")
      .replace(/\/(send\/[^/]+|typing)\/[^/]+$/, "/$1/{id}");
    return new MatrixFault(res.status, errcode, `${base} answered ${what} with ${res.status}${errcode ? ` ${errcode}` : ""}: ${error}`, wait);
  };

  return {
    base,
    async call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
      const res = await request(method, path, opts);
      if (!res.ok) throw await fault(res, path);
      // Bounded: a server that sends more than any answer can be is refused, not held in memory.
      const text = await readText(res, opts.maxBytes).catch((err: Error) => {
        throw new MatrixFault(res.status, null, `${base} answered ${path.split("?")[0]} with what could not be read (${err.message})`);
      });
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch {
        throw new MatrixFault(res.status, null, `${base} answered ${path.split("?")[0]} with something that is not JSON — is it a Matrix homeserver's client URL?`);
      }
    },
    async stream(path: string, signal?: AbortSignal): Promise<Response> {
      const res = await request("GET", path, { signal, timeoutMs: 5 * 60_000 });
      if (!res.ok) throw await fault(res, path);
      return res;
    },
  };
}

/** The low-level reason fetch gives (ECONNREFUSED, ENOTFOUND…), without a stack. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

/** A path segment: room ids (`!abc:server`) and user ids (`@her:server`) escaped. */
export const seg = (s: string) => encodeURIComponent(s);
