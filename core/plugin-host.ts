import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Plugin, PluginKind } from "./api/plugin.js";
import { descriptorSchemas } from "./plugin-schemas.js";
import { PluginRegistry, type PluginRecord } from "./plugin-registry.js";

/** Built-in folders and the kind each must hold. */
const BUILTIN_FOLDERS: Record<string, PluginKind> = { organs: "model", plugins: "perception", channels: "channel" };

// Built-ins sit beside core/ both in the source tree (run by tap as .ts) and in dist/ (.js).
const here = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(here), "..");
const OWN_EXT = path.extname(here);

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
  return { kind, name, version, source: c.source, builtin: c.builtin, state: "loaded", error: null, plugin: d as Plugin };
}

/**
 * Loads and validates every plugin found. A plugin that fails is recorded with its reason
 * and skipped; conflicts (same name, same extension) refuse the later one and name both.
 */
export async function loadPlugins(home: string, extra: string[]): Promise<PluginRegistry> {
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
