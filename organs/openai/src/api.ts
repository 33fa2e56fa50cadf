import { OrganFault, organRequest, targetOf, type ModelContext, type OrganSpec, type OrganTarget, bodyFault as readFault, readText } from "eternego/plugin";
import { apiBase } from "./base-url.js";

/** One organ's view of an OpenAI-compatible server: where it is, how to call it, whom to blame. */
export interface Api {
  /** The API base, version segment included (`https://api.openai.com/v1`). */
  readonly base: string;
  /** What faults name; its url is the base actually called. */
  readonly target: OrganTarget;
  readonly spec: OrganSpec;
  readonly ctx: ModelContext;
  /** A JSON POST (or a multipart one when `body` is FormData) to `{base}{path}`. */
  post(path: string, body: unknown, notFound?: string): Promise<Response>;
  get(path: string, notFound?: string): Promise<Response>;
  /** Reads a whole JSON body, turning a cut connection, a timeout or non-JSON into faults. */
  json(res: Response, what: string): Promise<unknown>;
  /** Maps an error thrown while reading a body to a fault (a caller's abort passes through). */
  bodyFault(err: unknown): unknown;
}

export function connect(spec: OrganSpec, ctx: ModelContext): Api {
  const base = apiBase(spec.url);
  const target = targetOf({ ...spec, url: base }, ctx);
  const auth: Record<string, string> = spec.api_key ? { authorization: `Bearer ${spec.api_key}` } : {};
  const opts = (notFound?: string) => ({ timeoutMs: ctx.timeoutMs, signal: ctx.signal, secrets: [spec.api_key], notFound });

  const bodyFault = (err: unknown): unknown =>
    readFault(err, target, { signal: ctx.signal, timeout: `the answer did not finish within ${ctx.timeoutMs / 1000} s — is the server overloaded, or is the answer very long?` });

  return {
    base,
    target,
    spec,
    ctx,
    post(path, body, notFound) {
      const form = body instanceof FormData;
      return organRequest(
        target,
        base + path,
        { method: "POST", headers: form ? { ...auth } : { ...auth, "content-type": "application/json" }, body: form ? body : JSON.stringify(body) },
        opts(notFound),
      );
    },
    get(path, notFound) {
      return organRequest(target, base + path, { method: "GET", headers: auth }, opts(notFound));
    },
    async json(res, what) {
      let text: string;
      try {
        text = await readText(res);
      } catch (err) {
        throw bodyFault(err);
      }
      try {
        return JSON.parse(text);
      } catch {
        const kind = res.headers.get("content-type")?.split(";")[0] ?? "no content type";
        throw new OrganFault("malformed", target, res.status, `answered ${what} with something that is not JSON (${kind}, ${text.length} bytes) — is this an OpenAI-compatible API base?`);
      }
    },
    bodyFault,
  };
}

/** Token usage in the OpenAI shape, or undefined when the server sent none. */
export function usageOf(u: unknown): { input: number; output: number } | undefined {
  const x = u as { prompt_tokens?: unknown; completion_tokens?: unknown; input_tokens?: unknown; output_tokens?: unknown } | null | undefined;
  if (!x || typeof x !== "object") return undefined;
  const input = x.prompt_tokens ?? x.input_tokens;
  const output = x.completion_tokens ?? x.output_tokens;
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  return { input: typeof input === "number" ? input : 0, output: typeof output === "number" ? output : 0 };
}
