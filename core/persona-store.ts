import "reflect-metadata";
import fs from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { inject, injectable } from "tsyringe";
import { Config } from "./config.js";
import { Invalid, NotFound } from "./api/errors.js";
import type { OrganRole, PersonaStatus } from "./api/types.js";

export const FORMAT_VERSION = 1;

/** An organ as stored in persona.json: no key, ever. */
export interface StoredOrgan {
  provider: string;
  model: string;
  url: string;
}

export interface StoredChannel {
  type: string;
  name: string;
  verified: boolean;
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
  diary: { salt: string; kdf: { name: "scrypt"; N: number; r: number; p: number } };
  /** Her daily routines (`{sleep: "HH:MM"}` local); absent means the defaults (sleep at 00:00). */
  routines?: { sleep?: string };
}

/** secrets.json (mode 0600): organ keys, channel credentials, the derived diary key. */
export interface PersonaSecrets {
  organs: Partial<Record<OrganRole, { api_key: string }>>;
  channels: Record<string, Record<string, string>>;
  diary_key: string;
}

/** Her memory files, created with a heading so a person opening them knows what they are. */
export const MEMORY_FILES = {
  person: ["person.md", "What I know about the person"],
  traits: ["traits.md", "The person's traits"],
  persona_trait: ["persona-trait.md", "Who I am"],
  wishes: ["wishes.md", "The person's wishes"],
  struggles: ["struggles.md", "The person's struggles"],
  permissions: ["permissions.md", "What the person allows me to do"],
  notes: ["notes.md", "My notes"],
  context: ["context.md", "Hand-off from yesterday"],
} as const;
const HOME_DIRS = ["history", "destiny", "media", "meanings", "lessons"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DIR_MODE = 0o700;

async function writeJson(file: string, value: unknown, mode: number): Promise<void> {
  // temp file + fsync + rename: a crash leaves either the old file or the new one, never half of one.
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n", { mode });
}

/**
 * Her folder on disk (SPEC §5). persona.json records are held in memory after the first
 * read and written through, so listing a hundred personas costs no disk reads.
 */
@injectable()
export class PersonaStore {
  readonly root: string;
  private cache: Map<string, PersonaRecord> | null = null;

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

  /** Reads every persona.json once. A folder that cannot be read is reported, not fatal. */
  async load(onBroken: (dir: string, err: unknown) => void = () => {}): Promise<void> {
    const cache = new Map<string, PersonaRecord>();
    await fs.mkdir(this.root, { recursive: true, mode: DIR_MODE });
    const names = await fs.readdir(this.root);
    await Promise.all(
      names.filter((n) => UUID.test(n)).map(async (n) => {
        try {
          const rec = JSON.parse(await fs.readFile(path.join(this.root, n, "persona.json"), "utf8")) as PersonaRecord;
          if (rec.id !== n) throw new Error(`persona.json says id '${rec.id}' but its folder is '${n}'`);
          cache.set(n, rec);
        } catch (err) {
          onBroken(path.join(this.root, n), err);
        }
      }),
    );
    this.cache = cache;
  }

  private async records(): Promise<Map<string, PersonaRecord>> {
    if (!this.cache) await this.load();
    return this.cache!;
  }

  /** Every persona, oldest first. */
  async list(): Promise<PersonaRecord[]> {
    return [...(await this.records()).values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
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

  /** Writes her whole folder. The persona becomes visible only once every file is in place. */
  async create(rec: PersonaRecord, secrets: PersonaSecrets): Promise<void> {
    const dir = this.dir(rec.id);
    const home = path.join(dir, "home");
    await fs.mkdir(home, { recursive: true, mode: DIR_MODE });
    for (const d of [...HOME_DIRS.map((x) => path.join(home, x)), path.join(dir, "workspace"), path.join(dir, "diary")]) {
      await fs.mkdir(d, { recursive: true, mode: DIR_MODE });
    }
    for (const [file, title] of Object.values(MEMORY_FILES)) {
      await fs.writeFile(path.join(home, file), `# ${title}\n`, { flag: "wx", mode: 0o600 }).catch((e) => {
        if (e.code !== "EEXIST") throw e;
      });
    }
    for (const file of ["conversation.jsonl", "health.jsonl"]) await fs.writeFile(path.join(home, file), "", { flag: "a", mode: 0o600 });
    await this.saveSecrets(rec.id, secrets);
    await writeJson(path.join(dir, "persona.json"), rec, 0o600);
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
    if (rec?.id !== id) throw new Invalid(`${file} says its id is '${rec?.id}', but her id is '${id}'; an id never changes. Fix the file and try again.`);
    (await this.records()).set(id, rec);
    return rec;
  }

  async save(rec: PersonaRecord): Promise<void> {
    await writeJson(path.join(this.dir(rec.id), "persona.json"), rec, 0o600);
    (await this.records()).set(rec.id, rec);
  }

  async secrets(id: string): Promise<PersonaSecrets> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(id), "secrets.json"), "utf8")) as PersonaSecrets;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { organs: {}, channels: {}, diary_key: "" };
      throw err;
    }
  }

  async saveSecrets(id: string, s: PersonaSecrets): Promise<void> {
    await writeJson(path.join(this.dir(id), "secrets.json"), s, 0o600);
  }

  /** Removes her whole folder. */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    (await this.records()).delete(id);
    await fs.rm(dir, { recursive: true, force: true });
  }
}
