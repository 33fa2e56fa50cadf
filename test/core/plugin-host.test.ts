import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { loadPlugins } from "../../core/plugin-host.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, tempHome } from "../helpers/daemon.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/plugins-host");

interface PluginInfo {
  kind: string | null;
  name: string;
  version: string | null;
  builtin: boolean;
  state: "loaded" | "failed";
  error: string | null;
  declares: Record<string, unknown> | null;
}

/**
 * A fresh home whose plugins/ holds every broken and conflicting case. Copied per test so
 * each daemon imports its own files (ESM caches modules by path).
 */
function homeWithPlugins(): string {
  const home = tempHome("eternego-plugins-");
  fs.cpSync(path.join(FIXTURES, "home"), path.join(home, "plugins"), { recursive: true });
  fs.mkdirSync(path.join(home, "plugins", "f-empty")); // (f) a folder without index.js
  fs.writeFileSync(path.join(home, "plugins", "g-no-default.mjs"), "export const name = 'nothing';\n");
  fs.writeFileSync(path.join(home, "plugins", "README.txt"), "not a plugin: ignored\n");
  return home;
}

t.test("broken and conflicting plugins are reported and skipped; the daemon keeps working", async (t) => {
  const home = homeWithPlugins();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const extra = path.join(FIXTURES, "extra-ts");
  const { api } = await startDaemon(t, { home, plugins: [extra] });

  const reply = await api("GET", "/api/plugins");
  t.equal(reply.status, 200);
  const list: PluginInfo[] = reply.body.plugins;
  const one = (name: string, pred: (p: PluginInfo) => boolean = () => true) => {
    const found = list.filter((p) => p.name === name && pred(p));
    t.equal(found.length, 1, `exactly one '${name}' entry`);
    return found[0]!;
  };

  // (a) throws on import
  const throws = one("a-throws");
  t.match(throws, { state: "failed", builtin: false, declares: null });
  t.match(throws.error, /import failed/);
  t.match(throws.error, /a-throws exploded on import/, "the reason carries the plugin's own error");

  // (b) no version
  const noVersion = one("no-version");
  t.match(noVersion, { kind: "perception", state: "failed", version: null, declares: null });
  t.match(noVersion.error, /invalid descriptor/);
  t.match(noVersion.error, /"version" is required/, "the reason names the missing field");

  // (c) valid
  const notes = one("notes");
  t.match(notes, { kind: "perception", state: "loaded", version: "1.2.3", builtin: false, error: null, declares: { extensions: [".mdn"], organ: null, max_bytes: 4096 } });

  // (d) claims .mdn too
  const clash = one("notes-clash");
  t.match(clash, { kind: "perception", state: "failed", declares: null });
  t.match(clash.error, /'notes'/, "names the plugin that kept the extension");
  t.match(clash.error, /'notes-clash'/, "names the refused plugin");
  t.match(clash.error, /c-notes/, "names where the first one came from");
  t.match(clash.error, /d-notes-clash/, "names where the refused one came from");
  t.match(clash.error, /'\.mdn'/, "names the extension");

  // (e) a second 'ollama'
  const ollamas = list.filter((p) => p.name === "ollama");
  t.equal(ollamas.length, 2, "both 'ollama' plugins are listed");
  const builtin = ollamas.find((p) => p.builtin)!;
  const impostor = ollamas.find((p) => !p.builtin)!;
  t.match(builtin, { kind: "model", state: "loaded", error: null, declares: { title: "Ollama (local)" } });
  t.match(impostor, { kind: "model", state: "failed", version: "9.9.9", declares: null });
  t.match(impostor.error, /duplicate model plugin name 'ollama'/);
  t.match(impostor.error, /organs[\\/]ollama/, "names the built-in's source");
  t.match(impostor.error, /e-ollama-dup/, "names the refused source");

  // (f) a folder without index.js, (g) a module without a default export
  const empty = one("f-empty");
  t.match(empty, { state: "failed", kind: null, version: null });
  t.match(empty.error, /no index\.js/);
  t.match(one("g-no-default"), { state: "failed", error: /no default export/ });
  t.notOk(list.some((p) => p.name === "README"), "files that are not modules are not plugins");

  // --plugin path: a TypeScript plugin, which this in-process daemon (run from TypeScript sources
  // under tap) can load; the built daemon takes its compiled .js instead (plugin-api.test.ts)
  t.match(one("tables"), { kind: "perception", state: "loaded", version: "0.1.0", builtin: false, declares: { extensions: [".tbl"], max_bytes: 2048 } });

  // What loaded is what is used: capabilities and providers.
  const caps = (await api("GET", "/api/capabilities")).body.capabilities;
  const pairs = caps.map((c: { extension: string; plugin: string }) => [c.extension, c.plugin]);
  const builtins = ["sight", "listening", "reading", "pdf"];
  t.same(pairs.filter(([, p]: string[]) => !builtins.includes(p!)), [[".mdn", "notes"], [".tbl", "tables"]], "only loaded plugins declare capabilities; .mdn stays with 'notes'");
  t.notOk(pairs.some(([e]: string[]) => e === ".mdnote" || e === ".blog"), "nothing of the refused plugins");
  t.match(pairs, [[".csv", "reading"]], "the built-ins are there too");
  const providers = (await api("GET", "/api/config/providers")).body;
  t.match(providers.ollama, { title: "Ollama (local)" }, "the built-in ollama is the provider");

  // The daemon still works: create a persona with the (built-in) ollama provider.
  const created = await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.ok(ollama.requests.length > 0, "the built-in ollama plugin prepared her organ (the impostor would have thrown)");
  const id = created.body.persona.id;
  const media = path.join(home, "personas", id, "home", "media");
  const f = new FormData();
  f.append("file", new Blob(["# hi"]), "hello.mdn");
  f.append("file", new Blob(["a,b\n1,2\n"]), "rows.tbl");
  const took = await api("POST", `/api/persona/${id}/attach`, f);
  t.equal(took.status, 202, "a .mdn passes the 415 rule via the valid home plugin, a .tbl via the --plugin one");
  t.match(took.body, { status: "received", id: String });
  t.same(
    took.body.perceived.map((p: { file: string; kind: string; text: string }) => [p.file, p.kind, p.text]),
    [["hello.mdn", "notes", "notes from hello.mdn: # hi"], ["rows.tbl", "tables", "a table named rows.tbl with 2 rows: a,b / 1,2"]],
    "each is perceived by the plugin that declares it (the clashing 'notes-clash' never)",
  );
  t.equal(fs.readFileSync(path.join(media, took.body.perceived[0].media), "utf8"), "# hi", "kept under media/");
  t.equal(fs.readFileSync(path.join(media, took.body.perceived[1].media), "utf8"), "a,b\n1,2\n");
  const keptBefore = fs.readdirSync(media).sort();
  const g = new FormData();
  g.append("file", new Blob(["x"]), "x.blog");
  const blog = await api("POST", `/api/persona/${id}/attach`, g);
  t.equal(blog.status, 415, "the invalid plugin's .blog is not accepted");
  t.match(blog.body.detail, /'\.blog'/);
  const h = new FormData();
  h.append("file", new Blob(["x"]), "x.mdnote");
  t.equal((await api("POST", `/api/persona/${id}/attach`, h)).status, 415, "nor the clashing plugin's .mdnote");
  t.same(fs.readdirSync(media).sort(), keptBefore, "nothing refused was kept");
});

t.test("loadPlugins directly: records in discovery order, later duplicates refused", async (t) => {
  const home = homeWithPlugins();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  // The same valid plugin once from home and once more by path: the second is a duplicate name.
  const registry = await loadPlugins(home, [path.join(home, "plugins", "c-notes", "index.js"), path.join(FIXTURES, "text-reader.js")]);
  const names = registry.records.map((r) => `${r.name}:${r.state}`);
  t.ok(names.indexOf("ollama:loaded") < names.indexOf("notes:loaded"), "built-ins come before home plugins");
  const dupNotes = registry.records.filter((r) => r.name === "notes");
  t.same(dupNotes.map((r) => r.state), ["loaded", "failed"]);
  t.match(dupNotes[1]!.error, /duplicate perception plugin name 'notes'/);
  t.equal(registry.capabilities.get(".note")?.name, "text-reader", "a plugin given by path (a single file) loads");
  t.equal(registry.capabilities.get(".mdn")?.name, "notes");
  t.notOk(registry.capabilities.has(".mdnote"), "the refused plugin's other extensions are not registered either");
  t.notOk(registry.capabilities.has(".blog"));
  t.throws(() => registry.capabilityFor("x.blog"), { name: "Unsupported", message: /'\.blog'/ });
  t.equal(registry.capabilityFor("X.MDN").name, "notes");
});

t.test("a model plugin declaring a role it has no function for is refused, naming both", async (t) => {
  const home = tempHome("eternego-plugins-");
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const dir = path.join(home, "plugins", "deaf");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "index.mjs"),
    `export default { kind: "model", name: "deaf", version: "1.0.0", title: "Deaf", defaultUrl: "http://127.0.0.1:9",
      needsKey: false, roles: ["thinking", "hearing"], async prepare() {}, think() { return { think: async () => ({ text: "" }) }; } };\n`,
  );
  const registry = await loadPlugins(home, []);
  const deaf = registry.records.find((r) => r.name === "deaf")!;
  t.equal(deaf.state, "failed");
  t.match(deaf.error, /declares the 'hearing' role but has no 'transcribe' function/);
  t.notOk(registry.models.has("deaf"), "it is no provider");
});
