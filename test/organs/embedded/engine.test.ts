import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { ENGINE_VERSION, engine, prebuiltPackage, presence } from "../../../organs/embedded/src/engine.js";
import { settings } from "../../../organs/embedded/src/settings.js";
import { tempHome } from "../../helpers/daemon.js";
import { context } from "../../helpers/model-context.js";

// When node-llama-cpp is there but its binary is not, or it will not start: the fix is named.
// A stand-in node-llama-cpp in a folder of its own (ETERNEGO_EMBEDDED_ENGINE) plays each part.

const root = path.resolve(import.meta.dirname, "../../..");
const target = { role: "thinking" as const, provider: "embedded", model: "m.gguf", url: "/m.gguf" };

function fakeEngine(opts: { binary: boolean; getLlama: string }): string {
  const dir = tempHome("eternego-fake-engine-");
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pkg = (name: string, code: string) => {
    const at = path.join(dir, "node_modules", name);
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(path.join(at, "package.json"), JSON.stringify({ name, version: ENGINE_VERSION, type: "module", exports: { ".": "./index.js" } }));
    fs.writeFileSync(path.join(at, "index.js"), code);
  };
  pkg("node-llama-cpp", `export class NoBinaryFoundError extends Error {}\nexport const LlamaLogLevel = { warn: "warn", error: "error", fatal: "fatal" };\nexport async function getLlama() { ${opts.getLlama} }\n`);
  if (opts.binary) pkg(prebuiltPackage()!, "export const binsDir = null;\n");
  return dir;
}

t.test("node-llama-cpp without its binary: what to install, in the title and in the fault", async (t) => {
  const dir = fakeEngine({ binary: false, getLlama: "throw new Error('unreachable');" });
  const p = presence({ ETERNEGO_EMBEDDED_ENGINE: dir });
  const pkg = prebuiltPackage()!;
  t.match(p, { ok: false, why: `the embedded engine's binary for ${process.platform}-${process.arch} (${pkg}) is not installed`, fix: `run \`npm install --no-save ${pkg}@${ENGINE_VERSION}\` in ${root}` });
  t.ok(!p.ok && p.short.length <= 80 && p.short.includes(pkg), `a title that fits (${!p.ok && p.short})`);
});

t.test("an engine that finds no binary it can run, or fails to start: a fault naming the fix, and the next call tries again", async (t) => {
  process.env.ETERNEGO_EMBEDDED_ENGINE = fakeEngine({ binary: true, getLlama: "globalThis.tries = (globalThis.tries ?? 0) + 1; if (globalThis.tries === 1) throw new NoBinaryFoundError('none'); throw new Error('cannot map the library\\nmore');" });
  t.teardown(() => void delete process.env.ETERNEGO_EMBEDDED_ENGINE);
  t.equal(presence().ok, true, "the packages are there");
  const ctx = context();
  const first = await engine(settings(), target, ctx.log).catch((e) => e);
  t.match(first, { kind: "rejected", message: `Organ 'thinking' (embedded, m.gguf) at /m.gguf: node-llama-cpp found no engine binary it can run on ${process.platform}-${process.arch} — run \`npm install --no-save ${prebuiltPackage()}@${ENGINE_VERSION}\` in ${root}.` });
  const second = await engine(settings(), target, ctx.log).catch((e) => e);
  t.match(second, { kind: "rejected", message: /the engine did not start \(cannot map the library\)/ }, "not cached: tried again, and only the first line of what it said");
});
