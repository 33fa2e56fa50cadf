import { OrganFault, idleTimer, organRequest, targetOf, type ModelContext, type OrganSpec, type OrganTarget, bodyFault as readFault, readText } from "eternego/plugin";
import { ndjsonParser } from "./ndjson.js";

/** The longest timer Node keeps; a stream's only limit is then its idle watchdog. */
const NO_TOTAL_LIMIT = 2 ** 31 - 1;

/** One organ's view of an Ollama server: where it is, how to call it, whom to blame. */
export interface Api {
  readonly spec: OrganSpec;
  readonly ctx: ModelContext;
  readonly target: OrganTarget;
  get(path: string, notFound?: string): Promise<Response>;
  /** A JSON POST answered as one body; `ctx.timeoutMs` bounds the whole answer. */
  post(path: string, body: unknown, notFound?: string): Promise<Response>;
  /** Reads a whole JSON body, turning a cut connection, a timeout or non-JSON into faults. */
  json(res: Response, what: string): Promise<unknown>;
  /**
   * A JSON POST answered as NDJSON, each line handed to `onLine` as it arrives. The only
   * time limit is silence: `ctx.timeoutMs` without a line (or without the headers) is a
   * timeout, however long the whole stream runs — a model pull takes minutes, a long answer
   * from a slow machine too. Errors thrown by `onLine` pass through unchanged.
   */
  stream(path: string, body: unknown, onLine: (line: Record<string, unknown>) => void, notFound?: string): Promise<{ lines: number }>;
}

const seconds = (ms: number) => `${ms / 1000} s`;

export function connect(spec: OrganSpec, ctx: ModelContext): Api {
  const base = spec.url.replace(/\/+$/, "");
  const target = targetOf({ ...spec, url: base }, ctx);
  // Ollama itself takes no key; one is sent when given, for a server behind an authenticating proxy.
  const auth: Record<string, string> = spec.api_key ? { authorization: `Bearer ${spec.api_key}` } : {};
  const opts = (notFound?: string) => ({ timeoutMs: ctx.timeoutMs, signal: ctx.signal, secrets: [spec.api_key], notFound });
  const jsonPost = (body: unknown): RequestInit => ({ method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });

  /** The toolkit's faults, with the fix that is particular to Ollama. */
  const refine = (err: unknown): unknown => {
    if (!(err instanceof OrganFault) || err.kind !== "unreachable") return err;
    const code = (err.cause as { cause?: { code?: string } } | undefined)?.cause?.code;
    if (code !== "ECONNREFUSED") return err;
    return new OrganFault("unreachable", target, null, "connection refused — start Ollama (`ollama serve`) or fix the url.", { cause: err.cause });
  };

  /** Maps an error thrown while reading a body to a fault (a caller's abort passes through). */
  const bodyFault = (err: unknown, timedOut: boolean, limit: string): unknown =>
    readFault(err, target, { signal: ctx.signal, timedOut, timeout: `${limit} — is the model still loading, or is the machine overloaded?`, dropped: "did Ollama stop or crash?" });

  return {
    spec,
    ctx,
    target,
    get: (path, notFound) => organRequest(target, base + path, { method: "GET", headers: auth }, opts(notFound)).catch((err) => Promise.reject(refine(err))),
    post: (path, body, notFound) => organRequest(target, base + path, jsonPost(body), opts(notFound)).catch((err) => Promise.reject(refine(err))),

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
        throw new OrganFault("malformed", target, res.status, `answered ${what} with something that is not JSON (${kind}, ${text.length} bytes) — is the url an Ollama server (usually http://localhost:11434)?`);
      }
    },

    async stream(path, body, onLine, notFound) {
      const idle = idleTimer(ctx.timeoutMs, ctx.signal, `silent for ${seconds(ctx.timeoutMs)}`);
      const { signal, arm, silent } = idle;
      try {
        let res: Response;
        try {
          res = await organRequest(target, base + path, jsonPost(body), { ...opts(notFound), timeoutMs: NO_TOTAL_LIMIT, signal });
        } catch (err) {
          if (silent()) throw new OrganFault("timeout", target, null, `no answer within ${seconds(ctx.timeoutMs)} — is the model still loading, or is the machine overloaded?`, { cause: err });
          throw refine(err);
        }
        if (!res.body) throw new OrganFault("malformed", target, res.status, `answered ${path} with no body.`);
        let lines = 0;
        let consumerFailed = false; // an error from onLine is the caller's, not the connection's
        const parser = ndjsonParser(
          (value) => {
            lines++;
            if (!value || typeof value !== "object" || Array.isArray(value)) {
              throw new OrganFault("malformed", target, res.status, `streamed ${path} a line that is not a JSON object — is the url an Ollama server?`);
            }
            try {
              onLine(value as Record<string, unknown>);
            } catch (err) {
              consumerFailed = true;
              throw err;
            }
          },
          (head) => {
            throw new OrganFault("malformed", target, res.status, `streamed ${path} a line that is not JSON (${JSON.stringify(head)}) — is the url an Ollama server, not a proxy's error page?`);
          },
        );
        try {
          for await (const bytes of res.body) {
            arm();
            parser.feed(bytes);
          }
          parser.end();
        } catch (err) {
          throw consumerFailed ? err : bodyFault(err, silent(), `the stream went silent for ${seconds(ctx.timeoutMs)}`);
        }
        return { lines };
      } finally {
        idle.clear();
      }
    },
  };
}
