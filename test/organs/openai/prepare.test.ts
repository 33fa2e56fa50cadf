import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import openai from "../../../organs/openai/index.js";
import { apiBase } from "../../../organs/openai/src/base-url.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { closedUrl, startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";
import { context } from "./context.js";

const KEY = "sk-test-prepare-0123456789abcdef";
async function fake(t: Test, models?: string[]): Promise<{ f: FakeOpenAI; spec: OrganSpec }> {
  const f = await startFakeOpenAI({ apiKey: KEY, models });
  t.teardown(() => f.close());
  return { f, spec: { provider: "openai", model: "gpt-4o-mini", url: `${f.url}/v1`, api_key: KEY } };
}
const prepareError = (spec: OrganSpec, role: "thinking" | "hearing" = "thinking") => openai.prepare(spec, context({ role })).then(() => null, (e) => e);

t.test("apiBase: the SDK's baseURL convention, /v1 added to a bare host", async (t) => {
  t.equal(apiBase("https://api.openai.com/v1"), "https://api.openai.com/v1");
  t.equal(apiBase("https://api.openai.com/v1/"), "https://api.openai.com/v1");
  t.equal(apiBase("http://localhost:1234"), "http://localhost:1234/v1");
  t.equal(apiBase("http://localhost:1234/"), "http://localhost:1234/v1");
  t.equal(apiBase("https://api.groq.com/openai/v1"), "https://api.groq.com/openai/v1");
  t.equal(apiBase("https://generativelanguage.googleapis.com/v1beta/openai"), "https://generativelanguage.googleapis.com/v1beta/openai", "a gateway path is kept as written");
  t.equal(apiBase("https://api.openai.com/v1/chat/completions"), "https://api.openai.com/v1", "a pasted endpoint is cut back");
  t.equal(apiBase("http://localhost:8080/v1/models?x=1"), "http://localhost:8080/v1");
});

t.test("model listed: GET /v1/models with the key, nothing else", async (t) => {
  const { f, spec } = await fake(t);
  t.equal(await prepareError(spec), null);
  t.same(f.requests.map((r) => `${r.method} ${r.path} ${r.status}`), ["GET /v1/models 200"]);
  t.equal(f.requests[0]!.headers.authorization, `Bearer ${KEY}`);
});

t.test("Ollama-style tags: 'llama3.2' is the listed 'llama3.2:latest'", async (t) => {
  const { spec } = await fake(t, ["llama3.2:latest"]);
  t.equal(await prepareError({ ...spec, model: "llama3.2" }), null);
});

t.test("model not listed: names it, the url, and the closest models", async (t) => {
  const { spec } = await fake(t, ["whisper-1", "gpt-4o", "gpt-4o-mini", "dall-e-3", "tts-1"]);
  const err = await prepareError({ ...spec, model: "gpt-4o-mimi" });
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "model");
  t.match(err.message, `model 'gpt-4o-mimi' not found at ${spec.url} — pick one of: gpt-4o-mini, gpt-4o, `);
  t.notMatch(err.message, /more\)/, "five models are all shown");
});

t.test("a long list is cut, saying how many more", async (t) => {
  const ids = Array.from({ length: 30 }, (_, i) => `model-${String(i).padStart(2, "0")}`);
  const { spec } = await fake(t, ids);
  const err = await prepareError({ ...spec, model: "other" });
  t.match(err.message, /pick one of: (model-\d\d, ){7}model-\d\d \(and 22 more\)\.$/);
});

t.test("a server that lists no models takes the name on trust, with a warning", async (t) => {
  const { spec } = await fake(t, []);
  const ctx = context();
  await openai.prepare({ ...spec, model: "whatever-is-loaded" }, ctx);
  t.match(ctx.logs, [{ level: "warn", msg: /lists no models/ }]);
});

t.test("wrong key: 401 from the host, the key was refused, no key shown", async (t) => {
  const { f, spec } = await fake(t);
  const wrong = "sk-not-the-right-one-987654321";
  const err = await prepareError({ ...spec, api_key: wrong });
  t.equal(err.kind, "auth");
  t.match(err.message, `401 from ${new URL(f.url).host}: the key was refused — check the api_key`);
  t.notMatch(err.message, wrong);
  t.notMatch(err.message, KEY);
});

t.test("a hosted service without a key is refused before any request", async (t) => {
  const err = await prepareError({ provider: "openai", model: "gpt-4o-mini", url: "https://api.openai.com/v1" });
  t.equal(err.kind, "auth");
  t.match(err.message, /at https:\/\/api\.openai\.com\/v1: OpenAI needs an api_key and none was given/);
  const groq = await prepareError({ provider: "openai", model: "llama-3.3-70b-versatile", url: "https://api.groq.com/openai" });
  t.match(groq.message, /at https:\/\/api\.groq\.com\/openai: Groq needs an api_key/);
});

t.test("unreachable: connection refused, start the server", async (t) => {
  const url = await closedUrl();
  const err = await prepareError({ provider: "openai", model: "m", url });
  t.equal(err.kind, "unreachable");
  t.match(err.message, `Organ 'thinking' (openai, m) at ${url}: connection refused — is the server running at that url?`);
});

t.test("a url that is not the API base: 404 explained", async (t) => {
  const { f, spec } = await fake(t);
  const err = await prepareError({ ...spec, url: `${f.url}/api` });
  t.equal(err.kind, "model");
  t.match(err.message, `nothing OpenAI-compatible answers ${f.url}/api/models — the url should be the API base, usually ending in /v1`);
});

t.test("a web page instead of an API: not JSON, explained", async (t) => {
  const page = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>My router</title>");
  });
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => page.close(() => r())));
  const err = await prepareError({ provider: "openai", model: "m", url: `http://127.0.0.1:${(page.address() as AddressInfo).port}` });
  t.equal(err.kind, "malformed");
  t.match(err.message, /answered \/models with something that is not JSON \(text\/html/);
});

t.test("the hearing organ is prepared the same way", async (t) => {
  const { spec } = await fake(t);
  t.equal(await prepareError({ ...spec, model: "whisper-1" }, "hearing"), null);
  const err = await prepareError({ ...spec, model: "whisper-2" }, "hearing");
  t.match(err.message, /^Organ 'hearing' \(openai, whisper-2\).*pick one of: whisper-1/);
});

t.test("closest: a router's vendor-prefixed ids are matched by their tail", async (t) => {
  const { closest } = await import("../../../organs/openai/src/prepare.js");
  t.same(closest("gpt-4o", ["x-ai/grok-4", "openai/gpt-4o", "openai/gpt-4o-mini", "meta/llama-3"]).slice(0, 2), ["openai/gpt-4o", "openai/gpt-4o-mini"]);
});
