import "reflect-metadata";
import crypto from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Decrypter, Encrypter } from "age-encryption";
import { inject, injectable } from "tsyringe";
import { Invalid, isEternegoError } from "../api/errors.js";
import { Logger } from "../logger.js";
import { PersonaStore, recordProblem, type PersonaRecord } from "../persona-store.js";
import { packageVersion } from "../version.js";
import { packFolder, unpackInto } from "./archive.js";
import { DIARY_FORMAT, HEADER_MAX, headerMismatch, headerText, parseHeader, type DiaryHeader, type Manifest } from "./format.js";
import { fingerprintOf, identityOf, recipientOf } from "./identity.js";

/** What a restore may unpack to, at most. */
const MAX_UNPACKED = 64 * 1024 ** 3;
const MAX_ENTRIES = 500_000;

/** Her latest diary on disk. */
export interface DiaryFile {
  path: string;
  bytes: number;
  created: string;
}

/** A diary opened with its phrase and unpacked aside, checked, waiting to be put in place. */
export interface Opened {
  header: DiaryHeader;
  manifest: Manifest;
  record: PersonaRecord;
  staging: string;
  recipient: string;
}

/** What age's plain errors mean for a person holding a diary. */
function damaged(err: unknown): unknown {
  const m = (err as Error)?.message ?? String(err);
  if (isEternegoError(err)) return err; // one of ours, already saying what is wrong
  if (/no identity matched/i.test(m)) return new Invalid("The recovery phrase does not open this diary: it is not the phrase of the key this diary was written to.");
  return new Invalid(`This diary is damaged and cannot be restored (${m.slice(0, 160)}). Nothing was written; restore an older diary of hers, or the file as it was first saved.`);
}

/**
 * Her diaries: the age file of her folder that moves her to another machine. Written at
 * create, after every night and on demand, atomically (temp, fsync, rename) and under her
 * owner's gate, so a write of hers never lands in the middle of one; the latest is
 * `diary/<id>.diary`. Opened only with her phrase: the daemon keeps the recipient, never a
 * key that decrypts.
 */
@injectable()
export class Diaries {
  constructor(
    private readonly store: PersonaStore,
    @inject(Logger) private readonly log: Logger,
  ) {}

  latestPath(id: string): string {
    return path.join(this.store.dir(id), "diary", `${id}.diary`);
  }

  /** Her latest diary, if she has one. */
  async latest(id: string): Promise<DiaryFile | null> {
    const p = this.latestPath(id);
    const stat = await fs.stat(p).catch(() => null);
    if (!stat?.isFile()) return null;
    const head = Buffer.alloc(HEADER_MAX);
    const fh = await fs.open(p, "r");
    try {
      await fh.read(head, 0, HEADER_MAX, 0);
    } finally {
      await fh.close();
    }
    try {
      return { path: p, bytes: stat.size, created: parseHeader(head).header.created };
    } catch {
      return null;
    }
  }

  /**
   * Writes a fresh diary of her and returns it. Her writes wait meanwhile (her owner's gate),
   * so the archive is of one moment. The previous diary stays until the new one is whole.
   * A 400 when she has no diary key yet (made before diaries had one).
   */
  async write(id: string): Promise<DiaryFile> {
    const owner = await this.store.owner(id);
    return owner.gate.exclusive(async () => {
      const rec = await this.store.get(id);
      const recipient = (await this.store.secrets(id)).diary_recipient;
      if (!recipient) {
        throw new Invalid(`${rec.name} has no diary key yet: she was made before diaries had one. Make her a recovery phrase with POST /api/persona/${id}/recovery-phrase, and her diaries are written from then on.`);
      }
      const created = new Date().toISOString();
      const dir = path.join(this.store.dir(id), "diary");
      const temp = path.join(dir, `.${id}.diary.${crypto.randomBytes(4).toString("hex")}.tmp`);
      // The fingerprint of the key it is written to, not the one persona.json names: the two are
      // two writes when a new phrase is made, and a diary between them must still open.
      const fingerprint = fingerprintOf(recipient);
      const manifest: Manifest = { format: DIARY_FORMAT, id, fingerprint, name: rec.name, created, eternego: packageVersion() };
      const skipped: string[] = [];
      let out: WriteStream | null = null;
      try {
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        const enc = new Encrypter();
        enc.addRecipient(recipient);
        out = createWriteStream(temp, { flags: "wx", mode: 0o600 });
        out.write(headerText({ id, fingerprint, created }));
        const tar = packFolder(this.store.dir(id), manifest, (rel, why) => skipped.push(`${rel} (${why})`));
        const sealed = await enc.encrypt(Readable.toWeb(tar) as ReadableStream<Uint8Array>);
        await pipeline(Readable.fromWeb(sealed as never), out);
        const fh = await fs.open(temp, "r+");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.rename(temp, this.latestPath(id));
      } catch (err) {
        // The stream closed first, so the temp file cannot be made (or written) after it is removed.
        if (out && !out.closed) await new Promise<void>((resolve) => out!.destroy().once("close", () => resolve()));
        await fs.rm(temp, { force: true }).catch((e: NodeJS.ErrnoException) => {
          // No folder to have made it in (ENOTDIR: something else is where her diary folder goes).
          if (e.code !== "ENOTDIR") this.log.warn({ persona: id }, `A half-written diary could not be removed: ${e.message}`);
        });
        // Her files could not be read as they were (one changed under it, one cannot be opened):
        // nothing is lost, the previous diary stays, and trying again is the fix.
        throw isEternegoError(err) ? err : new Invalid(`Her diary could not be written (${(err as Error).message}); her previous diary is kept. Try again.`);
      }
      if (skipped.length) this.log.warn({ persona: id, skipped }, `Her diary left out what is not a plain file or folder: ${skipped.slice(0, 5).join(", ")}`);
      const stat = await fs.stat(this.latestPath(id));
      return { path: this.latestPath(id), bytes: stat.size, created };
    });
  }

  /**
   * Opens a diary with a phrase into a staging folder beside the personas, checked through:
   * the header (bounded), the phrase (its checksum), the fingerprint (her key, not another
   * persona's), the whole payload decrypted and authenticated to its last chunk, every entry
   * a plain file or folder inside, the manifest's and persona.json's ids the header's. Any
   * failure is a 400 saying what is wrong, with the staging folder removed: nothing stays.
   * `progress` gets the bytes of the diary read so far.
   */
  async open(file: string, phrase: string, progress?: (read: number, total: number) => void): Promise<Opened> {
    const total = (await fs.stat(file)).size;
    const head = Buffer.alloc(Math.min(HEADER_MAX, total));
    const fh = await fs.open(file, "r");
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
    const { header, payloadAt } = parseHeader(head);
    const identity = await identityOf(phrase);
    const recipient = await recipientOf(identity);
    if (fingerprintOf(recipient) !== header.fingerprint) {
      throw new Invalid("The recovery phrase does not open this diary: it is another key's (another persona's, or a phrase made since this diary was written).");
    }
    const staging = await this.store.stagingFolder(header.id);
    try {
      const dec = new Decrypter();
      dec.addIdentity(identity);
      let read = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _e, done) {
          read += chunk.length;
          progress?.(read + payloadAt, total);
          done(null, chunk);
        },
      });
      // pipeline, not pipe: a read that fails fails the restore (pipe would leave it waiting).
      const source = counted;
      pipeline(createReadStream(file, { start: payloadAt }), counted).catch(() => {});
      const plain = await dec.decrypt(Readable.toWeb(source) as ReadableStream<Uint8Array>).catch((err) => Promise.reject(damaged(err)));
      const unpacked = await unpackInto(staging, Readable.fromWeb(plain as never), { maxBytes: MAX_UNPACKED, maxEntries: MAX_ENTRIES }).catch((err) => Promise.reject(damaged(err)));
      const m = unpacked.manifest;
      if (!m) throw new Invalid("This diary cannot be restored: it holds no manifest.");
      const edited = headerMismatch(header, m);
      if (edited) throw new Invalid(`This diary cannot be restored: its header was changed (its ${edited} is not the one sealed inside it).`);
      let record: PersonaRecord;
      try {
        record = JSON.parse(await fs.readFile(path.join(staging, "persona.json"), "utf8")) as PersonaRecord;
      } catch {
        throw new Invalid("This diary cannot be restored: it holds no readable persona.json.");
      }
      if (record?.id !== header.id) throw new Invalid("This diary cannot be restored: its persona.json names another persona than its header.");
      const problem = recordProblem(record, header.id);
      if (problem) throw new Invalid(`This diary cannot be restored: its persona.json is not one Eternego wrote (${problem}).`);
      return { header, manifest: m, record, staging, recipient };
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  /** Gives up an opened diary: its staging folder goes. */
  async discard(opened: Opened): Promise<void> {
    await fs.rm(opened.staging, { recursive: true, force: true });
  }
}
