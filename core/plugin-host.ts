import fs from "node:fs";
import { register } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import semver from "semver";
import type { Plugin, PluginKind } from "./api/plugin.js";
import { descriptorSchemas } from "./plugin-schemas.js";
import { PluginRegistry, type PluginRecord } from "./plugin-registry.js";
import { packageVersion } from "./version.js";

/** Built-in folders and the kind each must hold. */
const BUILTIN_FOLDERS: Record<string, PluginKind> = { organs: "model", plugins: "perception", channels: "channel" };

// Built-ins sit beside core/ both in the source tree (run by tap as .ts) and in dist/ (.js).
const here = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(here), "..");
const OWN_EXT = path.extname(here);

/**
 * `eternego/plugin` for every plugin the host loads, wherever it lives: a folder in
 * `$ETERNEGO_HOME/plugins/` or a `--plugin` path has no node_modules to find the package
 * in, so a resolve hook maps the name to the API this daemon runs. One copy of the API for
 * all: the built-ins (which name it the same way) included.
 */
let hooked = false;
function resolveApiForPlugins(): void {
  if (hooked) return;
  hooked = true;
  const api = (file: string) => new URL(`./api/${file}${OWN_EXT}`, import.meta.url).href;
  const hooks = `
    let map = {};
    export function initialize(data) { map = data; }
    export async function resolve(specifier, context, next) {
      if (Object.hasOwn(map, specifier)) return { url: map[specifier], shortCircuit: true };
      return next(specifier, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { "eternego/plugin": api("index"), "eternego/plugin/shared": api("shared") } });
}

/** The built `.js` a TypeScript plugin path compiles to, when one can be found (`dist/<same path>.js`). */
function builtOf(ts: string): string {
  let dir = path.dirname(ts);
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const inDist = path.join(dir, "dist", path.relative(dir, ts)).replace(/\.ts$/, ".js");
  return fs.existsSync(inDist) ? inDist : ts.replace(/\.ts$/, ".js");
}

interface Candidate {
  source: string;
  entry: string | null;
  builtin: boolean;
  expect: PluginKind | null;
}

function entryOf(p: string, prefer: string[]): string | null {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isFile()) return p;
  for (const ext of prefer) {
    const f = path.join(p, `index${ext}`);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

function listDir(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.name.startsWith(".") && (d.isDirectory() || /\.(m?js|ts)$/.test(d.name)))
      .map((d) => path.join(dir, d.name))
      .sort();
  } catch {
    return [];
  }
}

/** Where plugins come from, in order: built-ins, `$ETERNEGO_HOME/plugins/*`, explicit paths. */
export function discover(home: string, extra: string[]): Candidate[] {
  const out: Candidate[] = [];
  const builtinPrefer = OWN_EXT === ".ts" ? [".ts", ".js"] : [".js"];
  for (const [folder, kind] of Object.entries(BUILTIN_FOLDERS)) {
    for (const p of listDir(path.join(ROOT, folder))) {
      if (fs.statSync(p).isDirectory()) out.push({ source: p, entry: entryOf(p, builtinPrefer), builtin: true, expect: kind });
    }
  }
  const prefer = [".js", ".mjs", ".ts"];
  for (const p of listDir(path.join(home, "plugins"))) out.push({ source: p, entry: entryOf(p, prefer), builtin: false, expect: null });
  for (const p of extra) out.push({ source: p, entry: entryOf(p, prefer), builtin: false, expect: null });
  return out;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.split("\n")[0]!;
  return String(err);
}

async function loadOne(c: Candidate): Promise<PluginRecord> {
  const fallbackName = path.basename(c.source).replace(/\.(m?js|ts)$/, "");
  const failed = (error: string, kind: PluginKind | null = null, name = fallbackName, version: string | null = null): PluginRecord => ({
    kind, name, version, source: c.source, builtin: c.builtin, state: "failed", error, plugin: null,
  });
  if (!c.entry) return failed(`no index.js in ${c.source}; a plugin folder needs an index.js whose default export is its descriptor`);
  // Node runs JavaScript; only a daemon itself run from TypeScript sources (its tests) has a loader for .ts.
  if (c.entry.endsWith(".ts") && OWN_EXT !== ".ts") {
    return failed(`${c.entry} is TypeScript, which Node does not run: compile it (tsc) and give the built file instead, ${builtOf(c.entry)}`);
  }
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(c.entry).href);
  } catch (err) {
    return failed(`import failed: ${describeError(err)}`);
  }
  const d = mod.default as Partial<Plugin> | undefined;
  if (!d || typeof d !== "object") {
    return failed("the module has no default export; export the descriptor made by defineModel, definePerception or defineChannel");
  }
  const kind = d.kind as PluginKind;
  const name = typeof d.name === "string" ? d.name : fallbackName;
  const version = typeof d.version === "string" ? d.version : null;
  const schema = descriptorSchemas[kind];
  if (!schema) return failed(`kind must be 'model', 'perception' or 'channel', not ${JSON.stringify(d.kind)}`, null, name, version);
  if (c.expect && c.expect !== kind) return failed(`a ${kind} plugin cannot live in the ${c.expect} folder`, kind, name, version);
  const { error } = schema.validate(d, { abortEarly: false });
  if (error) return failed(`invalid descriptor: ${error.details.map((e) => e.message).join("; ")}`, kind, name, version);
  const wanted = (d as { eternego?: string }).eternego;
  const running = packageVersion();
  if (wanted && !semver.satisfies(running, wanted, { includePrerelease: true })) {
    return failed(`'${name}' is built for Eternego ${wanted}, and this is Eternego ${running}; use a version of the plugin made for ${running}`, kind, name, version);
  }
  return { kind, name, version, source: c.source, builtin: c.builtin, state: "loaded", error: null, plugin: d as Plugin };
}

/**
 * Loads and validates every plugin found. A plugin that fails is recorded with its reason
 * and skipped; conflicts (same name, same extension) refuse the later one and name both.
 */
export async function loadPlugins(home: string, extra: string[]): Promise<PluginRegistry> {
  resolveApiForPlugins();
  const records: PluginRecord[] = [];
  const byName = new Map<string, PluginRecord>();
  const byExt = new Map<string, PluginRecord>();
  for (const c of discover(home, extra)) {
    const r = await loadOne(c);
    if (r.state === "loaded" && r.plugin) {
      const key = `${r.kind}:${r.name}`;
      const first = byName.get(key);
      if (first) {
        records.push({ ...r, state: "failed", plugin: null, error: `duplicate ${r.kind} plugin name '${r.name}': already loaded from ${first.source}; refused ${r.source}` });
        continue;
      }
      if (r.plugin.kind === "perception") {
        const clash = r.plugin.extensions.map((e) => [e, byExt.get(e)] as const).find(([, o]) => o);
        if (clash) {
          const [ext, owner] = clash;
          records.push({ ...r, state: "failed", plugin: null, error: `perception plugins '${owner!.name}' (${owner!.source}) and '${r.name}' (${r.source}) both claim '${ext}'; '${r.name}' was refused` });
          continue;
        }
        for (const e of r.plugin.extensions) byExt.set(e, r);
      }
      byName.set(key, r);
    }
    records.push(r);
  }
  return new PluginRegistry(records);
}
