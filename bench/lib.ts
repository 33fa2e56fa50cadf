// Shared pieces of the benchmarks: seeding a home, a keep-alive load generator, spawning a
// daemon and waiting for its first 200, reading a child's RSS. Loopback only, every loop bounded.
import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../core/config.js";
import { FORMAT_VERSION, PersonaStore, type PersonaRecord } from "../core/persona-store.js";

/** The repository root: the first folder upwards holding package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found above the bench");
    dir = up;
  }
  return dir;
}

export const ROOT = repoRoot();
export const BIN = path.join(ROOT, "bin", "eternego.js");

const homes: string[] = [];
const children = new Set<ChildProcess>();

/** Removes temporary homes and kills any child still alive (called on exit, whatever happened). */
export function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
}

export function tempHome(): string {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-bench-"));
  homes.push(h);
  return h;
}

/** Writes `count` persona folders straight to disk through PersonaStore (no API, no scrypt). */
export async function seedHome(home: string, count: number, status: PersonaRecord["status"] = "active"): Promise<string[]> {
  const store = new PersonaStore(resolveConfig({ home, port: 0 }, { ETERNEGO_QUIET: "1" }));
  const ids: string[] = [];
  const base = Date.parse("2026-01-01T00:00:00Z");
  const batch = 10;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
        const n = i + j;
        const rec: PersonaRecord = {
          version: FORMAT_VERSION,
          id: crypto.randomUUID(),
          name: `Persona ${String(n).padStart(3, "0")}`,
          birthday: "2026-01-01",
          created_at: new Date(base + n * 1000).toISOString(),
          status,
          status_reason: null,
          organs: { thinking: { provider: "ollama", model: "llama3.2:latest", url: "http://127.0.0.1:11434" } },
          channels: [],
          // Seeded without a diary key (as a persona made before diaries had one): no phrase to derive.
        };
        await store.create(rec, { organs: {}, channels: {} });
        ids.push(rec.id);
      }),
    );
  }
  return ids;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with status and body. Rejects after `timeoutMs`. */
export function get(url: string, agent: http.Agent | false, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
  });
}

export interface LoadResult {
  requests: number;
  ms: number;
  rps: number;
  bytes: number;
}

/**
 * `total` keep-alive GETs with `concurrency` in flight, stopping early at `deadlineMs`.
 * Every answer must be 200 with the expected body length.
 */
export async function load(url: string, total: number, concurrency: number, deadlineMs: number, expectBytes?: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let issued = 0;
  let done = 0;
  let bytes = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (issued < total && performance.now() - t0 < deadlineMs) {
      issued++;
      const r = await get(url, agent);
      if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}: ${r.body.slice(0, 200)}`);
      if (expectBytes !== undefined && r.body.length !== expectBytes) throw new Error(`GET ${url} answered ${r.body.length} bytes, expected ${expectBytes}`);
      bytes += r.body.length;
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const ms = performance.now() - t0;
  return { requests: done, ms, rps: (done / ms) * 1000, bytes };
}

export interface Spawned {
  proc: ChildProcess;
  /** Milliseconds from spawn to the first 200 on `path`. */
  readyMs: number;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` and polls `http://127.0.0.1:<port><probe>` until it answers 200
 * (at most `timeoutMs`). The clock starts just before spawn, so it includes node's own start.
 */
export async function spawnUntil200(args: string[], port: number, probe: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<Spawned> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  children.add(proc);
  let err = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(proc);
  };
  const url = `http://127.0.0.1:${port}${probe}`;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`child exited before answering: ${err}`);
    if (performance.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`no 200 from ${url} within ${timeoutMs} ms: ${err}`);
    }
    const r = await get(url, false, 1_000).catch(() => null);
    if (r?.status === 200) return { proc, readyMs: performance.now() - t0, stderr: () => err, stop };
    await sleep(2);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** VmRSS of a process in KiB, from /proc (Linux). */
export function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Env for spawned daemons: quiet, nothing inherited that picks a port, a token or plugins. */
export function daemonEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ETERNEGO_QUIET: "1", ETERNEGO_HOME: home };
  for (const k of ["WEB_PORT", "ETERNEGO_PLUGINS", "ETERNEGO_TOKEN", "ETERNEGO_CHECK_RESPONSES", "NODE_OPTIONS"]) delete env[k];
  return env;
}

/** A status line of /proc/<pid>/status in KiB (VmRSS, VmHWM, ...), Linux. */
export function procKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A JSON POST with fetch; resolves with status and parsed body (text when not JSON). */
export async function postJson(url: string, body: unknown, timeoutMs = 10_000): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}
