// Diaries as a person handles them: exported over HTTP, uploaded back as multipart, and
// what is on disk afterwards. Shared by the diary tests.
import fs from "node:fs";
import path from "node:path";
import { Encrypter } from "age-encryption";
import tar from "tar-stream";
import { fingerprintOf, identityOf, recipientOf } from "../../core/diary/identity.js";
import type { TestDaemon } from "./daemon.js";

/** The five clear lines every diary begins with. */
export function headerOf(diary: Buffer): { lines: string[]; payloadAt: number } {
  const end = diary.indexOf("\n\n");
  return { lines: diary.subarray(0, end).toString("latin1").split("\n"), payloadAt: end + 2 };
}

/** A fresh diary of her, as the export route sends it. */
export async function exportOf(d: TestDaemon, id: string): Promise<Buffer> {
  const res = await fetch(`${d.url}/api/persona/${id}/export`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${bytes.toString("utf8")}`);
  return bytes;
}

/** Uploads a diary to migrate, with the fields given. */
export function migrate(d: TestDaemon, diary: Uint8Array, fields: Record<string, string>, filename = "her.diary") {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("diary", new Blob([diary]), filename);
  return d.api("POST", "/api/persona/migrate", form);
}

/** Every regular file under `dir` with its bytes, by path relative to it. */
export function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
    if (e.isFile()) out.set(path.relative(dir, path.join(e.parentPath, e.name)), fs.readFileSync(path.join(e.parentPath, e.name)));
  }
  return out;
}

/** Everything in a home's personas/ and tmp/ folders, names only: what a refused restore must not leave. */
export function leftovers(home: string): string[] {
  return ["personas", "tmp"].flatMap((d) => {
    const dir = path.join(home, d);
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => !e.isDirectory() || !["uploads"].includes(e.name)).map((e) => path.relative(home, path.join(e.parentPath, e.name)));
  });
}

export type Entry = { name: string; type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device"; body?: string | Buffer; linkname?: string };

/**
 * A diary made by hand rather than by the daemon: the entries given, tarred, sealed to the
 * phrase's key with the standard age library and headed as Eternego heads them. What an
 * attacker who knows her phrase (or is handed one) could build.
 */
export async function forge(phrase: string, id: string, entries: Entry[], created = new Date().toISOString()): Promise<Buffer> {
  const recipient = await recipientOf(await identityOf(phrase));
  const fingerprint = fingerprintOf(recipient);
  const pack = tar.pack();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = e.body === undefined ? undefined : Buffer.from(e.body);
      pack.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname, size: body?.length ?? 0, mode: 0o600 }, body ?? "", (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  const enc = new Encrypter();
  enc.addRecipient(recipient);
  const sealed = Buffer.from(await enc.encrypt(Buffer.concat(chunks)));
  return Buffer.concat([Buffer.from(`eternego-diary 1\nid ${id}\nfingerprint ${fingerprint}\ncreated ${created}\n\n`), sealed]);
}

/** A manifest as the daemon writes it, for forged diaries. */
export async function manifestFor(phrase: string, id: string, created: string): Promise<string> {
  const fingerprint = fingerprintOf(await recipientOf(await identityOf(phrase)));
  return JSON.stringify({ format: 1, id, fingerprint, name: "Forged", created, eternego: "0.0.0" });
}

