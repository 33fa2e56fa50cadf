import type { PluginLogger } from "eternego/plugin";
import type { LlamaModel } from "node-llama-cpp";
import type { Library } from "./engine.js";

/** A model in memory, and what its sessions need to know of it. */
export interface Loaded {
  lib: Library;
  model: LlamaModel;
  /** The context a session gets (the settings' bound, or what the model was trained for). */
  contextSize: number;
  /** The context the model was trained for. */
  trainContext: number;
  /** The chat template node-llama-cpp chose from the file. */
  wrapper: string;
}

interface Entry {
  loading: Promise<Loaded>;
  /** The organs (one per persona and role) that use it while they run. */
  holders: Set<object>;
}

/**
 * The models in memory, one per file: every persona naming a file shares its weights (each
 * has her own context), and the last one to stop unloads it. Holding is what a running organ
 * does; loading happens once, on the first hold (a failed load is forgotten, so the next
 * hold tries again).
 */
const entries = new Map<string, Entry>();

/** Holds the model of `file` for `holder`, loading it with `load` when no one has it. */
export function hold(file: string, holder: object, load: () => Promise<Loaded>, log: PluginLogger): Promise<Loaded> {
  let e = entries.get(file);
  if (!e) {
    const entry: Entry = { loading: load(), holders: new Set() };
    entries.set(file, (e = entry));
    entry.loading.then(
      (l) => log.info(`loaded ${file} into memory (${(l.model.size / 1024 ** 2).toFixed(1)} MB, ${l.wrapper} chat template, ${l.contextSize}-token contexts)`, { file, organs: entry.holders.size }),
      () => entries.get(file) === entry && entries.delete(file),
    );
  }
  if (!e.holders.has(holder)) {
    e.holders.add(holder);
    if (e.holders.size > 1) log.info(`shares the loaded ${file}: ${e.holders.size} organs use it`, { file, organs: e.holders.size });
  }
  return e.loading;
}

/** Lets go of `file` for `holder`; the last to let go unloads it. */
export async function release(file: string, holder: object, log: PluginLogger): Promise<void> {
  const e = entries.get(file);
  if (!e || !e.holders.delete(holder)) return;
  if (e.holders.size > 0) return log.info(`lets go of ${file}: ${e.holders.size} organ${e.holders.size === 1 ? "" : "s"} still use${e.holders.size === 1 ? "s" : ""} it`, { file, organs: e.holders.size });
  entries.delete(file);
  const loaded = await e.loading.catch(() => null);
  if (!loaded) return;
  await loaded.model.dispose();
  log.info(`unloaded ${file}: no running persona uses it`, { file });
}

/** Whether the model of `file` is in memory (or on its way) for someone. */
export function isHeld(file: string): boolean {
  return (entries.get(file)?.holders.size ?? 0) > 0;
}
