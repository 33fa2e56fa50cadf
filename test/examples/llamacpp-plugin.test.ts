import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import llamacpp from "../../examples/plugins/llamacpp/index.js";
import { OrganFault, type ModelContext, type TokenUsage } from "../../core/api/index.js";
import { startDaemon } from "../helpers/daemon.js";

// The example third-party model plugin, loaded the way a person loads one (`--plugin PATH`),
// against a small fake of llama.cpp's own server.

const PLUGIN = fileURLToPath(new URL("../../examples/plugins/llamacpp", import.meta.url));

interface FakeLlama {
  url: string;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: any }[];
  /** Completions to give, in order (default "Hello."). */
  completions: string[];
  /** While true, /health answers 503 "Loading model", as llama-server does while it loads. */
  loading: boolean;
  close(): Promise<void>;
}

/** llama-server's native API, just enough of it: /health, /props, /apply-template (ChatML), /completion. */
async function fakeLlama(t: Test, opts: { alias?: string; key?: string } = {}): Promise<FakeLlama> {
  const fake: FakeLlama = { url: "", requests: [], completions: [], loading: false, close: async () => {} };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = raw ? JSON.parse(raw) : undefined;
      fake.requests.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      if (opts.key && req.headers.authorization !== `Bearer ${opts.key}`) return send(res, 401, { error: { code: 401, message: "Invalid API Key", type: "authentication_error" } });
      const route = `${req.method} ${req.url}`;
      if (route === "GET /health") return fake.loading ? send(res, 503, { error: { code: 503, message: "Loading model", type: "unavailable_error" } }) : send(res, 200, { status: "ok" });
      if (route === "GET /props") return send(res, 200, { model_alias: opts.alias ?? "qwen3-8b", model_path: "/models/qwen3-8b-q4_k_m.gguf", total_slots: 1, build_info: "b6000-fake" });
      if (route === "POST /apply-template") {
        const prompt = body.messages.map((m: { role: string; content: string }) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";
        return send(res, 200, { prompt });
      }
      if (route === "POST /completion") {
        if (typeof body?.prompt !== "string") return send(res, 400, { error: { code: 400, message: '"prompt" must be provided', type: "invalid_request_error" } });
        const content = fake.completions.shift() ?? "Hello.";
        return send(res, 200, { content, stop: true, stop_type: "eos", tokens_evaluated: Math.ceil(body.prompt.length / 4), tokens_predicted: Math.ceil(content.length / 4) });
      }
      send(res, 404, { error: { code: 404, message: "File Not Found", type: "not_found_error" } });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  t.teardown(() => fake.close());
  return fake;
}

function context(): ModelContext & { usages: TokenUsage[] } {
  const usages: TokenUsage[] = [];
  const log = { info() {}, warn() {}, error() {} };
  return { role: "thinking", log, progress() {}, usage: (u) => void usages.push(u), timeoutMs: 5000, usages };
}

t.test("the daemon loads it with --plugin: listed as loaded, offered as a provider", async (t) => {
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const plugins = (await d.api("GET", "/api/plugins")).body.plugins as { name: string }[];
  t.same(plugins.find((p) => p.name === "llamacpp"), {
    kind: "model",
    name: "llamacpp",
    version: "1.0.0",
    builtin: false,
    state: "loaded",
    error: null,
    declares: { title: "llama.cpp server (native API)", default_url: "http://127.0.0.1:8080", needs_key: false, roles: ["thinking", "frontier"] },
  });
  const providers = (await d.api("GET", "/api/config/providers")).body;
  t.same(providers.llamacpp, { title: "llama.cpp server (native API)", url: "http://127.0.0.1:8080", needs_key: false, roles: ["thinking", "frontier"], presets: [] });
  t.ok(providers.ollama, "the built-ins are still there");
});

t.test("without --plugin it is not there", async (t) => {
  const d = await startDaemon(t);
  t.equal((await d.api("GET", "/api/config/providers")).body.llamacpp, undefined);
});

t.test("a persona is created with it: prepare checks health and the model's name", async (t) => {
  const f = await fakeLlama(t);
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "llamacpp", model: "qwen3-8b", url: f.url } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(r.body.persona.organs.thinking, { provider: "llamacpp", model: "qwen3-8b", url: f.url, has_key: false });
  t.same(f.requests.map((q) => `${q.method} ${q.path}`), ["GET /health", "GET /props"]);
});

t.test("the model file's name works as well as the alias", async (t) => {
  const f = await fakeLlama(t, { alias: "my-assistant" });
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "llamacpp", model: "qwen3-8b-q4_k_m", url: f.url } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
});

t.test("the wrong model, a loading server, a closed port: 400s that say what to do", async (t) => {
  const f = await fakeLlama(t);
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const create = (model: string, url = f.url) => d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "llamacpp", model, url } } });

  const wrong = await create("llama3.2");
  t.equal(wrong.status, 400);
  t.equal(wrong.body.detail, `Organ 'thinking' (llamacpp, llama3.2) at ${f.url}: this llama-server serves 'qwen3-8b', not 'llama3.2' — set the organ's model to 'qwen3-8b', or restart llama-server with the model you want (llama-server -m path/to/model.gguf).`);

  f.loading = true;
  const loading = await create("qwen3-8b");
  t.equal(loading.status, 400);
  t.equal(loading.body.detail, `Organ 'thinking' (llamacpp, qwen3-8b) at ${f.url}: llama-server is still loading its model — wait until it says it is listening, then try again.`);
  f.loading = false;

  await f.close();
  const closed = await create("qwen3-8b");
  t.equal(closed.status, 400);
  t.match(closed.body.detail, `Organ 'thinking' (llamacpp, qwen3-8b) at ${f.url}: connection refused`);
  t.same((await d.api("GET", "/api/personas")).body.personas, []);
});

t.test("a hearing organ on it: refused by the daemon from what the plugin declared", async (t) => {
  const f = await fakeLlama(t);
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const organ = { provider: "llamacpp", model: "qwen3-8b", url: f.url };
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: organ, hearing: organ } });
  t.equal(r.status, 400);
  t.match(r.body.detail, "Provider 'llamacpp' cannot fill the 'hearing' organ");
});

t.test("think: the chat template, then a completion constrained by the schema; usage reported", async (t) => {
  const f = await fakeLlama(t);
  const schema = { type: "object", properties: { say: { type: "string" } }, required: ["say"] };
  f.completions.push('{"say": "hi Ada"}');
  const ctx = context();
  const spec = { provider: "llamacpp", model: "qwen3-8b", url: f.url };
  const r = await llamacpp.think!(spec, ctx).think({ messages: [{ role: "system", content: "Be kind.", cache: true }, { role: "user", content: "hello" }], schema });
  t.same(r.json, { say: "hi Ada" });
  const [template, completion] = f.requests;
  t.same(template!.body, { messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "hello" }] });
  t.match(completion!.body, { prompt: /<\|im_start\|>user\nhello<\|im_end\|>/, json_schema: schema, cache_prompt: true, stream: false });
  t.same(ctx.usages, [r.usage]);
  t.ok(r.usage!.input > 0 && r.usage!.output > 0);
});

t.test("think: prose around the JSON is tolerated; a misfit is asked again once, quoting the problem", async (t) => {
  const f = await fakeLlama(t);
  const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
  f.completions.push('Sure: {"n": "three"}', 'Here: {"n": 3}');
  const r = await llamacpp.think!({ provider: "llamacpp", model: "qwen3-8b", url: f.url }, context()).think({ messages: [{ role: "user", content: "count" }], schema });
  t.same(r.json, { n: 3 });
  const retry = f.requests.filter((q) => q.path === "/apply-template")[1]!.body.messages;
  t.match(retry.at(-1), { role: "user", content: /\/n must be integer/ });
});

t.test("a key, when given, goes as a bearer token and never into a fault", async (t) => {
  const f = await fakeLlama(t, { key: "llama-secret-key-123" });
  const spec = { provider: "llamacpp", model: "qwen3-8b", url: f.url, api_key: "llama-wrong-key-456" };
  const err = await llamacpp.prepare(spec, context()).catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "auth");
  t.notMatch(err.message, "llama-wrong-key-456");
  await llamacpp.prepare({ ...spec, api_key: "llama-secret-key-123" }, context());
  t.equal(f.requests.at(-1)!.headers.authorization, "Bearer llama-secret-key-123");
});
