import os from "node:os";
import path from "node:path";
import { Invalid } from "eternego/plugin";

/** How the engine runs, from the environment; read when it is needed, never on import. */
export interface Settings {
  /** Where fetched models live: `$ETERNEGO_HOME/models`. */
  modelsDir: string;
  /** Threads one answer computes with (`ETERNEGO_EMBEDDED_THREADS`, default 1). */
  threads: number;
  /** How many answers the engine computes at once, all models together (`ETERNEGO_EMBEDDED_PARALLEL`, default 1). */
  parallel: number;
  /** The most context (tokens) a persona's session gets, if the model takes that many (`ETERNEGO_EMBEDDED_CONTEXT`, default 8192). */
  contextSize: number;
  /** The most tokens one answer may have (`ETERNEGO_EMBEDDED_MAX_TOKENS`, default 4096). */
  maxTokens: number;
}

/** The longest string a JSON answer's grammar allows, and the most items in an array: what makes any model's answer end. */
export const MAX_STRING = 4000;
export const MAX_ITEMS = 8;

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Invalid(`${name} must be a whole number from ${min} to ${max}, not '${raw}'; unset it for the default (${fallback}).`);
  }
  return v;
}

/**
 * The settings now. The models folder is under the daemon's home, as its context says
 * (`ETERNEGO_HOME`, or `~/.eternego`, for a daemon that does not say).
 *
 * Threads default to 1 by measurement: on a 2-core machine two threads for one answer ran
 * 5× to 35× slower than one thread (by the model's size and the machine's load), while two
 * answers at once on one thread each ran about as fast in all as one alone. Set more on an
 * idle machine with more cores, and measure (`npm run bench` reports both).
 */
export function settings(env: NodeJS.ProcessEnv = process.env, daemonHome?: string): Settings {
  const home = daemonHome ?? (env.ETERNEGO_HOME?.trim() ? path.resolve(env.ETERNEGO_HOME) : path.join(os.homedir(), ".eternego"));
  return {
    modelsDir: path.join(home, "models"),
    threads: whole(env, "ETERNEGO_EMBEDDED_THREADS", 1, 1, 256),
    parallel: whole(env, "ETERNEGO_EMBEDDED_PARALLEL", 1, 1, 64),
    contextSize: whole(env, "ETERNEGO_EMBEDDED_CONTEXT", 8192, 512, 1 << 20),
    maxTokens: whole(env, "ETERNEGO_EMBEDDED_MAX_TOKENS", 4096, 16, 1 << 20),
  };
}
