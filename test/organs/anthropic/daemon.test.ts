import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { startDaemon } from "../../helpers/daemon.js";
import { FAKE_KEY, closedUrl, startFakeAnthropic, type FakeAnthropic } from "../../fixtures/fake-anthropic.js";

// The anthropic plugin as the person meets it: through the daemon's create and update routes.

async function fake(t: Test): Promise<FakeAnthropic> {
  const f = await startFakeAnthropic();
  t.teardown(() => f.close());
  return f;
}

/** Every file under a folder, as text. */
function everything(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => fs.readFileSync(path.join(d.parentPath, d.name), "latin1"))
    .join("\n");
}

t.test("the provider list offers anthropic: its url, that it needs a key, its roles", async (t) => {
  const d = await startDaemon(t);
  const r = await d.api("GET", "/api/config/providers");
  t.equal(r.status, 200);
  t.same(r.body.anthropic, { title: "Anthropic (Claude)", url: "https://api.anthropic.com", needs_key: true, roles: ["thinking", "vision", "frontier"], presets: [] });
});

t.test("create with a good key: 201, has_key, and the key nowhere but secrets.json", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const organ = { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY };
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: organ, vision: organ, frontier: { ...organ, model: "claude-opus-4-8" } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  const id: string = r.body.persona.id;
  t.same(r.body.persona.organs.thinking, { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, has_key: true });
  t.same(r.body.persona.organs.frontier, { provider: "anthropic", model: "claude-opus-4-8", url: f.url, has_key: true });
  t.notMatch(JSON.stringify(r.body), FAKE_KEY, "not in the response");
  t.notMatch(JSON.stringify((await d.api("GET", `/api/persona/${id}`)).body), FAKE_KEY, "not in the view");
  t.same(
    f.requests.map((q) => `${q.method} ${q.path} ${q.status}`).sort(),
    ["GET /v1/models/claude-opus-4-8 200", "GET /v1/models/claude-sonnet-4-5 200", "GET /v1/models/claude-sonnet-4-5 200"],
    "each organ prepared against the API",
  );
  const folder = path.join(d.home, "personas", id);
  const secrets = fs.readFileSync(path.join(folder, "secrets.json"), "utf8");
  t.match(secrets, FAKE_KEY, "the key is kept where keys are kept");
  t.equal(fs.statSync(path.join(folder, "secrets.json")).mode & 0o777, 0o600);
  const rest = everything(folder).split(secrets).join("");
  t.notMatch(rest, FAKE_KEY, "and in no other file of her folder");
  t.notMatch(everything(path.join(d.home, "logs")), FAKE_KEY, "nor in the logs");
});

t.test("create with a wrong key: 400 naming the 401, and no persona", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const wrong = "sk-ant-api03-wrong-0000000000";
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: wrong } } });
  t.equal(r.status, 400);
  t.same(r.body, { detail: `Organ 'thinking' (anthropic, claude-sonnet-4-5) at ${f.url}: 401 from ${new URL(f.url).host}: the key was refused — check the api_key (invalid x-api-key).` });
  t.notMatch(JSON.stringify(r.body), wrong);
  t.same((await d.api("GET", "/api/personas")).body.personas, []);
});

t.test("create without a key: 400 before any call", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, /needs an api_key/);
  t.equal(f.requests.length, 0);
});

t.test("create with a model that is not there: 400 naming it and the models there are", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "anthropic", model: "claude-5-imaginary", url: f.url, api_key: FAKE_KEY } } });
  t.equal(r.status, 400);
  t.equal(
    r.body.detail,
    `Organ 'thinking' (anthropic, claude-5-imaginary) at ${f.url}: 404 from ${new URL(f.url).host}: model 'claude-5-imaginary' not found — see the model list in the Anthropic console (this key can use: claude-sonnet-4-5, claude-haiku-4-5, claude-opus-4-8).`,
  );
});

t.test("create against a closed port: 400 that says what the url should be", async (t) => {
  const url = await closedUrl();
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "anthropic", model: "claude-sonnet-4-5", url, api_key: FAKE_KEY } } });
  t.equal(r.status, 400);
  t.same(r.body, { detail: `Organ 'thinking' (anthropic, claude-sonnet-4-5) at ${url}: connection refused — nothing answers at that url; the Anthropic API is https://api.anthropic.com.` });
});

t.test("a hearing organ on anthropic: 400, the daemon refuses a provider that cannot fill the role", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const organ = { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY };
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: organ, hearing: organ } });
  t.equal(r.status, 400);
  t.match(r.body.detail, "Provider 'anthropic' cannot fill the 'hearing' organ; it fills thinking, vision, frontier.");
  t.same((await d.api("GET", "/api/personas")).body.personas, []);
});

t.test("update: a missing model is refused and nothing changes; a present one goes through, keeping the stored key", async (t) => {
  const f = await fake(t);
  const d = await startDaemon(t);
  const thinking = { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY };
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const id: string = created.body.persona.id;
  const before = (await d.api("GET", `/api/persona/${id}`)).body.persona;

  const bad = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "anthropic", model: "claude-nope", url: f.url } } });
  t.equal(bad.status, 400);
  t.match(bad.body.detail, "model 'claude-nope' not found — see the model list in the Anthropic console");
  t.same((await d.api("GET", `/api/persona/${id}`)).body.persona, before);

  const ok = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "anthropic", model: "claude-haiku-4-5", url: f.url } } });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.same(ok.body.persona.organs.thinking, { provider: "anthropic", model: "claude-haiku-4-5", url: f.url, has_key: true });
  const last = f.requests.at(-1)!;
  t.equal(last.path, "/v1/models/claude-haiku-4-5");
  t.equal(last.headers["x-api-key"], FAKE_KEY, "prepared with the key kept from before");
});
