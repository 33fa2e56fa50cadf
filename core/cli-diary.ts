import "reflect-metadata";
import crypto from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { buildDaemon } from "./bootstrap.js";
import { resolveConfig, type Config, type ConfigInput } from "./config.js";
import { Diaries } from "./diary/diaries.js";
import { identityOf } from "./diary/identity.js";
import { createLogger } from "./logger.js";
import { localDate } from "./mind/clock.js";
import { PersonaStore } from "./persona-store.js";

// The diary from the terminal: export through the running daemon (or from disk when none
// runs), migrate with the phrase typed unseen (or piped), and the age identity a phrase is,
// for opening a diary with standard tools.

const auth = (c: Config): Record<string, string> => (c.token ? { authorization: `Bearer ${c.token}` } : {});

/** Whether a daemon answers on the configured port. */
async function daemonAt(c: Config): Promise<string | null> {
  const url = `http://127.0.0.1:${c.port}`;
  try {
    const res = await fetch(`${url}/api/personas`, { signal: AbortSignal.timeout(1500), headers: auth(c) });
    return res.ok ? url : null;
  } catch {
    return null;
  }
}

/** A line of progress on the terminal (overwritten in place when it is one). */
function progress(what: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = total ? Math.floor((done / total) * 100) : 0;
    if (pct === last || total < 4 * 1024 * 1024) return; // small diaries need no progress
    last = pct;
    process.stderr.write(process.stderr.isTTY ? `\r${what}: ${pct}%` : `${what}: ${pct}%\n`);
    if (pct === 100 && process.stderr.isTTY) process.stderr.write("\n");
  };
}

/** Her recovery phrase: typed with nothing shown on a terminal, or read from stdin when it is piped. */
export async function readPhrase(prompt = "Her recovery phrase (24 words; nothing is shown as you type): "): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += chunk;
    return text.trim();
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve) => {
    let typed = "";
    const onData = (key: string) => {
      for (const c of key) {
        if (c === "\r" || c === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          return resolve(typed.trim());
        }
        if (c === "\u0003") {
          stdin.setRawMode(false);
          process.stderr.write("\n");
          process.exit(130);
        }
        if (c === "\u007f" || c === "\b") typed = typed.slice(0, -1);
        else typed += c;
      }
    };
    stdin.on("data", onData);
  });
}

/** `eternego export <id> [file]`: a fresh diary of her, saved as a file. */
export async function exportDiary(id: string, file: string | undefined, opts: ConfigInput): Promise<void> {
  const config = resolveConfig(opts);
  const url = await daemonAt(config);
  if (url) {
    const res = await fetch(`${url}/api/persona/${encodeURIComponent(id)}/export`, { headers: auth(config) });
    if (!res.ok) throw new Error(((await res.json().catch(() => null)) as { detail?: string } | null)?.detail ?? `the daemon answered ${res.status}`);
    const named = /filename\*=UTF-8''([^;]+)/.exec(res.headers.get("content-disposition") ?? "")?.[1];
    // The name the daemon suggests is only a name: here, never over a file that is already there.
    let suggested = "";
    try {
      suggested = path.basename(decodeURIComponent(named ?? ""));
    } catch {
      // not a name at all
    }
    const target = path.resolve(file ?? (/^[^.][^/\\]*\.diary$/.test(suggested) ? suggested : `${id}.diary`));
    if (!file && existsSync(target)) throw new Error(`${target} is already there; give the file to save her diary to: eternego export ${id} FILE`);
    const total = Number(res.headers.get("content-length") ?? 0);
    let done = 0;
    const show = progress("Saving her diary");
    const count = new Transform({
      transform(chunk: Buffer, _e, cb) {
        done += chunk.length;
        show(done, total);
        cb(null, chunk);
      },
    });
    await pipeline(res.body as unknown as NodeJS.ReadableStream, count, createWriteStream(target, { mode: 0o600 }));
    console.log(`Saved her diary to ${target} (${done} bytes). Only her recovery phrase opens it.`);
    return;
  }
  // No daemon runs: the diary is written from her folder on disk.
  const store = new PersonaStore(config);
  await store.load(undefined, { create: false });
  const rec = await store.get(id).catch(() => {
    throw new Error(`No persona with id '${id}' in ${config.home} (and no daemon runs on port ${config.port}).`);
  });
  const diary = await new Diaries(store, createLogger(config.home, false)).write(rec.id);
  const target = path.resolve(file ?? `${rec.name.replace(/[\\/\x00-\x1f\x7f]/g, "-")}-${localDate()}.diary`);
  if (!file && existsSync(target)) throw new Error(`${target} is already there; give the file to save her diary to: eternego export ${id} FILE`);
  await fs.copyFile(diary.path, target);
  await fs.chmod(target, 0o600);
  console.log(`Saved her diary to ${target} (${diary.bytes} bytes, written from ${config.home}; no daemon was running). Only her recovery phrase opens it.`);
}

/** A multipart POST of the diary with its fields, streamed with progress. */
function upload(url: string, config: Config, file: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  return fs.stat(file).then(
    (stat) =>
      new Promise((resolve, reject) => {
        const boundary = `----eternego-${crypto.randomUUID()}`;
        const head = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") +
          `--${boundary}\r\nContent-Disposition: form-data; name="diary"; filename="${path.basename(file).replace(/"/g, "")}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
        const tail = `\r\n--${boundary}--\r\n`;
        const u = new URL(`${url}/api/persona/migrate`);
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { ...auth(config), "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(Buffer.byteLength(head) + stat.size + Buffer.byteLength(tail)) } }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on("error", reject);
        req.write(head);
        let sent = 0;
        const show = progress("Sending her diary");
        const s = createReadStream(file);
        s.on("data", (c: Buffer | string) => {
          sent += c.length;
          show(sent, stat.size);
        });
        s.on("error", reject);
        s.on("end", () => req.end(tail));
        s.pipe(req, { end: false });
      }),
  );
}

/** `eternego migrate <file>`: restores her from her diary (through the running daemon, or straight into the home). */
export async function migrateDiary(file: string, opts: ConfigInput & { organs?: string; replace?: boolean }): Promise<void> {
  const config = resolveConfig(opts);
  await fs.access(file).catch(() => {
    throw new Error(`There is no file ${file}.`);
  });
  const phrase = await readPhrase();
  const url = await daemonAt(config);
  if (url) {
    const r = await upload(url, config, file, { phrase, ...(opts.organs ? { organs: opts.organs } : {}), replace: opts.replace ? "true" : "false" });
    if (r.status !== 201) {
      const d = r.body?.detail;
      throw new Error(Array.isArray(d) ? d.map((x: { msg: string }) => x.msg).join("; ") : (d ?? `the daemon answered ${r.status}`));
    }
    console.log(`Restored ${r.body.persona.name} (${r.body.persona.id}); she is running on the daemon at ${url}.`);
    return;
  }
  const daemon = await buildDaemon({ ...config, terminalLog: false });
  try {
    const persona = await daemon.parts.personas.migrate({
      file: path.resolve(file),
      phrase,
      organs: opts.organs ? JSON.parse(opts.organs) : undefined,
      replace: !!opts.replace,
      progress: progress("Opening her diary"),
    });
    console.log(`Restored ${persona.name} (${persona.id}) into ${config.home}; she starts with the daemon (eternego daemon).`);
  } finally {
    await daemon.parts.personas.shutdown();
  }
}

/** `eternego identity`: the age identity her phrase is, for `age -d -i` (docs/diary-format.md). */
export async function printIdentity(): Promise<void> {
  const identity = await identityOf(await readPhrase());
  process.stderr.write("This key opens every diary written to this phrase: keep it as safe as the phrase, and delete it when done.\n");
  console.log(identity);
}
