import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OrganFault, type OrganTarget, type PluginLogger } from "eternego/plugin";
import type { Llama } from "node-llama-cpp";
import type { Settings } from "./settings.js";

// node-llama-cpp is imported only here, only when a model is first opened: a daemon without
// it (or without its binary) starts and runs every other organ as before.
export type Library = typeof import("node-llama-cpp");

/** The engine version this plugin is built and tested with (package.json pins the same). */
export const ENGINE_VERSION = "3.21.1";

/** Eternego's own folder, where `npm install` brings the engine: the nearest package.json named "eternego" above this file. */
let root: string | null = null;
export function daemonRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).name === "eternego") return (root = dir);
    } catch {
      // no package.json here, or not ours: keep climbing
    }
    const up = path.dirname(dir);
    if (up === dir) return (root = process.cwd());
    dir = up;
  }
}

/** The prebuilt engine node-llama-cpp loads on this machine with `gpu: false` (Metal on Apple silicon, its only build there). */
export function prebuiltPackage(platform: string = process.platform, arch: string = process.arch): string | null {
  const names: Record<string, string> = {
    "linux-x64": "linux-x64",
    "linux-arm64": "linux-arm64",
    "linux-arm": "linux-armv7l",
    "linux-riscv64": "linux-riscv64",
    "darwin-arm64": "mac-arm64-metal",
    "darwin-x64": "mac-x64",
    "win32-x64": "win-x64",
    "win32-arm64": "win-arm64",
  };
  const name = names[`${platform}-${arch}`];
  return name ? `@node-llama-cpp/${name}` : null;
}

/** The GPU node-llama-cpp is asked for: none, except on Apple silicon, where Metal is the only prebuilt engine. */
const gpu = (): false | "metal" => (process.platform === "darwin" && process.arch === "arm64" ? "metal" : false);

export type Presence = { ok: true; entry: string } | { ok: false; why: string; fix: string; short: string };

/**
 * Whether the engine is on disk, without loading any of it: node-llama-cpp (from
 * `ETERNEGO_EMBEDDED_ENGINE`, a folder it is installed in, or else Eternego's own
 * node_modules) and its prebuilt binary for this platform. It only resolves paths, so the
 * plugin's declaration can say at once, in its title, what to run when something is missing.
 */
export function presence(env: NodeJS.ProcessEnv = process.env): Presence {
  const root = daemonRoot();
  const from = env.ETERNEGO_EMBEDDED_ENGINE?.trim() ? path.join(path.resolve(env.ETERNEGO_EMBEDDED_ENGINE), "index.js") : fileURLToPath(import.meta.url);
  let entry: string;
  try {
    entry = createRequire(from).resolve("node-llama-cpp");
  } catch {
    return {
      ok: false,
      why: "the embedded engine (node-llama-cpp) is not installed",
      fix: `run \`npm install\` in ${root}: it brings node-llama-cpp ${ENGINE_VERSION} with its CPU build (about 110 MB, nothing is compiled)`,
      short: "Embedded (not installed: run `npm install` in Eternego's folder)",
    };
  }
  const pkg = prebuiltPackage();
  const where = `${process.platform}-${process.arch}`;
  if (!pkg) {
    return {
      ok: false,
      why: `node-llama-cpp has no prebuilt engine for ${where}`,
      fix: `build one in ${root} with \`npx --no node-llama-cpp source build\` (it needs cmake and a C++ compiler, and takes minutes)`,
      short: `Embedded (no engine for ${where}: see organs/embedded/README.md)`,
    };
  }
  try {
    createRequire(entry).resolve(pkg);
  } catch {
    return {
      ok: false,
      why: `the embedded engine's binary for ${where} (${pkg}) is not installed`,
      fix: `run \`npm install --no-save ${pkg}@${ENGINE_VERSION}\` in ${root}`,
      short: `Embedded (not installed: npm i ${pkg}@${ENGINE_VERSION})`,
    };
  }
  return { ok: true, entry };
}

let library: Promise<Library> | null = null;
let llama: Promise<Llama> | null = null;
/** Where the engine's own warnings go: the log of the organ that used it last. */
let sink: PluginLogger | null = null;

/**
 * The engine, started once per daemon: `getLlama` with `build: "never"`, so a missing binary
 * fails at once (with what to run) instead of compiling llama.cpp for minutes, and with the
 * thread budget of the settings. Throws an `OrganFault` naming the fix.
 */
export async function engine(s: Settings, target: OrganTarget, log: PluginLogger): Promise<{ lib: Library; llama: Llama }> {
  sink = log;
  const here = presence();
  if (!here.ok) throw new OrganFault("rejected", target, null, `${here.why} — ${here.fix}.`);
  library ??= import(pathToFileURL(here.entry).href) as Promise<Library>;
  let lib: Library;
  try {
    lib = await library;
  } catch (err) {
    library = null;
    throw new OrganFault("rejected", target, null, `node-llama-cpp could not be imported (${(err as Error).message.split("\n")[0]}) — run \`npm install\` in ${daemonRoot()}.`, { cause: err });
  }
  llama ??= lib.getLlama({
    gpu: gpu(),
    build: "never",
    maxThreads: s.threads * s.parallel,
    logLevel: lib.LlamaLogLevel.warn,
    logger: (level, message) => {
      const text = message.trim();
      if (text) (level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal ? sink?.error : sink?.warn)?.(`llama.cpp: ${text}`);
    },
  });
  try {
    return { lib, llama: await llama };
  } catch (err) {
    llama = null;
    const missing = err instanceof lib.NoBinaryFoundError;
    const why = missing ? `node-llama-cpp found no engine binary it can run on ${process.platform}-${process.arch}` : `the engine did not start (${(err as Error).message.split("\n")[0]})`;
    const pkg = prebuiltPackage();
    const fix = pkg ? `run \`npm install --no-save ${pkg}@${ENGINE_VERSION}\` in ${daemonRoot()}` : "see organs/embedded/README.md";
    throw new OrganFault("rejected", target, null, `${why} — ${fix}.`, { cause: err });
  }
}
