import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { startDaemon, tempHome, type TestDaemon } from "../../helpers/daemon.js";

// What create says about an embedded organ it cannot use: a 400 naming the file and why.

const dir = fs.mkdtempSync(path.join(tempHome("eternego-gguf-"), "m-"));
t.teardown(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

let d: TestDaemon;
t.before(async () => {
  const home = tempHome();
  process.env.ETERNEGO_HOME = home;
  d = await startDaemon(t, { home });
});
t.teardown(() => fs.rmSync(d.home, { recursive: true, force: true }));

async function refused(t: Test, model: string, organ: Record<string, unknown> = {}) {
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "embedded", model, ...organ } } });
  t.equal(r.status, 400, JSON.stringify(r.body));
  t.same(Object.keys(r.body), ["detail"]);
  return r.body.detail as string;
}

t.test("the providers list offers it: no key, thinking and frontier, small models to fetch", async (t) => {
  const p = (await d.api("GET", "/api/config/providers")).body.embedded;
  t.match(p, { title: "Embedded (runs inside Eternego)", url: "http://in-process.invalid", needs_key: false, roles: ["thinking", "frontier"] });
  t.ok(p.presets.length >= 1, "suggested models");
  for (const preset of p.presets) t.match(preset.url, /^https:\/\/huggingface\.co\/.+\/resolve\/main\/.+\.gguf$/, `${preset.name}: a model file to fetch`);
  const plugin = (await d.api("GET", "/api/plugins")).body.plugins.find((x: { name: string }) => x.name === "embedded");
  t.match(plugin, { kind: "model", state: "loaded", error: null, declares: { title: "Embedded (runs inside Eternego)" } });
});

t.test("a file that is not there; a bare name means the models folder", async (t) => {
  const missing = path.join(dir, "nope.gguf");
  t.equal(await refused(t, missing), `Organ 'thinking' (embedded, ${missing}) at ${missing}: there is no file at ${missing} — give the path of a .gguf model file, or a URL or hf:<user>/<repo>/<file>.gguf reference to fetch one.`);
  const bare = path.join(d.home, "models", "qwen.gguf");
  t.match(await refused(t, "qwen.gguf"), `there is no file at ${bare}`);
  t.match(await refused(t, dir), `${dir} is a folder, not a model file`);
});

t.test("a file that is not GGUF, and one cut short", async (t) => {
  const html = path.join(dir, "page.gguf");
  fs.writeFileSync(html, "<!DOCTYPE html><html><body>Not found</body></html>");
  t.match(await refused(t, html), `${html} is not a GGUF model (it is an HTML page — was the link a web page rather than the file itself?)`);
  const good = writeTinyGguf({ dir, name: "whole" });
  const cut = path.join(dir, "cut.gguf");
  fs.writeFileSync(cut, fs.readFileSync(good.path).subarray(0, Math.floor(good.bytes / 2)));
  t.match(await refused(t, cut), new RegExp(`${cut} is truncated: it has ${Math.floor(good.bytes / 2)} of the ${good.bytes} bytes its header describes`));
  const tiny = path.join(dir, "empty.gguf");
  fs.writeFileSync(tiny, "GG");
  t.match(await refused(t, tiny), `${tiny} is not a GGUF model (it is only 2 bytes)`);
});

t.test("an architecture llama.cpp does not know, and a model too big for this machine", async (t) => {
  const odd = writeTinyGguf({ dir, name: "odd", architecture: "nosucharch" });
  t.match(await refused(t, odd.path), `${odd.path} is a 'nosucharch' model, which this llama.cpp does not run`);
  const huge = writeTinyGguf({ dir, name: "huge", inflate: 2 ** 38 });
  t.match(await refused(t, huge.path), new RegExp(`${huge.path} is too big for this machine's memory: it needs about \\d+ GB .* choose a smaller model`));
});

t.test("a GGUF the engine cannot load is a 400, and one that crashes llama.cpp does not crash the daemon", async (t) => {
  const incomplete = writeTinyGguf({ dir, name: "incomplete", omit: "output_norm.weight" });
  t.match(await refused(t, incomplete.path), new RegExp(`${incomplete.path} is a GGUF file the engine cannot run: llama.cpp could not load it \\(.+\\)`));
  const crashing = writeTinyGguf({ dir, name: "crashing", noByteTokens: true });
  t.match(await refused(t, crashing.path), new RegExp(`${crashing.path} is a GGUF file the engine cannot run: llama.cpp crashed loading it \\(SIGABRT`));
  t.equal((await d.api("GET", "/api/personas")).status, 200, "the daemon still runs");
  t.same((await d.api("GET", "/api/personas")).body.personas, [], "and no persona was made by any refused create");
});

t.test("references it cannot read, a URL carrying a credential, a bad setting, a role it does not fill", async (t) => {
  t.match(await refused(t, "hf:just-a-name"), "a Hugging Face reference is hf:<user>/<repo>/<file>.gguf");
  t.match(await refused(t, "ftp://host/x.gguf"), "only a path, an http(s) URL or hf:<user>/<repo>/<file>.gguf names a model here");
  const secret = "hf_abcdefghijklmnop";
  const detail = await refused(t, `https://example.com/x.gguf?token=${secret}`);
  t.match(detail, "the model's URL carries a credential");
  t.notMatch(detail, secret, "and the detail does not repeat it");
  process.env.ETERNEGO_EMBEDDED_THREADS = "many";
  t.teardown(() => void delete process.env.ETERNEGO_EMBEDDED_THREADS);
  t.match(await refused(t, path.join(dir, "whole.gguf")), "ETERNEGO_EMBEDDED_THREADS must be a whole number from 1 to 256, not 'many'");
  delete process.env.ETERNEGO_EMBEDDED_THREADS;
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "embedded", model: path.join(dir, "whole.gguf") }, vision: { provider: "embedded", model: path.join(dir, "whole.gguf") } } });
  t.equal(r.status, 400);
  t.match(r.body.detail, "Provider 'embedded' cannot fill the 'vision' organ; it fills thinking, frontier.");
});

t.test("a good file: created, and the same file fills her frontier too", async (t) => {
  const good = path.join(dir, "whole.gguf");
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "embedded", model: good }, frontier: { provider: "embedded", model: good, url: "http://ignored.example" } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(r.body.persona.organs.frontier, { provider: "embedded", model: good, url: "http://ignored.example", has_key: false }, "a url given is kept and never used");
});
