import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { startDaemon } from "../../helpers/daemon.js";
import { closedUrl, startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";

// The openai plugin as the person meets it: through the daemon's create and update routes,
// against a fake that refuses a wrong key the way OpenAI does.

const KEY = "sk-test-daemon-5f0c2a9e7b1d4c3a";

async function fake(t: Test): Promise<FakeOpenAI> {
  const f = await startFakeOpenAI({ apiKey: KEY, models: ["gpt-4o-mini", "gpt-4o", "whisper-1"] });
  t.teardown(() => f.close());
  return f;
}

/** Every file under `dir` whose bytes contain `needle`, relative to `dir`. */
function filesContaining(dir: string, needle: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => fs.readFileSync(f).includes(needle))
    .map((f) => path.relative(dir, f));
}

t.test("create with provider openai and a key: 201, has_key, the key nowhere but secrets.json", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const url = `${f.url}/v1`;
  const r = await d.api("POST", "/api/persona/create", {
    name: "Ada",
    organs: {
      thinking: { provider: "openai", model: "gpt-4o-mini", url, api_key: KEY },
      vision: { provider: "openai", model: "gpt-4o", url, api_key: KEY },
      hearing: { provider: "openai", model: "whisper-1", url, api_key: KEY },
    },
  });
  t.equal(r.status, 201, JSON.stringify(r.body));
  const organs = r.body.persona.organs;
  t.same(organs.thinking, { provider: "openai", model: "gpt-4o-mini", url, has_key: true });
  t.same(organs.vision, { provider: "openai", model: "gpt-4o", url, has_key: true });
  t.same(organs.hearing, { provider: "openai", model: "whisper-1", url, has_key: true });
  t.notMatch(JSON.stringify(r.body), KEY, "the key is not in the response");
  const models = f.requests.filter((x) => x.path === "/v1/models");
  t.equal(models.length, 3, "each organ was prepared");
  t.ok(models.every((x) => x.headers.authorization === `Bearer ${KEY}` && x.status === 200));
  t.same(filesContaining(d.home, KEY), [path.join("personas", r.body.persona.id, "secrets.json")]);
  const listed = await d.api("GET", "/api/personas");
  t.notMatch(JSON.stringify(listed.body), KEY);
});

t.test("create with a wrong key: 400 saying the key was refused, without the key", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const wrong = "sk-wrong-9a8b7c6d5e4f3a2b1c";
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mini", url: `${f.url}/v1`, api_key: wrong } } });
  t.equal(r.status, 400);
  t.same(Object.keys(r.body), ["detail"]);
  t.match(r.body.detail, `Organ 'thinking' (openai, gpt-4o-mini) at ${f.url}/v1: 401 from ${new URL(f.url).host}: the key was refused — check the api_key`);
  t.notMatch(r.body.detail, wrong);
  t.same((await d.api("GET", "/api/personas")).body.personas, [], "nothing was created");
});

t.test("create with a missing model: 400 naming it and the models there are", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mimi", url: `${f.url}/v1`, api_key: KEY } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, `model 'gpt-4o-mimi' not found at ${f.url}/v1 — pick one of: gpt-4o-mini`);
});

t.test("create against a closed port: 400 saying what to do", async (t) => {
  const d = await startDaemon(t);
  const url = await closedUrl();
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "m", url } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, `Organ 'thinking' (openai, m) at ${url}: connection refused — is the server running at that url?`);
});

t.test("create with a hosted preset and no key: 400 before any request", async (t) => {
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mini" } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, "at https://api.openai.com/v1: OpenAI needs an api_key and none was given");
});

t.test("update: a new model keeps the stored key when api_key is omitted", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const url = `${f.url}/v1`;
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mini", url, api_key: KEY } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.persona.id;
  const before = f.requests.length;

  const r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "openai", model: "gpt-4o", url } } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.same(r.body.persona.organs.thinking, { provider: "openai", model: "gpt-4o", url, has_key: true });
  t.notMatch(JSON.stringify(r.body), KEY);
  const seen = f.requests.slice(before).filter((x) => x.path === "/v1/models");
  t.equal(seen.length, 1, "the changed organ was prepared");
  t.equal(seen[0]!.headers.authorization, `Bearer ${KEY}`, "with the stored key");
  t.equal(seen[0]!.status, 200);

  // A wrong new key is refused, and what was stored stays.
  const bad = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "openai", model: "gpt-4o-mini", url, api_key: "sk-bad-000000000000" } } });
  t.equal(bad.status, 400);
  t.match(bad.body.detail, /the key was refused/);
  const now = await d.api("GET", `/api/persona/${id}`);
  t.same(now.body.persona.organs.thinking, { provider: "openai", model: "gpt-4o", url, has_key: true });
  const secrets = JSON.parse(fs.readFileSync(path.join(d.home, "personas", id, "secrets.json"), "utf8"));
  t.equal(secrets.organs.thinking.api_key, KEY, "the stored key is unchanged");
});

t.test("GET /api/config/providers shows openai with its presets", async (t) => {
  const d = await startDaemon(t);
  const r = await d.api("GET", "/api/config/providers");
  t.equal(r.status, 200);
  const p = r.body.openai;
  t.equal(p.url, "https://api.openai.com/v1");
  t.equal(p.needs_key, false, "local servers need no key");
  t.same(p.roles, ["thinking", "vision", "hearing", "frontier"]);
  const byName = Object.fromEntries(p.presets.map((x: { name: string }) => [x.name, x]));
  t.same(byName.openai, { name: "openai", title: "OpenAI", url: "https://api.openai.com/v1", needs_key: true });
  t.same(byName.xai, { name: "xai", title: "xAI (Grok)", url: "https://api.x.ai/v1", needs_key: true });
  t.same(byName.groq, { name: "groq", title: "Groq", url: "https://api.groq.com/openai/v1", needs_key: true });
  t.same(byName.openrouter, { name: "openrouter", title: "OpenRouter", url: "https://openrouter.ai/api/v1", needs_key: true });
  t.same(byName.lmstudio, { name: "lmstudio", title: "LM Studio (local)", url: "http://localhost:1234/v1", needs_key: false });
  t.same(byName.vllm?.url, "http://localhost:8000/v1");
  t.same(byName.llamacpp?.url, "http://localhost:8080/v1");
  t.same(byName.localai?.url, "http://localhost:8080/v1");
  const plugins = await d.api("GET", "/api/plugins");
  const rec = plugins.body.plugins.find((x: { name: string; kind: string }) => x.kind === "model" && x.name === "openai");
  t.equal(rec?.state, "loaded", JSON.stringify(rec));
});
