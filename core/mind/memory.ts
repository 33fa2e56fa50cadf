import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { Invalid, NotFound } from "../api/errors.js";
import { MEMORY_FILES } from "./memory-files.js";
import { localDate } from "./clock.js";
import { nextAfter, type Recurrence } from "./recurrence.js";

export type MemoryKey = keyof typeof MEMORY_FILES;
export const MEMORY_KEYS = Object.keys(MEMORY_FILES) as MemoryKey[];

/** One line of `conversation.jsonl`. */
export interface ConversationEntry {
  id: string;
  /** ISO time. */
  time: string;
  from: "person" | "persona";
  channel: string;
  /** The chat on that channel it came from or went to (a Telegram chat id…); absent on the home channel. */
  chat?: string;
  /** For a person's message from a channel: `<chat>:<the platform's message id>`, so it is taken in once. */
  ref?: string;
  text: string;
  /** File names under `home/media/`. */
  media?: string[];
  /** What she perceived of each file (an image described, a voice note transcribed, a document read). */
  perceived?: { kind: string; media: string; text: string }[];
  /** For her words: the last message they answer. */
  reply_to?: string;
  /** For her words: every message they answer (she may answer several at once). */
  answers?: string[];
}

export { RECURRENCES, type Recurrence } from "./recurrence.js";

/** A reminder in `destiny/<id>.json`. */
export interface Reminder {
  id: string;
  text: string;
  /** ISO time it is due. */
  due: string;
  recurrence: Recurrence | null;
  /** For a recurring reminder: its first time, from which every occurrence is counted. */
  anchor?: string;
  created_at: string;
}

/** A fired reminder, one line of `history/fired.jsonl`. */
export interface FiredReminder extends Reminder {
  fired_at: string;
}

/** A learned procedure for a kind of moment, `meanings/<name>.md`. */
export interface Meaning {
  name: string;
  intention: string;
  body: string;
  source: "frontier" | "self" | "person";
}

/** One line of `health.jsonl`. */
export interface HealthLine {
  time: string;
  phase: string;
  inbox: number;
  thinking: "ok" | "fault";
  detail?: string;
  /** What else keeps her from answering (a file of hers broken by hand), when something does. */
  trouble?: string;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * The readable part of a stored file's name, as the person named it (`café ☃`), without
 * what a file name may not hold or a URL would mangle: separators, control characters,
 * `%`, a leading dot. At most 60 characters.
 */
export function mediaBase(name: string): string {
  const clean = name.normalize("NFC").replace(/[\\/\x00-\x1f\x7f%?#]/g, "-").replace(/^[.\s-]+|\s+$/g, "");
  return [...clean].slice(0, 60).join("") || "file";
}

/** `"Write a Haiku!"` → `"write-a-haiku"`; the name a meaning file is stored under. */
export function slug(text: string): string {
  return text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64) || "untitled";
}

function parseLines<T>(text: string | null): T[] {
  const out: T[] = [];
  for (const line of (text ?? "").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A line cut by a crash or a hand edit is skipped, not fatal: the rest of the day stays readable.
    }
  }
  return out;
}

function meaningFile(m: Meaning): string {
  return `---\nintention: ${m.intention.replace(/\n/g, " ")}\nsource: ${m.source}\n---\n\n${m.body.trim()}\n`;
}

function parseMeaning(name: string, text: string): Meaning {
  const head = /^---\n([\s\S]*?)\n---\n?/.exec(text);
  const fields: Record<string, string> = {};
  for (const line of (head?.[1] ?? "").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  const source = fields.source === "frontier" || fields.source === "person" ? fields.source : "self";
  return { name, intention: fields.intention ?? "", body: text.slice(head?.[0].length ?? 0).trim(), source };
}

/** What her writes pass through: her owner's gate (one write at a time with whole-folder work). */
export interface WriteGate {
  write<T>(work: () => Promise<T>): Promise<T>;
}

const OPEN_GATE: WriteGate = { write: (work) => work() };

/** File-system troubles a person can cause by hand and put right by hand. */
const TROUBLE: Record<string, string> = {
  EISDIR: "it is a folder, not a file",
  ENOTDIR: "a folder on its path is a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "it is a loop of links",
  ENAMETOOLONG: "its name is too long",
  EEXIST: "something else is in the way",
};

/**
 * Her `home/` folder as plain files: memory, today's conversation, history, destiny,
 * meanings, lessons, media and health. One instance per persona (her owner holds it), so
 * config routes, the mind and her night share one way of reading and writing her. Every
 * write passes her gate and runs after the writes asked for before it; every rewrite is
 * atomic. A file a person broke by hand (a folder where a file belongs, no permission) is a
 * 400 naming it, never a 500.
 */
export class Memory {
  /** Her writes, one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly home: string,
    private readonly gate: WriteGate = OPEN_GATE,
  ) {}

  private file(...parts: string[]): string {
    return path.join(this.home, ...parts);
  }

  /** An fs error a person can put right, as a 400 naming the file; anything else as it is. */
  private trouble(err: unknown, file: string, verb: "read" | "written"): unknown {
    const why = TROUBLE[(err as NodeJS.ErrnoException)?.code ?? ""];
    if (!why) return err;
    const rel = path.relative(path.dirname(this.home), file);
    return new Invalid(`Her file ${rel} cannot be ${verb}: ${why}. Put it right (a plain file the daemon may read and write, or none) and she goes on.`);
  }

  /** A file's text, or null when there is none. */
  private async text(file: string): Promise<string | null> {
    try {
      return await fs.readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw this.trouble(err, file, "read");
    }
  }

  /** Runs one write after those before it, through her gate. Never called from inside another. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.gate.write(work));
    this.queue = next.catch(() => {});
    return next;
  }

  private async write(file: string, text: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: DIR_MODE });
      await writeFileAtomic(file, text, { mode: FILE_MODE });
    } catch (err) {
      throw this.trouble(err, file, "written");
    }
  }

  private async append(file: string, line: unknown): Promise<void> {
    try {
      await fs.appendFile(file, JSON.stringify(line) + "\n", { mode: FILE_MODE });
    } catch (err) {
      throw this.trouble(err, file, "written");
    }
  }

  // ─── memory files ───────────────────────────────────────────────────────────

  async read(key: MemoryKey): Promise<string> {
    return (await this.text(this.file(MEMORY_FILES[key][0]))) ?? "";
  }

  async readAll(): Promise<Record<MemoryKey, string>> {
    const texts = await Promise.all(MEMORY_KEYS.map((k) => this.read(k)));
    return Object.fromEntries(MEMORY_KEYS.map((k, i) => [k, texts[i]!])) as Record<MemoryKey, string>;
  }

  replace(key: MemoryKey, content: string): Promise<void> {
    return this.serial(() => this.write(this.file(MEMORY_FILES[key][0]), withNewline(content)));
  }

  /**
   * Reads one memory file and writes what `change` makes of it, with no other write in
   * between: a line added to her notes never loses an edit made a moment before. Returns
   * the file as it now is and whether it changed.
   */
  edit(key: MemoryKey, change: (current: string) => string): Promise<{ content: string; changed: boolean }> {
    return this.serial(async () => {
      const file = this.file(MEMORY_FILES[key][0]);
      const current = (await this.text(file)) ?? "";
      const next = withNewline(change(current));
      if (next === current) return { content: current, changed: false };
      await this.write(file, next);
      return { content: next, changed: true };
    });
  }

  // ─── conversation ───────────────────────────────────────────────────────────

  say(entry: Omit<ConversationEntry, "id" | "time"> & { id?: string; time?: string }): Promise<ConversationEntry> {
    const e: ConversationEntry = { id: entry.id ?? crypto.randomUUID(), time: entry.time ?? new Date().toISOString(), ...entry } as ConversationEntry;
    return this.serial(async () => {
      await this.append(this.file("conversation.jsonl"), e);
      return e;
    });
  }

  /** Today's conversation as last read: the file only grows by day, so only what was added since is read. */
  private today: { ino: number; size: number; mtimeMs: number; entries: ConversationEntry[] } | null = null;

  /** Today's messages, or those of a past day (`YYYY-MM-DD`). */
  async conversation(date?: string): Promise<ConversationEntry[]> {
    if (date) return parseLines(await this.text(this.file("history", `conversation-${date}.jsonl`)));
    const file = this.file("conversation.jsonl");
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) return [];
    if (!stat.isFile()) throw this.trouble(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), file, "read");
    const seen = this.today;
    if (seen && stat.ino === seen.ino && stat.size === seen.size && stat.mtimeMs === seen.mtimeMs) return [...seen.entries];
    // Appended to since: read the tail only. A hand edit that shrinks or rewrites it is read whole.
    const from = seen && stat.ino === seen.ino && stat.size > seen.size ? seen.size : 0;
    let buf: Buffer;
    try {
      const fh = await fs.open(file, "r");
      try {
        buf = Buffer.alloc(stat.size - from);
        await fh.read(buf, 0, buf.length, from);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw this.trouble(err, file, "read");
    }
    // Up to the last whole line: a line being appended right now is read next time, not lost.
    const whole = buf.lastIndexOf(0x0a) + 1;
    const entries = [...(from ? seen!.entries : []), ...parseLines<ConversationEntry>(buf.subarray(0, whole).toString("utf8"))];
    this.today = { ino: stat.ino, size: from + whole, mtimeMs: stat.mtimeMs, entries };
    return [...entries];
  }

  /**
   * Moves today's conversation, up to `before`, into `history/` (as JSON lines for the API
   * and as Markdown for a person to read), each message under the local day it was written
   * on. Messages from `before` on (those that came while she slept) stay for the new day.
   * A message already in a day's history (a night cut short by a crash, after history was
   * written and before today was) is not added twice. Returns the newest day archived, or
   * null when there was nothing to archive.
   */
  archiveDay(personName: string, before: Date = new Date()): Promise<string | null> {
    return this.serial(async () => {
      const todayFile = this.file("conversation.jsonl");
      const entries = parseLines<ConversationEntry>(await this.text(todayFile));
      const done = entries.filter((e) => new Date(e.time) < before);
      if (!done.length) return null;
      const kept = entries.filter((e) => !done.includes(e));
      const byDay = new Map<string, ConversationEntry[]>();
      for (const e of done) {
        const day = localDate(new Date(e.time));
        byDay.set(day, [...(byDay.get(day) ?? []), e]);
      }
      for (const [date, list] of byDay) {
        const jsonl = this.file("history", `conversation-${date}.jsonl`);
        const had = parseLines<ConversationEntry>(await this.text(jsonl));
        const ids = new Set(had.map((e) => e.id));
        const fresh = list.filter((e) => !ids.has(e.id));
        if (!fresh.length) continue;
        const all = [...had, ...fresh];
        await this.write(jsonl, all.map((e) => JSON.stringify(e)).join("\n") + "\n");
        await this.write(this.file("history", `conversation-${date}.md`), toMarkdown(date, personName, all));
      }
      // Only now is today rewritten: a crash before this line leaves the day in both places, never in none.
      await this.write(todayFile, kept.map((e) => JSON.stringify(e) + "\n").join(""));
      this.today = null;
      return [...byDay.keys()].sort().at(-1)!;
    });
  }

  /** The dates that have an archived conversation, oldest first. */
  async days(): Promise<string[]> {
    const names = await fs.readdir(this.file("history")).catch(() => [] as string[]);
    return names.map((n) => /^conversation-(\d{4}-\d{2}-\d{2})\.jsonl$/.exec(n)?.[1]).filter((d): d is string => !!d).sort();
  }

  // ─── destiny: reminders ─────────────────────────────────────────────────────

  async reminders(): Promise<Reminder[]> {
    const dir = this.file("destiny");
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const out: Reminder[] = [];
    for (const n of names.filter((n) => n.endsWith(".json"))) {
      try {
        const r = JSON.parse((await this.text(path.join(dir, n))) ?? "") as Reminder;
        if (r && typeof r.id === "string" && typeof r.text === "string" && !Number.isNaN(new Date(r.due).getTime())) out.push(r);
      } catch {
        // a hand-broken reminder is left for the person to fix, not a crash of her heartbeat
      }
    }
    return out.sort((a, b) => new Date(a.due).getTime() - new Date(b.due).getTime());
  }

  async setReminder(r: { text: string; due: string; recurrence?: Recurrence | null }): Promise<Reminder> {
    const due = new Date(r.due);
    if (Number.isNaN(due.getTime())) throw new Invalid(`'${r.due}' is not a time; give an ISO time like 2026-11-29T09:00:00.`);
    const rem: Reminder = { id: crypto.randomUUID(), text: r.text, due: due.toISOString(), recurrence: r.recurrence ?? null, created_at: new Date().toISOString() };
    await this.serial(() => this.write(this.file("destiny", `${rem.id}.json`), JSON.stringify(rem, null, 2) + "\n"));
    return rem;
  }

  cancelReminder(id: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(false);
    return this.serial(() =>
      fs.unlink(this.file("destiny", `${id}.json`)).then(
        () => true,
        () => false,
      ),
    );
  }

  /** Records a due reminder in history; a recurring one is re-armed at its next time after `now`. */
  fire(r: Reminder, now = new Date()): Promise<FiredReminder> {
    const fired: FiredReminder = { ...r, fired_at: now.toISOString() };
    return this.serial(async () => {
      await fs.mkdir(this.file("history"), { recursive: true, mode: DIR_MODE });
      await this.append(this.file("history", "fired.jsonl"), fired);
      if (r.recurrence) {
        const anchor = r.anchor ?? r.due;
        const next = nextAfter(new Date(anchor), r.recurrence, now);
        await this.write(this.file("destiny", `${r.id}.json`), JSON.stringify({ ...r, anchor, due: next.toISOString() }, null, 2) + "\n");
      } else {
        await fs.unlink(this.file("destiny", `${r.id}.json`)).catch(() => {});
      }
      return fired;
    });
  }

  async fired(): Promise<FiredReminder[]> {
    return parseLines(await this.text(this.file("history", "fired.jsonl")));
  }

  // ─── meanings and lessons ───────────────────────────────────────────────────

  async meanings(): Promise<Meaning[]> {
    const names = await fs.readdir(this.file("meanings")).catch(() => [] as string[]);
    const out: Meaning[] = [];
    for (const n of names.filter((n) => n.endsWith(".md")).sort()) {
      const name = n.slice(0, -3);
      out.push(parseMeaning(name, (await this.text(this.file("meanings", n))) ?? ""));
    }
    return out;
  }

  async saveMeaning(m: Meaning): Promise<Meaning> {
    if (!SLUG.test(m.name)) throw new Invalid(`A meaning's name must be lower-case letters, digits and dashes, like 'write-a-haiku', not '${m.name}'.`);
    await this.serial(() => this.write(this.file("meanings", `${m.name}.md`), meaningFile(m)));
    return m;
  }

  removeMeaning(name: string): Promise<void> {
    const missing = () => new NotFound(`She has no meaning named '${name}'.`);
    if (!SLUG.test(name)) return Promise.reject(missing());
    return this.serial(() => fs.unlink(this.file("meanings", `${name}.md`)).catch(() => Promise.reject(missing())));
  }

  saveLesson(name: string, text: string): Promise<void> {
    return this.serial(() => this.write(this.file("lessons", `${slug(name)}.md`), withNewline(text)));
  }

  // ─── media ──────────────────────────────────────────────────────────────────

  /** Copies a received file into `media/` under a fresh name keeping its extension; returns that name. */
  keepMedia(from: string, originalName: string): Promise<string> {
    const ext = path.extname(originalName).toLowerCase();
    const base = mediaBase(path.basename(originalName, path.extname(originalName)));
    const name = `${new Date().toISOString().slice(0, 10)}-${crypto.randomBytes(4).toString("hex")}-${base}${ext}`;
    const to = this.file("media", name);
    return this.serial(async () => {
      try {
        await fs.mkdir(this.file("media"), { recursive: true, mode: DIR_MODE });
        await fs.copyFile(from, to);
        await fs.chmod(to, FILE_MODE);
      } catch (err) {
        throw this.trouble(err, to, "written");
      }
      return name;
    });
  }

  /** Removes a kept file again (one she could not perceive). */
  dropMedia(name: string): Promise<void> {
    return this.serial(() => fs.rm(this.mediaPath(name), { force: true }));
  }

  /** The path of a stored file, refusing anything that is not a plain name inside `media/`. */
  mediaPath(name: string): string {
    const dir = this.file("media");
    const p = path.resolve(dir, name);
    if (path.dirname(p) !== dir || name.startsWith(".")) throw new NotFound(`No media file '${name}'.`);
    return p;
  }

  // ─── health ─────────────────────────────────────────────────────────────────

  health(line: HealthLine): Promise<void> {
    return this.serial(() => this.append(this.file("health.jsonl"), line));
  }

  async healthLines(): Promise<HealthLine[]> {
    return parseLines(await this.text(this.file("health.jsonl")));
  }
}

const withNewline = (content: string) => (content.endsWith("\n") || !content ? content : content + "\n");

function toMarkdown(date: string, personaName: string, entries: ConversationEntry[]): string {
  const lines = [`# Conversation of ${date}`, ""];
  for (const e of entries) {
    const who = e.from === "persona" ? personaName : "Person";
    const time = new Date(e.time).toTimeString().slice(0, 5);
    const media = e.media?.length ? ` (${e.media.map((m) => `media/${m}`).join(", ")})` : "";
    lines.push(`**${who}** · ${time} · ${e.channel}${media}`, "", e.text, "");
  }
  return lines.join("\n");
}
