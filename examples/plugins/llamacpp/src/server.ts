import { OrganFault, organRequest, readText, targetOf, type ModelContext, type OrganSpec, type OrganTarget } from "eternego/plugin";

/** One organ's view of a llama-server: where it is, how to call it, whom to blame. */
export interface Server {
  readonly spec: OrganSpec;
  readonly ctx: ModelContext;
  readonly target: OrganTarget;
  /** GET a path and read its JSON. */
  get(path: string): Promise<Record<string, unknown>>;
  /** POST JSON to a path and read its JSON. */
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
}

export function connect(spec: OrganSpec, ctx: ModelContext): Server {
  const base = spec.url.replace(/\/+$/, "");
  const target = targetOf({ ...spec, url: base }, ctx);
  // llama-server takes a key only when started with --api-key; send one when the organ has it.
  const auth: Record<string, string> = spec.api_key ? { authorization: `Bearer ${spec.api_key}` } : {};
  // organRequest does the timeout, the bounded retries (429, 5xx, network) and the fault
  // mapping; `secrets` keeps the key out of every message it builds.
  const opts = { timeoutMs: ctx.timeoutMs, signal: ctx.signal, secrets: [spec.api_key], notFound: "that path is not there — is the url a llama.cpp server (llama-server)?" };

  const call = async (path: string, init: RequestInit): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await organRequest(target, base + path, init, opts);
    } catch (err) {
      // A server still loading its model answers 503 "Loading model": say so, rather than "the provider failed".
      if (err instanceof OrganFault && err.httpStatus === 503 && /loading/i.test(err.message)) {
        throw new OrganFault("server", target, 503, "llama-server is still loading its model — wait until it says it is listening, then try again.");
      }
      throw err;
    }
    // Bounded: a server that sends more than an answer can be is refused, not held in memory.
    const text = await readText(res).catch((err: Error) => {
      throw new OrganFault("malformed", target, res.status, `its answer could not be read (${err.message}).`);
    });
    try {
      const value = JSON.parse(text);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON: the fault below says what to check
    }
    throw new OrganFault("malformed", target, res.status, `answered ${path} with something that is not a JSON object — is the url a llama.cpp server (usually http://127.0.0.1:8080)?`);
  };

  return {
    spec,
    ctx,
    target,
    get: (path) => call(path, { method: "GET", headers: auth }),
    post: (path, body) => call(path, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) }),
  };
}
