import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { startDaemon, tempHome } from "../../helpers/daemon.js";

// Without the engine: the daemon starts and runs, GET /api/plugins says what to run, and so
// does a create that names it. (ETERNEGO_EMBEDDED_ENGINE points where node-llama-cpp is not.)

const nowhere = tempHome("eternego-no-engine-");
process.env.ETERNEGO_EMBEDDED_ENGINE = nowhere;
t.teardown(() => fs.rmSync(nowhere, { recursive: true, force: true }));
const root = path.resolve(import.meta.dirname, "../../..");

t.test("the engine is not installed: plugins say what to run, create refuses saying it, the daemon runs", async (t) => {
  const home = tempHome();
  process.env.ETERNEGO_HOME = home;
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const d = await startDaemon(t, { home });

  const plugin = (await d.api("GET", "/api/plugins")).body.plugins.find((p: { name: string }) => p.name === "embedded");
  t.match(plugin, { kind: "model", state: "loaded", declares: { title: "Embedded (not installed: run `npm install` in Eternego's folder)" } }, "listed, its title saying what to run");
  t.equal((await d.api("GET", "/api/config/providers")).body.embedded.title, plugin.declares.title, "the provider picker shows the same");

  const model = writeTinyGguf({ dir: home, name: "here" });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "embedded", model: model.path } } });
  t.equal(r.status, 400);
  t.equal(
    r.body.detail,
    `Organ 'thinking' (embedded, ${model.path}) at ${model.path}: the embedded engine (node-llama-cpp) is not installed — run \`npm install\` in ${root}: it brings node-llama-cpp 3.21.1 with its CPU build (about 110 MB, nothing is compiled).`,
  );
  t.equal((await d.api("GET", "/api/personas")).status, 200, "the daemon runs on");
  const ollama = (await d.api("GET", "/api/config/providers")).body.ollama;
  t.ok(ollama, "and every other provider is there");
});
