import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { childEnv, childHome, ROOT, spawnDaemon, type ChildDaemon } from "../helpers/child-daemon.js";

// `eternego/plugin` as a third-party author meets it, against the built daemon run as a
// person runs it: a plugin copied from the README into a fresh home loads; plugins bring
// their own copy of the API and still get their statuses; versions and TypeScript paths
// are refused with a message that says what to do.

const FIXTURES = path.join(ROOT, "test", "fixtures", "plugins-host");

async function plugins(d: ChildDaemon): Promise<Record<string, { state: string; error: string | null; declares: any }>> {
  const r = await d.api("GET", "/api/plugins");
  return Object.fromEntries(r.body.plugins.map((p: { name: string }) => [p.name, p]));
}

async function persona(t: Test, d: ChildDaemon): Promise<string> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.persona.id;
}
async function attach(d: ChildDaemon, id: string, name: string, content: string) {
  const f = new FormData();
  f.append("file", new Blob([content]), name);
  const res = await fetch(`${d.url}/api/persona/${id}/attach`, { method: "POST", body: f });
  return { status: res.status, body: (await res.json()) as any };
}

t.test("the plugin in the README, copied into a fresh home's plugins/, loads and its extension is accepted", async (t) => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("definePerception") && b.includes("$ETERNEGO_HOME/plugins/"));
  t.ok(block, "the README shows a plugin to copy");
  const where = /\/\/ \$ETERNEGO_HOME\/(plugins\/[\w-]+\/index\.js)/.exec(block!)?.[1];
  t.ok(where, "…and says where it goes");
  const home = childHome(t);
  fs.mkdirSync(path.dirname(path.join(home, where!)), { recursive: true });
  fs.writeFileSync(path.join(home, where!), block!);

  const d = await spawnDaemon(t, ["daemon", "--port", "0"], childEnv(home));
  const mine = (await plugins(d))["recipe-cards"];
  t.match(mine, { state: "loaded", error: null, declares: { extensions: [".rec"] } }, "listed as loaded");
  const caps = (await d.api("GET", "/api/capabilities")).body.capabilities;
  t.match(caps.find((c: { extension: string }) => c.extension === ".rec"), { plugin: "recipe-cards", organ: null });
  const id = await persona(t, d);
  const ok = await attach(d, id, "soup.rec", "leeks, potatoes, cream");
  t.equal(ok.status, 202, JSON.stringify(ok.body));
  t.match(ok.body.perceived, [{ kind: "recipe-cards", text: /A recipe card, soup\.rec:\nleeks, potatoes, cream/ }]);
  const empty = await attach(d, id, "blank.rec", "  ");
  t.same([empty.status, empty.body], [400, { detail: "blank.rec is an empty card." }], "its own Invalid is a 400 with its own words");
});

t.test("a plugin with its own copy of the API's errors still gets its 400, 409 and 415; a version it is not built for is refused", async (t) => {
  const home = childHome(t);
  const d = await spawnDaemon(t, ["daemon", "--port", "0", "--plugin", path.join(FIXTURES, "own-copy"), "--plugin", path.join(FIXTURES, "future")], childEnv(home));
  const all = await plugins(d);
  t.match(all["own-copy"], { state: "loaded" });
  t.match(all.future, { state: "failed", declares: null });
  t.match(all.future!.error, /built for Eternego \^9\.0\.0, and this is Eternego \d+\.\d+\.\d+/, "the refusal names both versions");
  const id = await persona(t, d);
  for (const [content, status] of [["unsupported", 415], ["conflict", 409], ["invalid", 400]] as const) {
    const r = await attach(d, id, `x.own`, content);
    t.equal(r.status, status, `${content}: ${status}, not a 500`);
    t.same(Object.keys(r.body), ["detail"]);
    t.match(r.body.detail, /x\.own/, "with the plugin's own words");
  }
  t.equal((await attach(d, id, "fine.own", "hello")).status, 202);
  t.equal((await attach(d, id, "x.fut", "hello")).status, 415, "the refused plugin's extension is not taken");
});

t.test("a TypeScript plugin path: refused by the built daemon with the built .js named, which then loads", async (t) => {
  const ts = path.join(FIXTURES, "extra-ts");
  const built = path.join(ROOT, "dist", "test", "fixtures", "plugins-host", "extra-ts");
  const d = await spawnDaemon(t, ["daemon", "--port", "0", "--plugin", ts], childEnv(childHome(t)));
  const refused = (await plugins(d))["extra-ts"];
  t.match(refused, { state: "failed" });
  t.match(refused!.error, /TypeScript, which Node does not run/);
  t.ok(refused!.error!.includes(path.join(built, "index.js")), `it names the built file (${refused!.error})`);

  const d2 = await spawnDaemon(t, ["daemon", "--port", "0", "--plugin", built], childEnv(childHome(t)));
  t.match((await plugins(d2)).tables, { state: "loaded", declares: { extensions: [".tbl"] } }, "the built file loads");
  const id = await persona(t, d2);
  const r = await attach(d2, id, "rows.tbl", "a,b\n1,2\n");
  t.equal(r.status, 202, "and its extension is taken");
});

t.test("eternego/plugin/shared imports nothing of Node: the dashboard can bundle it", async (t) => {
  const seen = new Set<string>();
  const specifiers: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(file, "utf8");
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
      const spec = m[1]!;
      specifiers.push(spec);
      if (spec.startsWith(".")) walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
    }
    t.notMatch(src, /\bprocess\.|\bBuffer\b|require\(/, `${path.relative(ROOT, file)} uses no Node global`);
  };
  walk(path.join(ROOT, "core", "api", "shared.ts"));
  t.ok(seen.size >= 4, `the shared API spans ${seen.size} files`);
  t.same(specifiers.filter((s) => !s.startsWith(".")), [], "only relative imports inside it: no node:, no package");
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  t.match(pkg.exports["./plugin/shared"], { default: "./dist/core/api/shared.js" }, "published as eternego/plugin/shared");
});
