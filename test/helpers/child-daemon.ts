// The built daemon as a person runs it: a real `node bin/eternego.js` child process (the
// dist is built by `npm test` before tap runs), with what it prints kept for the test.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** What the helpers need of a (sub)test. */
type Tap = { teardown(fn: () => unknown): void };

/** The repository root: the first folder upwards holding package.json (works from test/ and dist/test/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found above the test file");
    dir = up;
  }
  return dir;
}

export const ROOT = repoRoot();
export const BIN = path.join(ROOT, "bin", "eternego.js");
/** No single wait on a child may take longer. */
export const STEP_MS = 15_000;

export function childHome(t: Tap, prefix = "eternego-cli-"): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

/** The environment a child sees: quiet, fast diary keys, nothing inherited that picks a port or plugins. */
export function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ETERNEGO_QUIET: "1", ETERNEGO_HOME: home };
  for (const k of ["WEB_PORT", "ETERNEGO_PLUGINS", "ETERNEGO_TOKEN", "ETERNEGO_CHECK_RESPONSES", "ETERNEGO_ALLOWED_ORIGINS", "NODE_OPTIONS"]) delete env[k];
  return { ...env, ...extra };
}

/** Runs a short CLI command to completion (or kills it after STEP_MS), in `cwd` (the repository by default). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env, cwd, timeout: STEP_MS, killSignal: "SIGKILL", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface ChildDaemon {
  proc: ChildProcess;
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout (or stderr, with `stream: "stderr"`) matches; fails after STEP_MS or when the process ends first. */
  waitFor(re: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** Spawns `eternego <args>`, waits for its "running at" line, and kills it at teardown whatever happened. */
export async function spawnDaemon(t: Tap, args: string[], env: NodeJS.ProcessEnv): Promise<ChildDaemon> {
  const proc = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const text = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  for (const name of ["stdout", "stderr"] as const) {
    proc[name]!.setEncoding("utf8").on("data", (d: string) => {
      text[name] += d;
      for (const w of watchers) w();
    });
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => {
      done = true;
      for (const w of watchers) w();
      resolve({ code, signal });
    }),
  );
  t.teardown(async () => {
    if (done) return;
    proc.kill("SIGKILL");
    await exited;
  });
  const waitFor = (re: RegExp, stream: "stdout" | "stderr" = "stdout") =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = text[stream].match(re);
        if (m || done) {
          watchers.delete(check);
          clearTimeout(timer);
          if (m) resolve(m);
          else reject(new Error(`eternego exited before printing ${re}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`timed out waiting for ${re}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`));
      }, STEP_MS);
      watchers.add(check);
      check();
    });
  const m = await waitFor(/Eternego is running at (http:\/\/127\.0\.0\.1:(\d+))/);
  const url = m[1]!;
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(STEP_MS),
    });
    const raw = await res.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed as any };
  };
  return { proc, url, port: Number(m[2]), stdout: () => text.stdout, stderr: () => text.stderr, exited, waitFor, api };
}

/** Sends a signal and waits (bounded) for the daemon to exit. */
export async function signalAndWait(d: ChildDaemon, signal: NodeJS.Signals) {
  d.proc.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`daemon did not exit within ${STEP_MS} ms of ${signal}\nstdout: ${d.stdout()}\nstderr: ${d.stderr()}`)), STEP_MS);
  });
  try {
    return await Promise.race([d.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every regular file under `dir`, recursively, with its text. */
export function filesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.join(e.parentPath, e.name), fs.readFileSync(path.join(e.parentPath, e.name), "latin1"));
  }
  return out;
}

/** A port nothing listens on right now (and, with `pair`, the one after it too). */
export async function freePort(pair = false): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    if (!pair) return p;
    if (p < 65535 && (await canBind(p + 1))) return p;
  }
  throw new Error("no free port found");
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}
