import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { Invalid, NotFound } from "../api/errors.js";
import { MEMORY_FILES } from "../persona-store.js";
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

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
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

/**
 * Her `home/` folder as plain files: memory, today's conversation, history, destiny,
 * meanings, lessons, media and health. Works whether she runs or not, so config routes and
 * the mind share one way of reading and writing her. Every rewrite is atomic.
 */
export class Memory {
  /** Appends to one file at a time, in order. */
  private appending: Promise<unknown> = Promise.resolve();

  constructor(readonly home: string) {}

  private file(...parts: string[]): string {
    return path.join(this.home, ...parts);
  }

  private write(file: string, text: string): Promise<void> {
    return writeFileAtomic(file, text, { mode: FILE_MODE });
  }

  private append(file: string, line: unknown): Promise<void> {
    const next = this.appending.then(() => fs.appendFile(file, JSON.stringify(line) + "\n", { mode: FILE_MODE }));
    this.appending = next.catch(() => {});
    return next;
  }

  // ─── memory files ───────────────────────────────────────────────────────────

  async read(key: MemoryKey): Promise<string> {
    return (await readText(this.file(MEMORY_FILES[key][0]))) ?? "";
  }

  async readAll(): Promise<Record<MemoryKey, string>> {
    const texts = await Promise.all(MEMORY_KEYS.map((k) => this.read(k)));
    return Object.fromEntries(MEMORY_KEYS.map((k, i) => [k, texts[i]!])) as Record<MemoryKey, string>;
  }

  async replace(key: MemoryKey, content: string): Promise<void> {
    await this.write(this.file(MEMORY_FILES[key][0]), content.endsWith("\n") || !content ? content : content + "\n");
  }

  // ─── conversation ───────────────────────────────────────────────────────────

  async say(entry: Omit<ConversationEntry, "id" | "time"> & { id?: string; time?: string }): Promise<ConversationEntry> {
    const e: ConversationEntry = { id: entry.id ?? crypto.randomUUID(), time: entry.time ?? new Date().toISOString(), ...entry } as ConversationEntry;
    await this.append(this.file("conversation.jsonl"), e);
    return e;
  }

  /** Today's conversation as last read: the file only grows by day, so only what was added since is read. */
  private today: { ino: number; size: number; mtimeMs: number; entries: ConversationEntry[] } | null = null;

  /** Today's messages, or those of a past day (`YYYY-MM-DD`). */
  async conversation(date?: string): Promise<ConversationEntry[]> {
    if (date) return parseLines(await readText(this.file("history", `conversation-${date}.jsonl`)));
    const file = this.file("conversation.jsonl");
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) return [];
    const seen = this.today;
    if (seen && stat.ino === seen.ino && stat.size === seen.size && stat.mtimeMs === seen.mtimeMs) return [...seen.entries];
    // Appended to since: read the tail only. A hand edit that shrinks or rewrites it is read whole.
    const from = seen && stat.ino === seen.ino && stat.size > seen.size ? seen.size : 0;
    const fh = await fs.open(file, "r");
    let buf: Buffer;
    try {
      buf = Buffer.alloc(stat.size - from);
      await fh.read(buf, 0, buf.length, from);
    } finally {
      await fh.close();
    }
    // Up to the last whole line: a line being appended right now is read next time, not lost.
    const whole = buf.lastIndexOf(0x0a) + 1;
    const entries = [...(from ? seen!.entries : []), ...parseLines<ConversationEntry>(buf.subarray(0, whole).toString("utf8"))];
    this.today = { ino: stat.ino, size: from + whole, mtimeMs: stat.mtimeMs, entries };
    return [...entries];
  }

  /**
   * Moves today's conversation, up to `before`, into `history/` (as JSON lines for the API
   * and as Markdown for a person to read) under the date its first message was written.
   * Messages from `before` on (those that came while she slept) stay for the new day.
   * Runs in the append queue, so no message written meanwhile is lost. Returns the date
   * archived, or null when there was nothing to archive.
   */
  archiveDay(personName: string, before: Date = new Date()): Promise<string | null> {
    const work = this.appending.then(async () => {
      const today = this.file("conversation.jsonl");
      const entries = parseLines<ConversationEntry>(await readText(today));
      const done = entries.filter((e) => new Date(e.time) < before);
      const kept = entries.filter((e) => new Date(e.time) >= before);
      if (!done.length) return null;
      const date = localDate(new Date(done[0]!.time));
      const jsonl = this.file("history", `conversation-${date}.jsonl`);
      const all = [...parseLines<ConversationEntry>(await readText(jsonl)), ...done];
      await fs.mkdir(this.file("history"), { recursive: true, mode: DIR_MODE });
      await this.write(jsonl, all.map((e) => JSON.stringify(e)).join("\n") + "\n");
      await this.write(this.file("history", `conversation-${date}.md`), toMarkdown(date, personName, all));
      // Only now is today rewritten: a crash before this line leaves the day in both places, never in none.
      await this.write(today, kept.map((e) => JSON.stringify(e) + "\n").join(""));
      this.today = null;
      return date;
    });
    this.appending = work.catch(() => {});
    return work;
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
        const r = JSON.parse((await readText(path.join(dir, n))) ?? "") as Reminder;
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
    await fs.mkdir(this.file("destiny"), { recursive: true, mode: DIR_MODE });
    await this.write(this.file("destiny", `${rem.id}.json`), JSON.stringify(rem, null, 2) + "\n");
    return rem;
  }

  async cancelReminder(id: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return false;
    try {
      await fs.unlink(this.file("destiny", `${id}.json`));
      return true;
    } catch {
      return false;
    }
  }

  /** Records a due reminder in history; a recurring one is re-armed at its next time after `now`. */
  async fire(r: Reminder, now = new Date()): Promise<FiredReminder> {
    const fired: FiredReminder = { ...r, fired_at: now.toISOString() };
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
  }

  async fired(): Promise<FiredReminder[]> {
    return parseLines(await readText(this.file("history", "fired.jsonl")));
  }

  // ─── meanings and lessons ───────────────────────────────────────────────────

  async meanings(): Promise<Meaning[]> {
    const names = await fs.readdir(this.file("meanings")).catch(() => [] as string[]);
    const out: Meaning[] = [];
    for (const n of names.filter((n) => n.endsWith(".md")).sort()) {
      const name = n.slice(0, -3);
      out.push(parseMeaning(name, (await readText(this.file("meanings", n))) ?? ""));
    }
    return out;
  }

  async saveMeaning(m: Meaning): Promise<Meaning> {
    if (!SLUG.test(m.name)) throw new Invalid(`A meaning's name must be lower-case letters, digits and dashes, like 'write-a-haiku', not '${m.name}'.`);
    await fs.mkdir(this.file("meanings"), { recursive: true, mode: DIR_MODE });
    await this.write(this.file("meanings", `${m.name}.md`), meaningFile(m));
    return m;
  }

  async removeMeaning(name: string): Promise<void> {
    if (!SLUG.test(name)) throw new NotFound(`She has no meaning named '${name}'.`);
    try {
      await fs.unlink(this.file("meanings", `${name}.md`));
    } catch {
      throw new NotFound(`She has no meaning named '${name}'.`);
    }
  }

  async saveLesson(name: string, text: string): Promise<void> {
    await fs.mkdir(this.file("lessons"), { recursive: true, mode: DIR_MODE });
    await this.write(this.file("lessons", `${slug(name)}.md`), text.endsWith("\n") ? text : text + "\n");
  }

  // ─── media ──────────────────────────────────────────────────────────────────

  /** Copies a received file into `media/` under a fresh name keeping its extension; returns that name. */
  async keepMedia(from: string, originalName: string): Promise<string> {
    const ext = path.extname(originalName).toLowerCase();
    const base = mediaBase(path.basename(originalName, path.extname(originalName)));
    const name = `${new Date().toISOString().slice(0, 10)}-${crypto.randomBytes(4).toString("hex")}-${base}${ext}`;
    await fs.mkdir(this.file("media"), { recursive: true, mode: DIR_MODE });
    await fs.copyFile(from, this.file("media", name));
    await fs.chmod(this.file("media", name), FILE_MODE);
    return name;
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
    return this.append(this.file("health.jsonl"), line);
  }

  async healthLines(): Promise<HealthLine[]> {
    return parseLines(await readText(this.file("health.jsonl")));
  }
}

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
