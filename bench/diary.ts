// Her diary with 100 MB of media: a real daemon (a child process) exports it over HTTP and
// another restores it from an upload; time and how much the daemon's resident memory grows
// at its peak. The anchor, in the same run: the same folder through Debian's `tar | age`
// (the Go binary) and back. ETERNEGO_BENCH_MEDIA_FILES (default 25, of 4 MiB each) scales the
// media, to see that the growth stays flat as her folder grows.
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";
import { resolveConfig } from "../core/config.js";
import { identityOf, newKey } from "../core/diary/identity.js";
import { PersonaStore } from "../core/persona-store.js";
import { startFakeOllama } from "../test/fixtures/fake-ollama.js";
import { BIN, daemonEnv, freePort, procKiB, seedHome, spawnUntil200, tempHome } from "./lib.js";

const MEDIA_FILES = Number(process.env.ETERNEGO_BENCH_MEDIA_FILES ?? 25);
const MEDIA_BYTES = 4 * 1024 * 1024;

export interface DiaryResult {
  mediaBytes: number;
  diaryBytes: number;
  exportMs: number;
  exportGrowthKiB: number;
  migrateMs: number;
  migrateGrowthKiB: number;
  tarAgeMs: number;
  ageTarMs: number;
}

/** Resets a process's peak RSS (Linux `clear_refs` 5), so VmHWM after is the peak of what follows. */
function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** Runs `fn` and returns its time and the process's peak RSS above its RSS before, in KiB. */
async function measured(pid: number, fn: () => Promise<unknown>): Promise<{ ms: number; growthKiB: number }> {
  const before = procKiB(pid, "VmRSS");
  resetPeak(pid);
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return { ms, growthKiB: Math.max(0, procKiB(pid, "VmHWM") - before) };
}

const sh = (command: string) =>
  new Promise<void>((resolve, reject) => execFile("sh", ["-c", command], { maxBuffer: 1 << 20 }, (err, _o, stderr) => (err ? reject(new Error(`${command}: ${stderr}`)) : resolve())));

/** A persona with her diary key and MEDIA_FILES × MEDIA_BYTES of media, written straight to disk. */
async function seeded(home: string, ollamaUrl: string): Promise<{ id: string; phrase: string; dir: string; recipient: string }> {
  const [id] = await seedHome(home, 1, "hibernate");
  const store = new PersonaStore(resolveConfig({ home, port: 0 }, { ETERNEGO_QUIET: "1" }));
  const key = await newKey();
  const rec = await store.get(id!);
  await store.save({ ...rec, organs: { thinking: { provider: "ollama", model: "llama3.2:latest", url: ollamaUrl } }, diary: { fingerprint: key.fingerprint } });
  await store.saveSecrets(id!, { organs: {}, channels: {}, diary_recipient: key.recipient });
  const dir = store.dir(id!);
  for (let i = 0; i < MEDIA_FILES; i++) fs.writeFileSync(path.join(dir, "home", "media", `photo-${i}.jpg`), crypto.randomBytes(MEDIA_BYTES));
  return { id: id!, phrase: key.phrase, dir, recipient: key.recipient };
}

/** POSTs the diary as multipart, streamed from disk. */
function upload(port: number, file: string, fields: Record<string, string>): Promise<number> {
  const boundary = `----bench-${crypto.randomUUID()}`;
  const head = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") +
    `--${boundary}\r\nContent-Disposition: form-data; name="diary"; filename="her.diary"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const size = fs.statSync(file).size;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/api/persona/migrate", method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(Buffer.byteLength(head) + size + Buffer.byteLength(tail)) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.write(head);
    const s = fs.createReadStream(file);
    s.on("end", () => req.end(tail));
    s.pipe(req, { end: false });
  });
}

export async function diaryBench(): Promise<DiaryResult> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  try {
    const home = tempHome();
    const her = await seeded(home, ollama.url);
    const out = tempHome();
    const diary = path.join(out, "her.diary");

    const portA = await freePort();
    const a = await spawnUntil200([BIN, "daemon", "--port", String(portA)], portA, "/api/personas", daemonEnv(home));
    let exportMs: number;
    let exportGrowthKiB: number;
    try {
      ({ ms: exportMs, growthKiB: exportGrowthKiB } = await measured(a.proc.pid!, async () => {
        const res = await fetch(`http://127.0.0.1:${portA}/api/persona/${her.id}/export`);
        if (res.status !== 200) throw new Error(`export answered ${res.status}`);
        await pipeline(res.body as unknown as NodeJS.ReadableStream, fs.createWriteStream(diary));
      }));
    } finally {
      await a.stop();
    }

    const fresh = tempHome();
    const portB = await freePort();
    const b = await spawnUntil200([BIN, "daemon", "--port", String(portB)], portB, "/api/personas", daemonEnv(fresh));
    let migrateMs: number;
    let migrateGrowthKiB: number;
    try {
      ({ ms: migrateMs, growthKiB: migrateGrowthKiB } = await measured(b.proc.pid!, async () => {
        const status = await upload(portB, diary, { phrase: her.phrase });
        if (status !== 201) throw new Error(`migrate answered ${status}`);
      }));
    } finally {
      await b.stop();
    }

    // The anchor: the same folder through tar and Debian's age, and back.
    const sealed = path.join(out, "anchor.age");
    const key = path.join(out, "key.txt");
    fs.writeFileSync(key, `${await identityOf(her.phrase)}\n`, { mode: 0o600 });
    let t0 = performance.now();
    await sh(`tar -C '${her.dir}' -cf - persona.json home workspace | age -r ${her.recipient} > '${sealed}'`);
    const tarAgeMs = performance.now() - t0;
    const unpacked = path.join(out, "unpacked");
    fs.mkdirSync(unpacked);
    t0 = performance.now();
    await sh(`age -d -i '${key}' '${sealed}' | tar -x -C '${unpacked}'`);
    const ageTarMs = performance.now() - t0;

    return { mediaBytes: MEDIA_FILES * MEDIA_BYTES, diaryBytes: fs.statSync(diary).size, exportMs, exportGrowthKiB, migrateMs, migrateGrowthKiB, tarAgeMs, ageTarMs };
  } finally {
    await ollama.close();
  }
}
