import { constants as FS } from "node:fs";
import fs from "node:fs/promises";
import { createReadStream, createWriteStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar, { type Header } from "tar-stream";
import { Invalid } from "../api/errors.js";
import type { Manifest } from "./format.js";

/** What of her folder a diary holds: never secrets.json, never her older diaries. */
const ROOTS = ["home", "workspace"];
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Her folder as a tar stream: the manifest first, then persona.json, home/ and workspace/,
 * walked with lstat. Only plain files and folders go in; a link or a special file is
 * skipped (and reported), and every file is opened without following a link, so nothing
 * outside her folder can be drawn in. A file that changes size while it is read fails the
 * stream with an error (the caller's to handle), never a crash.
 */
export function packFolder(dir: string, manifest: Manifest, onSkip: (rel: string, why: string) => void): Readable {
  const pack = tar.pack();
  type Entry = Partial<Header> & Pick<Header, "name">;
  const add = (header: Entry, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? "", (err) => (err ? reject(err) : resolve()));
    });
  const file = async (rel: string) => {
    const abs = path.join(dir, rel);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(abs, FS.O_RDONLY | FS.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ELOOP") return onSkip(rel, "a link");
      // Gone since the folder was listed (a person tidying her folder by hand): the diary is of after.
      if (code === "ENOENT" && rel !== "persona.json") return onSkip(rel, "gone while the diary was written");
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return onSkip(rel, "not a plain file");
      const header: Entry = { name: rel, size: stat.size, mode: stat.mode & 0o777, mtime: stat.mtime, type: "file" };
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        if (!stat.size) return void entry.end(null);
        // tar-stream's streams are streamx, not Node's: fed by hand, with backpressure.
        void (async () => {
          try {
            for await (const chunk of createReadStream("", { fd: handle.fd, autoClose: false, start: 0, end: stat.size - 1 })) {
              if (!entry.write(chunk)) await new Promise<void>((r) => entry.once("drain", () => r()));
            }
            entry.end(null);
          } catch (err) {
            entry.destroy(err as Error);
            reject(err);
          }
        })();
      });
    } finally {
      await handle.close();
    }
  };
  const walk = async (rel: string): Promise<void> => {
    const stat = await fs.lstat(path.join(dir, rel)).catch(() => null);
    // Listed but not there: gone since, or a name that is not UTF-8 (which no file of hers has).
    if (!stat) return onSkip(rel, "gone, or a name that cannot be read");
    if (stat.isSymbolicLink()) return onSkip(rel, "a link");
    if (stat.isFile()) return file(rel);
    if (!stat.isDirectory()) return onSkip(rel, "not a plain file or folder");
    await add({ name: `${rel}/`, type: "directory", mode: stat.mode & 0o777, mtime: stat.mtime });
    for (const name of (await fs.readdir(path.join(dir, rel))).sort()) await walk(path.posix.join(rel, name));
  };
  void (async () => {
    try {
      await add({ name: "manifest.json", type: "file", mode: FILE_MODE, mtime: new Date(manifest.created) }, Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
      await file("persona.json");
      for (const root of ROOTS) await walk(root);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  // A Node stream over tar-stream's streamx one: what the encrypter and pipelines take.
  return Readable.from(pack as AsyncIterable<Buffer>);
}

export interface Unpacked {
  manifest: Manifest | null;
  files: number;
  bytes: number;
}

/** Why an archive entry may not be written into her folder, or null when it may. */
export function entryProblem(h: Pick<Header, "name" | "type">): string | null {
  const name = h.name ?? "";
  if (h.type !== "file" && h.type !== "directory") return `'${name}' is a ${h.type ?? "special entry"}: a diary holds only files and folders`;
  if (!name || name.includes("\0") || name.includes("\\")) return `an entry has a name no file of hers can have`;
  if (path.posix.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) return `'${name}' is an absolute path`;
  const parts = name.replace(/\/+$/, "").split("/");
  if (parts.some((p) => p === ".." || p === "." || p === "")) return `'${name}' climbs out of her folder`;
  if (name === "manifest.json" || name === "persona.json") return h.type === "file" ? null : `'${name}' is not a file`;
  if (!ROOTS.includes(parts[0]!)) return `'${name}' is not part of a persona's folder (persona.json, home/, workspace/)`;
  if (parts.length === 1 && h.type !== "directory") return `'${name}' is not a folder`;
  return null;
}

/**
 * Extracts a diary's tar into `staging`, which must be an empty folder of the daemon's own.
 * Each entry is checked before a byte of it is written: plain files and folders only, inside
 * `staging`, created fresh (never over something, never through a link), within the size and
 * count limits. Anything else stops the whole extraction with a 400; the caller removes
 * `staging`. The manifest is read, not written.
 */
export async function unpackInto(staging: string, source: Readable, limits: { maxBytes: number; maxEntries: number }): Promise<Unpacked> {
  const out: Unpacked = { manifest: null, files: 0, bytes: 0 };
  const extract = tar.extract();
  let entries = 0;
  // The entry being written, so a failure waits for it to let go before staging is removed.
  let working: Promise<void> = Promise.resolve();
  extract.on("entry", (header, stream, next) => {
    // The entry's stream errors when the extraction is failed under it: the failure is already ours.
    stream.on("error", () => {});
    const fail = (err: unknown) => {
      stream.resume();
      next(err as Error);
    };
    const problem = entryProblem(header);
    if (problem) return fail(new Invalid(`This diary cannot be restored: ${problem}. Nothing was written.`));
    if (++entries > limits.maxEntries) return fail(new Invalid(`This diary holds more than ${limits.maxEntries} entries; it is not one Eternego wrote.`));
    out.bytes += header.size ?? 0;
    if (out.bytes > limits.maxBytes) return fail(new Invalid(`This diary unpacks to more than ${Math.round(limits.maxBytes / 1024 ** 3)} GiB, more than this restore allows.`));
    const rel = header.name.replace(/\/+$/, "");
    if (rel === "manifest.json") {
      void (async () => {
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const c of stream as AsyncIterable<Buffer>) {
            size += c.length;
            if (size <= 64 * 1024) chunks.push(c);
          }
          out.manifest = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Manifest;
          next();
        } catch {
          next(new Invalid("This diary's manifest cannot be read; the diary is damaged."));
        }
      })();
      return;
    }
    const target = path.resolve(staging, rel);
    if (!target.startsWith(staging + path.sep)) return fail(new Invalid(`This diary cannot be restored: '${header.name}' climbs out of her folder. Nothing was written.`));
    working = (async () => {
      try {
        if (header.type === "directory") {
          await fs.mkdir(target, { recursive: true, mode: DIR_MODE });
          stream.resume();
          return next();
        }
        await fs.mkdir(path.dirname(target), { recursive: true, mode: DIR_MODE }).catch((err: NodeJS.ErrnoException) => {
          throw err.code === "EEXIST" || err.code === "ENOTDIR" ? new Invalid(`This diary cannot be restored: '${header.name}' lies under a file of the same name as its folder. Nothing was written.`) : err;
        });
        // wx: a fresh file, never one already there nor through a link.
        await pipeline(Readable.from(stream as AsyncIterable<Buffer>), createWriteStream(target, { flags: "wx", mode: FILE_MODE }));
        out.files++;
        next();
      } catch (err) {
        fail((err as NodeJS.ErrnoException).code === "EEXIST" ? new Invalid(`This diary cannot be restored: '${header.name}' appears twice. Nothing was written.`) : err);
      }
    })();
  });
  // Fed by hand (tar-stream's streams are streamx): the first error of either side ends it.
  const failed = new Promise<never>((_, reject) => extract.on("error", reject));
  const feed = (async () => {
    for await (const chunk of source) {
      if (!extract.write(chunk)) await Promise.race([new Promise<void>((r) => extract.once("drain", () => r())), failed]);
    }
    extract.end(null);
    await Promise.race([new Promise<void>((r) => extract.once("finish", () => r())), failed]);
  })();
  try {
    await Promise.race([feed, failed]);
  } catch (err) {
    // Nothing goes on writing into staging once the caller removes it.
    extract.destroy(err as Error);
    source.destroy();
    feed.catch(() => {});
    await working;
    throw err;
  }
  return out;
}
