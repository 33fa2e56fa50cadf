import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import type { OrganProgressEvent } from "../../../core/api/events.js";
import { startDaemon } from "../../helpers/daemon.js";
import { startFakeOllama, type FakeOllama, type FakeOllamaOptions } from "../../fixtures/fake-ollama.js";
import { connect, waitFor } from "../../fixtures/plugins-host/net.js";
import { closedUrl } from "./context.js";

// The ollama plugin as the person meets it: through the daemon's create and update routes.

async function fake(t: Test, opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const f = await startFakeOllama(opts);
  t.teardown(() => f.close());
  return f;
}

t.test("create with a missing but pullable model: 201, and a socket.io client watches the pull", async (t) => {
  const f = await fake(t, { models: ["llama3.2"], pullable: ["qwen3"] });
  const d = await startDaemon(t);
  const c = await connect(d.url);
  t.teardown(() => c.socket.close());
  t.equal(c.connected, true, `socket connected (${c.error?.message ?? "ok"})`);
  const progress: OrganProgressEvent[] = [];
  c.socket.on("organ:progress", (e) => progress.push(e));

  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "qwen3", url: f.url } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(r.body.persona.organs.thinking, { provider: "ollama", model: "qwen3", url: f.url, has_key: false });
  t.ok(f.models.has("qwen3:latest"), "the model was pulled onto the server");

  await waitFor("the pull's last progress event", () => progress.find((e) => e.status === "success"));
  const statuses = progress.map((e) => e.status);
  t.equal(statuses[0], "pulling manifest", "in the order Ollama sent them");
  t.same(statuses.slice(-3), ["verifying sha256 digest", "writing manifest", "success"]);
  t.ok(progress.some((e) => typeof e.completed === "number" && typeof e.total === "number"), "with byte counts while pulling layers");
  for (const e of progress) {
    t.match(e, { persona: null, role: "thinking", provider: "ollama", model: "qwen3" });
    t.type(e.time, "number");
  }
  const pulls = f.requests.filter((q) => q.path === "/api/pull");
  t.equal(pulls.length, 1);
  t.same(pulls[0]!.body, { model: "qwen3", stream: true });
});

t.test("create against a closed port: 400 whose detail says to start Ollama", async (t) => {
  const url = await closedUrl();
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url } } });
  t.equal(r.status, 400);
  t.same(r.body, { detail: `Organ 'thinking' (ollama, llama3.2) at ${url}: connection refused — start Ollama (\`ollama serve\`) or fix the url.` });
  t.same((await d.api("GET", "/api/personas")).body.personas, [], "no persona was made");
});

t.test("create with a model that does not exist anywhere: 400 naming it and the fix", async (t) => {
  const f = await fake(t, { models: ["llama3.2"] });
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "no-such-model", url: f.url } } });
  t.equal(r.status, 400);
  t.same(Object.keys(r.body), ["detail"]);
  t.equal(
    r.body.detail,
    `Organ 'thinking' (ollama, no-such-model) at ${f.url}: model 'no-such-model' not found, and Ollama could not pull it (pull model manifest: file does not exist) — check the name at https://ollama.com/library, then run \`ollama pull no-such-model\`.`,
  );
});

t.test("create with a vision organ whose model cannot see: 400", async (t) => {
  const f = await fake(t, { models: ["llama3.2", "llava"] });
  const d = await startDaemon(t);
  const thinking = { provider: "ollama", model: "llama3.2", url: f.url };
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking, vision: thinking } });
  t.equal(r.status, 400);
  t.match(r.body.detail, /^Organ 'vision' \(ollama, llama3\.2\) at .*: model 'llama3\.2' cannot fill the 'vision' organ: it cannot see images/);
  const ok = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking, vision: { ...thinking, model: "llava" } } });
  t.equal(ok.status, 201, JSON.stringify(ok.body));
});

t.test("create with a slow organ: the configured timeout is what the detail reports", async (t) => {
  const f = await fake(t);
  f.hang(3, "/api/tags");
  const d = await startDaemon(t, { env: { ETERNEGO_ORGAN_TIMEOUT_MS: "200" } });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: f.url } } });
  t.equal(r.status, 400);
  t.equal(r.body.detail, `Organ 'thinking' (ollama, llama3.2) at ${f.url}: no answer within 0.2 s — is the model still loading, or is the server overloaded?`);
});

t.test("update to a missing model: 400, and nothing changed", async (t) => {
  const f = await fake(t, { models: ["llama3.2"] });
  const d = await startDaemon(t);
  const thinking = { provider: "ollama", model: "llama3.2", url: f.url };
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const id: string = created.body.persona.id;
  const file = path.join(d.home, "personas", id, "persona.json");
  const disk = fs.readFileSync(file, "utf8");
  const before = (await d.api("GET", `/api/persona/${id}`)).body.persona;

  const r = await d.api("POST", `/api/persona/${id}/update`, { name: "Bea", organs: { thinking: { ...thinking, model: "mistral" } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, `Organ 'thinking' (ollama, mistral) at ${f.url}: model 'mistral' not found`);
  t.match(r.body.detail, "`ollama pull mistral`");
  t.equal(fs.readFileSync(file, "utf8"), disk, "persona.json untouched");
  t.same((await d.api("GET", `/api/persona/${id}`)).body.persona, before, "the view is the same: name, organs, running");

  // Once the model can be pulled, the same update goes through.
  f.pullable.add("mistral:latest");
  const ok = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { ...thinking, model: "mistral" } } });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.equal(ok.body.persona.organs.thinking.model, "mistral");
  t.ok(f.models.has("mistral:latest"));
});
