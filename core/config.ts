import os from "node:os";
import path from "node:path";

/** Everything the daemon reads from flags and the environment, resolved once at start-up. */
export interface Config {
  /** `ETERNEGO_HOME` or `--home`; default `~/.eternego`. */
  home: string;
  /** Preferred port (`--port`, `WEB_PORT`, default 5000); 0 asks the OS for any free port. */
  port: number;
  /** Loopback unless `--host` says otherwise (and then a token is required). */
  host: string;
  /** `ETERNEGO_TOKEN`: when set, every request needs `Authorization: Bearer <token>`. */
  token: string | null;
  /** Origins trusted to change things besides the daemon's own (`ETERNEGO_ALLOWED_ORIGINS`, comma-separated), lower-case. */
  allowedOrigins: string[];
  /** Extra plugin paths from `--plugin` and `ETERNEGO_PLUGINS` (path-delimited). */
  plugins: string[];
  /** How long a model provider may take to answer before it is a timeout (ms); `ETERNEGO_ORGAN_TIMEOUT_MS`. */
  organTimeoutMs: number;
  /** How often her heart beats (ms): reminders, routines, a health line; `ETERNEGO_HEARTBEAT_MS`, default a minute. */
  heartbeatMs: number;
  /** How long she waits before trying her thinking organ again after a fault (ms); `ETERNEGO_FAULT_RETRY_MS`. */
  faultRetryMs: number;
  /** The first wait before a lost channel is connected again, or a failed send tried again (doubling to a minute); `ETERNEGO_CHANNEL_RETRY_MS`. */
  channelRetryMs: number;
  /** Print a readable line per log event on the terminal. */
  terminalLog: boolean;
  /** Check every response against its documented schema (tests turn this on). */
  checkResponses: boolean;
}
export const Config = Symbol("core.config");

export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export interface ConfigInput {
  home?: string;
  port?: number | string;
  host?: string;
  plugin?: string[];
}

/** Builds the config from parsed CLI options over the environment. Throws a plain Error with the fix. */
export function resolveConfig(opts: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const home = path.resolve(opts.home ?? env.ETERNEGO_HOME ?? path.join(os.homedir(), ".eternego"));
  // An empty WEB_PORT (WEB_PORT= in a shell) is no WEB_PORT: the default, not "port 0".
  const rawPort = opts.port ?? (env.WEB_PORT?.trim() ? env.WEB_PORT : undefined) ?? 5000;
  const port = typeof rawPort === "string" && !/^\s*\d+\s*$/.test(rawPort) ? NaN : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Port '${rawPort}' is not a port number; give --port (or WEB_PORT) a whole number from 1 to 65535, or 0 to let the system pick a free one.`);
  }
  const host = opts.host ?? "127.0.0.1";
  const token = env.ETERNEGO_TOKEN ? env.ETERNEGO_TOKEN : null;
  if (!LOOPBACK_HOSTS.has(host) && !token) {
    throw new Error(
      `Refusing to listen on ${host}: anyone on that network could drive your personas. ` +
        "Set ETERNEGO_TOKEN to a long random secret first; every request must then carry `Authorization: Bearer <token>`.",
    );
  }
  const allowedOrigins = (env.ETERNEGO_ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean).map((o) => {
    let u: URL | null = null;
    try {
      u = new URL(o);
    } catch {
      // reported below
    }
    if (!u || !/^https?:$/.test(u.protocol) || u.origin === "null" || o.replace(/\/$/, "").toLowerCase() !== u.origin.toLowerCase()) {
      throw new Error(`ETERNEGO_ALLOWED_ORIGINS: '${o}' is not an origin; give scheme, host and port only, like http://localhost:3000.`);
    }
    return u.origin.toLowerCase();
  });
  const fromEnv = (env.ETERNEGO_PLUGINS ?? "").split(path.delimiter).filter(Boolean);
  const organTimeoutMs = Number(env.ETERNEGO_ORGAN_TIMEOUT_MS ?? 120_000);
  if (!Number.isInteger(organTimeoutMs) || organTimeoutMs < 100) {
    throw new Error(`ETERNEGO_ORGAN_TIMEOUT_MS must be a whole number of milliseconds (at least 100), not '${env.ETERNEGO_ORGAN_TIMEOUT_MS}'.`);
  }
  const ms = (name: string, fallback: number, min: number): number => {
    const v = Number(env[name] ?? fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number of milliseconds (at least ${min}), not '${env[name]}'.`);
    return v;
  };
  return {
    home,
    organTimeoutMs,
    heartbeatMs: ms("ETERNEGO_HEARTBEAT_MS", 60_000, 10),
    faultRetryMs: ms("ETERNEGO_FAULT_RETRY_MS", 10_000, 0),
    channelRetryMs: ms("ETERNEGO_CHANNEL_RETRY_MS", 1_000, 1),
    port,
    host,
    token,
    allowedOrigins,
    plugins: [...(opts.plugin ?? []), ...fromEnv].map((p) => path.resolve(p)),
    terminalLog: env.ETERNEGO_QUIET !== "1",
    checkResponses: env.ETERNEGO_CHECK_RESPONSES === "1",
  };
}
