import "reflect-metadata";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import Joi from "joi";
import { inject, injectable } from "tsyringe";
import { Config } from "./config.js";
import { Conflict, Invalid, NotFound } from "./api/errors.js";
import { PERSONA_STATUSES, type OrganRole, type PersonaStatus } from "./api/types.js";
import { MEMORY_FILES } from "./mind/memory-files.js";
import { PersonaOwner } from "./persona-owner.js";

export { MEMORY_FILES } from "./mind/memory-files.js";

/** persona.json's format: 2 since her diary key is a recipient and a fingerprint (1 had a salt and a stored key). */
export const FORMAT_VERSION = 2;

/** An organ as stored in persona.json: no key, ever. */
export interface StoredOrgan {
  provider: string;
  model: string;
  url: string;
}

export interface StoredChannel {
  type: string;
  name: string;
  /** Whether a chat on it is hers (at least one is paired). */
  verified: boolean;
  /** The chats paired with her: only these reach her mind. */
  chats?: { id: string; from?: string; paired_at: string }[];
}

/**
 * `channels/<type>.json`: what a channel of hers keeps between restarts — the plugin's own
 * keys (an update offset, a session), pairing codes waiting to be entered, her words not yet
 * sent, and the message ids already handled.
 */
export interface ChannelFile {
  stored: Record<string, unknown>;
  pending: { chat: string; from?: string; code: string; expires: string }[];
  /** Her words waiting to be sent, oldest first; `pairing` marks a pairing reply (one per chat waits at most). */
  outbox: { id: string; chat: string; text: string; pairing?: true }[];
  seen: string[];
}

/** persona.json — everything about her except secrets. */
export interface PersonaRecord {
  version: number;
  id: string;
  name: string;
  birthday: string;
  created_at: string;
  status: PersonaStatus;
  /** Why she is sick, kept until she is started again. */
  status_reason: string | null;
  organs: Partial<Record<OrganRole, StoredOrgan>>;
  channels: StoredChannel[];
  /**
   * Her diary key, as far as the clear may tell it: the fingerprint of the recipient her
   * diaries are written to. Absent (or the salt and KDF of the first design) for a persona
   * made before diaries had a key: she has none until a new phrase is made.
   */
  diary?: { fingerprint?: string } & Record<string, unknown>;
  /** Her daily routines (`{sleep: "HH:MM"}` local); absent means the defaults (sleep at 00:00). */
  routines?: { sleep?: string };
}

/** secrets.json (mode 0600): organ keys, channel credentials, the recipient her diaries are written to. */
export interface PersonaSecrets {
  organs: Partial<Record<OrganRole, { api_key: string }>>;
  channels: Record<string, Record<string, string>>;
  /**
   * The age recipient (`age1…`) from her recovery phrase. Kept private: anyone who knows it
   * could write a diary her phrase opens. No key that opens a diary is ever kept.
   */
  diary_recipient?: string;
}

/** What the daemon relies on in a persona.json, wherever it comes from (her folder, a hand edit, a diary); the rest is kept as it is. */
const RECORD = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().min(1).required(),
  created_at: Joi.string().isoDate().required(),
  status: Joi.string().valid(...PERSONA_STATUSES).required(),
  organs: Joi.object().pattern(Joi.string(), Joi.object({ provider: Joi.string().required(), model: Joi.string().required() }).unknown()).required(),
  channels: Joi.array().items(Joi.object({ type: Joi.string().required() }).unknown()).required(),
}).unknown();

/** Why a parsed persona.json cannot be hers (`id`: the id it must have), or null. */
export function recordProblem(rec: unknown, id: string): string | null {
  const { error } = RECORD.validate(rec, { abortEarly: true, convert: false });
  if (error) return error.details[0]!.message.replace(/^"value"/, "it");
  if ((rec as PersonaRecord).id !== id) return `it says its id is '${(rec as PersonaRecord).id}', but her id is '${id}' (an id never changes)`;
  return null;
}

const HOME_DIRS = ["history", "destiny", "media", "meanings", "lessons"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DIR_MODE = 0o700;
/** Folders beside hers while she is being written (`.new-`) or removed (`.gone-`): never a persona. */
const STAGING = /^\.(new|gone)-/;
/** The temp file of an atomic write (`notes.md.3312456789`) a crash left behind. */
const ATOMIC_TEMP = /^(.+\.(?:md|json|jsonl))\.\d+$/;
/** A diary being written when a crash came (`diary/.<id>.diary.<hex>.tmp`). */
const DIARY_TEMP = /^\.[0-9a-f-]{36}\.diary\.[0-9a-f]{8}\.tmp$/;
/** Where her writes happen: her folder, home/ and the folders under it that hold JSON and Markdown, and her diaries. */
const WRITTEN_DIRS = ["", "home", "diary", "channels", ...HOME_DIRS.filter((d) => d !== "media").map((d) => path.join("home", d))];

async function writeJson(file: string, value: unknown, mode: number, fsync = true): Promise<void> {
  // temp file + fsync + rename: a crash leaves either the old file or the new one, never half of one.
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n", { mode, fsync });
}

/** Removes what a crash left half done: staging folders, and temp files of atomic writes. */
async function sweep(root: string, names: string[], onRemoved: (what: string) => void): Promise<void> {
  for (const n of names.filter((x) => STAGING.test(x))) {
    await fs.rm(path.join(root, n), { recursive: true, force: true });
    onRemoved(path.join(root, n));
  }
  for (const n of names.filter((x) => UUID.test(x))) {
    for (const sub of WRITTEN_DIRS) {
      const dir = path.join(root, n, sub);
      for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
        if (!ATOMIC_TEMP.test(f) && !DIARY_TEMP.test(f)) continue;
        await fs.rm(path.join(dir, f), { force: true });
        onRemoved(path.join(dir, f));
      }
    }
  }
}

/**
 * Her folder on disk (SPEC §5), and her owner in the daemon. persona.json records are held
 * in memory after the first read and written through, so listing a hundred personas costs
 * no disk reads. She appears whole (her folder is written aside, then renamed into place)
 * and disappears whole (renamed aside, then removed), so a crash or a concurrent call never
 * sees half of her.
 */
@injectable()
export class PersonaStore {
  readonly root: string;
  private cache: Map<string, PersonaRecord> | null = null;
  private readonly owners = new Map<string, PersonaOwner>();

  constructor(@inject(Config) config: Config) {
    this.root = path.join(config.home, "personas");
  }

  dir(id: string): string {
    if (!UUID.test(id)) throw new NotFound(`No persona with id '${id}'.`);
    return path.join(this.root, id);
  }

  homeDir(id: string): string {
    return path.join(this.dir(id), "home");
  }

  /**
   * Reads every persona.json once (at boot, with `sweep`, after clearing what a crash left
   * half done). A folder that cannot be read is reported, not fatal. `create: false` only
   * reads (a command that lists personas must not make a home where there is none).
   */
  private loading: Promise<void> | null = null;

  async load(onBroken: (dir: string, err: unknown) => void = () => {}, opts: { create?: boolean; sweep?: boolean; onSwept?: (what: string) => void } = {}): Promise<void> {
    const cache = new Map<string, PersonaRecord>();
    if (opts.create !== false) await fs.mkdir(this.root, { recursive: true, mode: DIR_MODE });
    const names = await fs.readdir(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" && opts.create === false) return [] as string[];
      throw err;
    });
    // Only when the daemon starts: later, a staging folder may be a create in progress.
    if (opts.sweep) await sweep(this.root, names, opts.onSwept ?? (() => {}));
    await Promise.all(
      names.filter((n) => UUID.test(n)).map(async (n) => {
        try {
          const rec = JSON.parse(await fs.readFile(path.join(this.root, n, "persona.json"), "utf8")) as PersonaRecord;
          const problem = recordProblem(rec, n);
          if (problem) throw new Error(`persona.json cannot be hers: ${problem}`);
          cache.set(n, rec);
        } catch (err) {
          onBroken(path.join(this.root, n), err);
        }
      }),
    );
    this.cache = cache;
  }

  private async records(): Promise<Map<string, PersonaRecord>> {
    // One first load for all who ask at once: two would each set a cache, and the later one
    // would lose what was added to the earlier.
    if (!this.cache) await (this.loading ??= this.load());
    return this.cache!;
  }

  /** Every persona, oldest first. */
  async list(): Promise<PersonaRecord[]> {
    // Code-unit order, not localeCompare: ISO times and ids sort the same either way, and the
    // list is sorted on every GET /api/personas.
    const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    return [...(await this.records()).values()].sort((a, b) => order(a.created_at, b.created_at) || order(a.id, b.id));
  }

  async get(id: string): Promise<PersonaRecord> {
    this.dir(id);
    const rec = (await this.records()).get(id);
    if (!rec) throw new NotFound(`No persona with id '${id}'.`);
    return rec;
  }

  async has(id: string): Promise<boolean> {
    return UUID.test(id) && (await this.records()).has(id);
  }

  /** Her owner: the one memory of her home, her write gate and her lifecycle lane (404 when there is no such persona). */
  async owner(id: string): Promise<PersonaOwner> {
    await this.get(id);
    let o = this.owners.get(id);
    if (!o) this.owners.set(id, (o = new PersonaOwner(id, this.homeDir(id))));
    return o;
  }

  /** Writes her whole folder aside, then renames it into place: she is there whole, or not at all. */
  async create(rec: PersonaRecord, secrets: PersonaSecrets): Promise<void> {
    const dir = this.dir(rec.id);
    await fs.mkdir(this.root, { recursive: true, mode: DIR_MODE });
    const staging = path.join(this.root, `.new-${rec.id}`);
    try {
      const home = path.join(staging, "home");
      await fs.mkdir(home, { recursive: true, mode: DIR_MODE });
      for (const d of [...HOME_DIRS.map((x) => path.join(home, x)), path.join(staging, "workspace"), path.join(staging, "diary")]) {
        await fs.mkdir(d, { recursive: true, mode: DIR_MODE });
      }
      for (const [file, title] of Object.values(MEMORY_FILES)) await fs.writeFile(path.join(home, file), `# ${title}\n`, { mode: 0o600 });
      for (const file of ["conversation.jsonl", "health.jsonl"]) await fs.writeFile(path.join(home, file), "", { mode: 0o600 });
      await writeJson(path.join(staging, "secrets.json"), secrets, 0o600);
      await writeJson(path.join(staging, "persona.json"), rec, 0o600);
      await fs.rename(staging, dir);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw err;
    }
    (await this.records()).set(rec.id, rec);
  }

  /** Reads her persona.json again, for when a person edited it by hand. */
  async reload(id: string): Promise<PersonaRecord> {
    const file = path.join(this.dir(id), "persona.json");
    let rec: PersonaRecord;
    try {
      rec = JSON.parse(await fs.readFile(file, "utf8")) as PersonaRecord;
    } catch (err) {
      // A hand edit gone wrong is the person's to fix: say which file and why (400, not a 500).
      throw new Invalid(`${file} cannot be read: ${err instanceof Error ? err.message : err}. Fix the file and try again.`);
    }
    const problem = recordProblem(rec, id);
    if (problem) throw new Invalid(`${file} cannot be hers: ${problem}. Fix the file and try again.`);
    (await this.records()).set(id, rec);
    return rec;
  }

  async save(rec: PersonaRecord): Promise<void> {
    await (await this.owner(rec.id)).gate.write(() => writeJson(path.join(this.dir(rec.id), "persona.json"), rec, 0o600));
    (await this.records()).set(rec.id, rec);
  }

  private channelPath(id: string, type: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(type)) throw new Invalid(`'${type}' is not a channel type.`);
    return path.join(this.dir(id), "channels", `${type}.json`);
  }

  /** What a channel of hers kept (empty when it has kept nothing yet). */
  async channelFile(id: string, type: string): Promise<ChannelFile> {
    const empty: ChannelFile = { stored: {}, pending: [], outbox: [], seen: [] };
    try {
      const f = JSON.parse(await fs.readFile(this.channelPath(id, type), "utf8")) as Partial<ChannelFile> | null;
      // Each part only if it is what it should be: a part broken by hand is started afresh, not tripped on.
      const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
      const stored = f?.stored && typeof f.stored === "object" && !Array.isArray(f.stored) ? f.stored : {};
      return { stored, pending: list(f?.pending), outbox: list(f?.outbox).filter((o) => typeof o?.text === "string" && typeof o.chat === "string"), seen: list(f?.seen) };
    } catch {
      // None yet — or broken by hand, when she keeps talking there and only its offset and waiting words are lost.
      return empty;
    }
  }

  async saveChannelFile(id: string, type: string, data: ChannelFile): Promise<void> {
    const file = this.channelPath(id, type);
    await (await this.owner(id)).gate.write(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: DIR_MODE });
      // Renamed into place whole, but not flushed to the disk each time: written several times a
      // message, it would cost more than the message (her conversation is not flushed either).
      await writeJson(file, data, 0o600, false);
    });
  }

  async removeChannelFile(id: string, type: string): Promise<void> {
    await (await this.owner(id)).gate.write(() => fs.rm(this.channelPath(id, type), { force: true }));
  }

  async secrets(id: string): Promise<PersonaSecrets> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(id), "secrets.json"), "utf8")) as PersonaSecrets;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { organs: {}, channels: {} };
      throw err;
    }
  }

  async saveSecrets(id: string, s: PersonaSecrets): Promise<void> {
    await (await this.owner(id)).gate.write(() => writeJson(path.join(this.dir(id), "secrets.json"), s, 0o600));
  }

  /** An empty folder beside the personas to unpack one into (swept at boot if a crash leaves it). */
  async stagingFolder(id: string): Promise<string> {
    this.dir(id);
    await fs.mkdir(this.root, { recursive: true, mode: DIR_MODE });
    const staging = path.join(this.root, `.new-${id}-${crypto.randomBytes(4).toString("hex")}`);
    await fs.mkdir(staging, { mode: DIR_MODE });
    return staging;
  }

  /**
   * Puts a folder unpacked aside in place as her folder, with her record and secrets written
   * into it first: by one rename, so she is there whole or not at all. With `replace`, her
   * folder as it is goes aside in the same moment (no write of hers in progress) and is
   * removed after. Without it, a folder already there is a 409 (a rename onto an empty
   * folder would silently replace it).
   */
  async adopt(staging: string, rec: PersonaRecord, secrets: PersonaSecrets, opts: { replace: boolean }): Promise<void> {
    const dir = this.dir(rec.id);
    for (const d of [...HOME_DIRS.map((x) => path.join(staging, "home", x)), path.join(staging, "workspace"), path.join(staging, "diary")]) {
      await fs.mkdir(d, { recursive: true, mode: DIR_MODE });
    }
    await writeJson(path.join(staging, "secrets.json"), secrets, 0o600);
    await writeJson(path.join(staging, "persona.json"), rec, 0o600);
    const there = await fs.lstat(dir).then(() => true, () => false);
    if (!opts.replace) {
      const conflict = () => new Conflict(`A persona with her id (${rec.id}) is already here. Restore with replace=true to put the diary in her place.`);
      if (there || (await this.has(rec.id))) throw conflict();
      // Another restore of her may land between the look and the rename: the rename then refuses.
      await fs.rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
        throw err.code === "ENOTEMPTY" || err.code === "EEXIST" ? conflict() : err;
      });
      (await this.records()).set(rec.id, rec);
      return;
    }
    const owner = await this.owner(rec.id);
    await owner.gate.exclusive(async () => {
      const aside = path.join(this.root, `.gone-${rec.id}-${crypto.randomBytes(4).toString("hex")}`);
      await fs.rename(dir, aside);
      await fs.rename(staging, dir);
      (await this.records()).set(rec.id, rec);
      await fs.rm(aside, { recursive: true, force: true });
    });
  }

  /**
   * Removes her whole folder once no write of hers is in progress: renamed aside first, so
   * she is gone at once and whole, then deleted. Stop her agent before.
   */
  async remove(id: string): Promise<void> {
    const owner = await this.owner(id);
    const dir = this.dir(id);
    await owner.gate.exclusive(async () => {
      const aside = path.join(this.root, `.gone-${id}-${crypto.randomBytes(4).toString("hex")}`);
      await fs.rename(dir, aside);
      owner.gate.gone = true;
      (await this.records()).delete(id);
      this.owners.delete(id);
      await fs.rm(aside, { recursive: true, force: true });
    });
  }
}
