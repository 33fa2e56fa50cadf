import { io as connect, type Socket } from "socket.io-client";
import type { Test } from "tap";
import { TOOLS } from "../../core/mind/tools.js";
import { startFakeOllama, type ChatRequest, type FakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";

/**
 * What the fake model answers to a decision request: the JSON her mind asks for, as a model
 * held to the schema gives it — an argument a tool may go without is there as null.
 */
export const decide = (say: string, tools: { name: string; args: object }[] = [], task = "") =>
  JSON.stringify({
    say,
    tools: tools.map((c) => ({ name: c.name, args: { ...Object.fromEntries(Object.keys(TOOLS[c.name]?.schema.properties ?? {}).map((k) => [k, null])), ...c.args } })),
    task,
  });

/** The text of the last person message in a request, without the time stamp her prompt adds. */
export function lastWords(req: ChatRequest): string {
  const m = [...req.messages].reverse().find((x) => x.role === "user");
  return (m?.content ?? "").replace(/^\[[^\]]*\]\s*/, "");
}

/** Whether a request is one of her decisions (rather than a night, a lesson, an export). */
export const isDecision = (req: ChatRequest) => JSON.stringify(req.format ?? {}).includes('"task"');

export interface Living {
  d: TestDaemon;
  ollama: FakeOllama;
  id: string;
  /** Chat requests the fake received for one model. */
  calls(model?: string): ChatRequest[];
}

/** A daemon, a fake Ollama and one persona, Ada, thinking with llama3.2 (and more organs when asked). */
export async function living(t: Test, opts: { organs?: Record<string, object>; env?: Record<string, string>; models?: string[]; plugins?: string[] } = {}): Promise<Living> {
  const ollama = await startFakeOllama({ models: ["llama3.2", "frontier-70b", "llava", ...(opts.models ?? [])] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t, { env: { ETERNEGO_FAULT_RETRY_MS: "20", ...opts.env }, plugins: opts.plugins });
  const organs = { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url }, ...opts.organs };
  for (const o of Object.values(organs) as { url?: string }[]) o.url ??= ollama.url;
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs });
  if (r.status !== 201) throw new Error(`create failed: ${JSON.stringify(r.body)}`);
  const calls = (model?: string) =>
    ollama.requests.filter((q) => q.path === "/api/chat" && Array.isArray(q.body?.messages) && q.body.messages.length && (!model || q.body.model === model)).map((q) => q.body as ChatRequest);
  return { d, ollama, id: r.body.persona.id, calls };
}

/** A socket.io client watching her room. */
export async function watch(t: Test, d: TestDaemon, id: string): Promise<Socket> {
  const socket = connect(d.url, { transports: ["websocket"], forceNew: true });
  t.teardown(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  await socket.timeout(5000).emitWithAck("persona:watch", id);
  return socket;
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` gives a truthy value (or fails the wait after `ms`). */
export async function until<T>(check: () => Promise<T> | T, ms = 5000, what = "the condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(20);
  }
}

/** Settles as `p` does, or rejects after `ms` naming what never came, so a wait cannot pass by running out. */
export function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer!: NodeJS.Timeout;
  const out = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([p, out]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` holds, looked at now and after each `event` on the socket; rejects after `ms`. */
export function when(socket: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown }, event: string, check: () => boolean, what: string, ms?: number): Promise<void> {
  let look!: () => void;
  const seen = new Promise<void>((resolve) => {
    look = () => void (check() && resolve());
    socket.on(event, look);
    look();
  });
  return within(seen, what, ms).finally(() => socket.off(event, look));
}
