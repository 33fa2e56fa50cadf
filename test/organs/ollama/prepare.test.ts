import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import ollama from "../../../organs/ollama/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { startFakeOllama, type FakeOllama, type FakeOllamaOptions } from "../../fixtures/fake-ollama.js";
import { closedUrl, context, type RecordingContext } from "./context.js";

async function fake(t: Test, opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const f = await startFakeOllama(opts);
  t.teardown(() => f.close());
  return f;
}

const spec = (f: { url: string }, model = "llama3.2"): OrganSpec => ({ provider: "ollama", model, url: f.url });

async function refused(t: Test, s: OrganSpec, ctx: RecordingContext = context()): Promise<OrganFault> {
  const err = await ollama.prepare(s, ctx).then(
    () => null,
    (e) => e,
  );
  t.ok(err instanceof OrganFault, `an OrganFault, got ${err?.name}: ${err?.message}`);
  t.match(err.message, `Organ '${ctx.role}' (ollama, ${s.model}) at ${s.url}: `);
  return err;
}

t.test("model present: /api/tags, then /api/show; nothing pulled", async (t) => {
  const f = await fake(t, { models: ["llama3.2", "qwen3:8b"] });
  const ctx = context();
  await ollama.prepare(spec(f), ctx);
  await ollama.prepare(spec(f, "qwen3:8b"), ctx);
  await ollama.prepare(spec(f, "LLaMA3.2:latest"), ctx);
  t.same(f.requests.map((r) => `${r.method} ${r.path}`), ["GET /api/tags", "POST /api/show", "GET /api/tags", "POST /api/show", "GET /api/tags", "POST /api/show"]);
  t.same(f.requests[1]!.body, { model: "llama3.2" });
  t.same(ctx.progresses, [], "no progress: nothing to pull");
});

t.test("a trailing slash in the url is harmless", async (t) => {
  const f = await fake(t);
  await ollama.prepare({ ...spec(f), url: `${f.url}/` }, context());
  t.equal(f.requests[0]!.path, "/api/tags");
});

t.test("closed port: says to start Ollama", async (t) => {
  const url = await closedUrl();
  const err = await refused(t, { provider: "ollama", model: "llama3.2", url });
  t.equal(err.kind, "unreachable");
  t.equal(err.message, `Organ 'thinking' (ollama, llama3.2) at ${url}: connection refused — start Ollama (\`ollama serve\`) or fix the url.`);
});

t.test("DNS failure", async (t) => {
  const err = await refused(t, { provider: "ollama", model: "llama3.2", url: "http://nonexistent.invalid:11434" });
  t.equal(err.kind, "dns");
});

t.test("a url that is not an Ollama server: 404 on /api/tags, or not JSON", async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === "/api/tags") {
      res.writeHead(200, { "content-type": "text/html" });
      return void res.end("<html>a router's login page</html>");
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not Found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const html = await refused(t, { provider: "ollama", model: "llama3.2", url });
  t.equal(html.kind, "malformed");
  t.match(html.message, /answered \/api\/tags with something that is not JSON \(text\/html, \d+ bytes\) — is the url an Ollama server/);
  const v1 = await refused(t, { provider: "ollama", model: "llama3.2", url: `${url}/v1` });
  t.equal(v1.httpStatus, 404);
  t.match(v1.message, /nothing Ollama-like answers \/api\/tags — the url should be the server itself, like http:\/\/localhost:11434 \(without \/v1 or \/api\)/);
});

t.test("model missing and not in the registry: 400 naming the model and the fix", async (t) => {
  const f = await fake(t, { models: ["llama3.2"] });
  const ctx = context({ role: "vision" });
  const err = await refused(t, spec(f, "llava"), ctx);
  t.equal(err.kind, "model");
  t.equal(err.transient, false);
  t.equal(
    err.message,
    `Organ 'vision' (ollama, llava) at ${f.url}: model 'llava' not found, and Ollama could not pull it (pull model manifest: file does not exist) — check the name at https://ollama.com/library, then run \`ollama pull llava\`.`,
  );
  const pullReq = f.requests.find((r) => r.path === "/api/pull");
  t.same(pullReq?.body, { model: "llava", stream: true }, "a streamed pull was tried");
  t.same(ctx.progresses, [{ status: "pulling manifest" }], "the progress up to the failure was pushed");
  t.notOk(f.models.has("llava:latest"));
});

t.test("model missing but pullable: pulled, each progress line pushed in order", async (t) => {
  const f = await fake(t, { models: ["llama3.2"], pullable: ["qwen3"] });
  const ctx = context();
  await ollama.prepare(spec(f, "qwen3"), ctx);
  t.ok(f.models.has("qwen3:latest"), "the model is on the server now");
  const statuses = ctx.progresses.map((p) => p.status);
  t.equal(statuses[0], "pulling manifest");
  t.same(statuses.slice(-3), ["verifying sha256 digest", "writing manifest", "success"]);
  const layers = ctx.progresses.filter((p) => /^pulling [0-9a-f]{12}$/.test(p.status));
  t.ok(layers.length >= 2, "layer progress came through");
  for (const p of layers) t.type(p.total, "number");
  const byLayer = new Map<string, number[]>();
  for (const p of layers) if (p.completed !== undefined) byLayer.set(p.status, [...(byLayer.get(p.status) ?? []), p.completed]);
  t.ok(byLayer.size >= 2, "more than one layer");
  for (const [layer, done] of byLayer) {
    t.same(done, [...done].sort((a, b) => a - b), `${layer}: completed only grows`);
    t.equal(done.at(-1), layers.find((p) => p.status === layer)!.total, `${layer}: ends complete`);
  }
  t.same(f.requests.map((r) => `${r.method} ${r.path}`), ["GET /api/tags", "POST /api/pull", "POST /api/show"]);
  t.match(ctx.logs.map((l) => l.msg), ["the model is not on the Ollama server; pulling it", "pulled the model"]);
  t.notMatch(JSON.stringify(ctx.logs), /"stream"|messages/, "no request body in the logs");
});

t.test("a pull that goes silent: a timeout fault after the organ timeout, not a hang", async (t) => {
  const f = await fake(t, { pullable: ["qwen3"] });
  f.fail("stall", { path: "/api/pull" });
  const ctx = context({ timeoutMs: 300 });
  const err = await refused(t, spec(f, "qwen3"), ctx);
  t.equal(err.kind, "timeout");
  t.match(err.message, /the stream went silent for 0\.3 s/);
  t.same(ctx.progresses, [{ status: "pulling manifest" }]);
  t.notOk(f.models.has("qwen3:latest"));
});

t.test("a pull that ends without success: a fault saying to finish it by hand", async (t) => {
  const f = await fake(t, { pullable: ["qwen3"] });
  f.fail("drop", { path: "/api/pull" });
  const dropped = await refused(t, spec(f, "qwen3"));
  t.equal(dropped.kind, "unreachable", "a connection cut mid-pull");
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === "/api/tags") return void res.end(JSON.stringify({ models: [] }));
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    res.end('{"status":"pulling manifest"}\n{"status":"writing manifest"}\n');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const err = await refused(t, { provider: "ollama", model: "qwen3", url });
  t.equal(err.kind, "malformed");
  t.match(err.message, /the pull of 'qwen3' ended without "success" — run `ollama pull qwen3` to finish it\./);
});

t.test("vision organ: the model must be able to see", async (t) => {
  const f = await fake(t, { models: ["llama3.2", "llava"], vision: ["llava"] });
  await ollama.prepare(spec(f, "llava"), context({ role: "vision" }));
  const err = await refused(t, spec(f, "llama3.2"), context({ role: "vision" }));
  t.equal(err.kind, "model");
  t.equal(err.message, `Organ 'vision' (ollama, llama3.2) at ${f.url}: model 'llama3.2' cannot fill the 'vision' organ: it cannot see images — pick a vision model such as llava, llama3.2-vision or gemma3.`);
  await ollama.prepare(spec(f, "llava"), context({ role: "thinking" }));
  t.pass("a vision model can also think");
});

t.test("an older Ollama without capabilities in /api/show: taken on trust", async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    if (req.url === "/api/tags") return void res.end(JSON.stringify({ models: [{ name: "llava:latest", model: "llava:latest" }] }));
    res.end(JSON.stringify({ modelfile: "", parameters: "", template: "", details: { family: "llama" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await ollama.prepare({ provider: "ollama", model: "llava", url }, context({ role: "vision" }));
  t.pass();
});

t.test("/api/tags without a models list: malformed", async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data: [{ id: "llama3.2" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const err = await refused(t, { provider: "ollama", model: "llama3.2", url });
  t.equal(err.kind, "malformed");
  t.match(err.message, /without a `models` list/);
});
