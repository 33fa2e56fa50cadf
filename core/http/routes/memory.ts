import { constants as FS } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Response } from "express";
import Joi from "joi";
import mime from "mime-types";
import { Invalid, NotFound } from "../../api/errors.js";
import { localDate } from "../../mind/clock.js";
import { MEMORY_KEYS, RECURRENCES, type Memory, type ConversationEntry, type MemoryKey, type Recurrence } from "../../mind/memory.js";
import { occurrences } from "../../mind/recurrence.js";
import { route, type Route } from "../route.js";
import { disposition } from "../disposition.js";
import { idParams } from "../schemas.js";
import type { RouteDeps } from "./deps.js";

const T = "memory";

// ─── request schemas ──────────────────────────────────────────────────────────

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO day, or an ISO time with or without seconds, fraction and offset. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether `YYYY-MM-DD…` names a day that exists (no 2026-02-30), and the rest of the time parses. */
function realTime(value: string): boolean {
  const [, y, m, d] = DAY.exec(value.slice(0, 10)) ?? [];
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const exists = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(m) - 1 && day.getUTCDate() === Number(d);
  return exists && !Number.isNaN(Date.parse(value.length === 10 ? `${value}T00:00:00` : value));
}

// Each custom rule looks only at what its pattern let through, so a bad value gets one error, not two.
const calendarDay = Joi.string()
  .pattern(DAY)
  .custom((v: string, h) => (!DAY.test(v) || realTime(v) ? v : h.error("date.calendar")))
  .messages({
    "string.pattern.base": "{{#label}} must be a date like 2026-11-28",
    "date.calendar": "{{#label}} is not a day of the calendar (month 01-12, a day the month has)",
  });

const time = Joi.string()
  .pattern(ISO_TIME)
  .custom((v: string, h) => (!ISO_TIME.test(v) || realTime(v) ? v : h.error("date.calendar")))
  .required()
  .description("A day (`2026-11-28`, from her local midnight) or an ISO time (`2026-11-28T09:00:00Z`; without an offset, her local time)")
  .messages({
    "string.pattern.base": "{{#label}} must be a date like 2026-11-28 or an ISO time like 2026-11-28T09:00:00Z",
    "date.calendar": "{{#label}} is not a time of the calendar (month 01-12, a day the month has, hours 00-23)",
  });

/** A day is her local midnight: her days follow the person's clock. */
const instant = (v: string): Date => new Date(v.length === 10 ? `${v}T00:00:00` : v);

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const meaningName = Joi.string()
  .pattern(SLUG)
  .required()
  .example("write-a-haiku")
  .messages({ "string.pattern.base": "{{#label}} must be lower-case letters, digits and dashes (at most 64), starting with a letter or digit, like 'write-a-haiku'" });

/** A plain name directly inside media/: no separators, no dotfiles (`.`, `..` included), no control characters. */
const mediaName = Joi.string()
  .max(255)
  .pattern(/^(?!\.)[^/\\\x00-\x1f\x7f]+$/)
  .required()
  .messages({ "string.pattern.base": "{{#label}} must be the plain name of a file in her media folder (no slashes, no leading dot)" });

// ─── response schemas ─────────────────────────────────────────────────────────

const meaning = Joi.object({
  name: Joi.string().required(),
  intention: Joi.string().allow("").required().description("The kind of moment it is for"),
  body: Joi.string().allow("").required().description("The procedure, in Markdown"),
  source: Joi.valid("frontier", "self", "person").required().description("Who wrote it: a frontier organ's lesson, she herself, or the person"),
}).label("Meaning");

const memoryFiles = Joi.object(Object.fromEntries(MEMORY_KEYS.map((k) => [k, Joi.string().allow("").required()]))).label("MemoryFiles");

const message = Joi.object({
  id: Joi.string().required(),
  time: Joi.string().required(),
  from: Joi.valid("person", "persona").required(),
  channel: Joi.string().required(),
  chat: Joi.string().description("The chat on that channel (a Telegram chat id…); absent on the web"),
  ref: Joi.string().description("For a message from a channel: `<chat>:<the platform's message id>`"),
  text: Joi.string().allow("").required(),
  media: Joi.array().items(Joi.string()).description("File names, served by GET /api/persona/{id}/media/{file}"),
  perceived: Joi.array()
    .items(Joi.object({ kind: Joi.string().required(), media: Joi.string().required(), text: Joi.string().allow("").required() }).label("Perception"))
    .description("What she perceived of each file"),
  reply_to: Joi.string().description("For her words: the last message they answer"),
  answers: Joi.array().items(Joi.string()).description("For her words: every message they answer"),
}).label("Message");

const recurrence = Joi.valid(...RECURRENCES, null).required();

const dayItem = Joi.object({
  kind: Joi.valid("day").required(),
  date: Joi.string().required(),
  time: Joi.string().required().description("Her local midnight of that day"),
  messages: Joi.number().integer().min(0).required(),
}).label("CalendarDay");

const firedItem = Joi.object({
  kind: Joi.valid("reminder").required(),
  id: Joi.string().required(),
  text: Joi.string().allow("").required(),
  time: Joi.string().required().description("When it was due"),
  fired_at: Joi.string().required(),
  recurrence,
}).label("CalendarFired");

const upcomingItem = Joi.object({
  kind: Joi.valid("reminder").required(),
  id: Joi.string().required(),
  text: Joi.string().allow("").required(),
  time: Joi.string().required().description("One occurrence (a recurring reminder appears once per occurrence in the range)"),
  recurrence,
  upcoming: Joi.valid(true).required(),
}).label("CalendarUpcoming");

// The files are plain text a person may edit: what does not fit these shapes is left out of
// the answer (never a 500), and what fits is cut to exactly the documented fields.
const STORED = { stripUnknown: true, convert: false } as const;
const storedReminder = Joi.object({
  id: Joi.string().required(),
  text: Joi.string().allow("").required(),
  due: Joi.string().isoDate().required(),
  recurrence: Joi.valid(...RECURRENCES, null).default(null),
});
const storedFired = storedReminder.keys({ fired_at: Joi.string().isoDate().required() });

function fits<T>(schema: Joi.Schema, value: unknown): T | null {
  const { value: out, error } = schema.validate(value, STORED);
  return error ? null : (out as T);
}

// ─── conversation ─────────────────────────────────────────────────────────────

const at = (e: { time: string }) => Date.parse(e.time) || 0;

/**
 * A day's messages: those archived under it, and those of today's file written on it (her
 * night may not have come yet, or may have left what arrived while she slept). The same
 * message in both places (a night cut short) is given once.
 */
async function dayMessages(memory: Memory, date: string): Promise<ConversationEntry[]> {
  const archived = messages(await memory.conversation(date));
  const live = messages(await memory.conversation()).filter((e) => !Number.isNaN(Date.parse(e.time)) && localDate(new Date(e.time)) === date);
  const ids = new Set(archived.map((e) => e.id));
  const all = [...archived, ...live.filter((e) => !ids.has(e.id))];
  // sort is stable: messages of one instant keep the order they were written in.
  return all.sort((a, b) => at(a) - at(b));
}

/** The lines that are messages, cut to the documented fields. */
function messages(entries: unknown[]): ConversationEntry[] {
  return entries.map((e) => fits<ConversationEntry>(message, e)).filter((e): e is ConversationEntry => e !== null);
}

// ─── calendar ─────────────────────────────────────────────────────────────────

const MAX_ITEMS = 500;
const MAX_RANGE_MS = 5 * 366 * 24 * 3_600_000;
type CalendarItem = { time: string } & Record<string, unknown>;

async function calendar(memory: Memory, start: Date, end: Date): Promise<{ items: CalendarItem[]; truncated: boolean }> {
  const items: CalendarItem[] = [];
  const inRange = (d: Date) => d >= start && d < end;

  for (const date of await memory.days()) {
    const midnight = instant(date);
    if (!inRange(midnight)) continue;
    items.push({ kind: "day", date, time: midnight.toISOString(), messages: messages(await memory.conversation(date)).length });
  }
  for (const raw of await memory.fired()) {
    const f = fits<{ id: string; text: string; due: string; recurrence: Recurrence | null; fired_at: string }>(storedFired, raw);
    if (!f || !inRange(new Date(f.due))) continue;
    items.push({ kind: "reminder", id: f.id, text: f.text, time: new Date(f.due).toISOString(), fired_at: new Date(f.fired_at).toISOString(), recurrence: f.recurrence });
  }
  for (const r of await memory.reminders()) {
    // Upcoming from its next due time; earlier occurrences are in fired.jsonl already.
    const due = new Date(r.due);
    for (const t of occurrences(new Date(r.anchor ?? r.due), r.recurrence, due > start ? due : start, end, MAX_ITEMS + 1)) {
      items.push({ kind: "reminder", id: r.id, text: r.text, time: t.toISOString(), recurrence: r.recurrence, upcoming: true });
    }
  }
  items.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return { items: items.slice(0, MAX_ITEMS), truncated: items.length > MAX_ITEMS };
}

// ─── media ────────────────────────────────────────────────────────────────────

/** Shown in the page: images (not SVG, which can carry script), audio and PDF. Anything else is downloaded. */
const INLINE = /^(?:image\/(?!svg)|audio\/|application\/pdf\b)/i;

/**
 * Sends one file of media/. The name was already refused if it is not a plain name; here the
 * real path (links followed) must still be a regular file directly inside media/, and it is
 * opened without following a link, so a link swapped in meanwhile is refused too.
 */
async function sendMedia(memory: Memory, name: string, res: Response): Promise<void> {
  const missing = () => new NotFound(`She has no media file '${name}'.`);
  const dir = await fs.realpath(path.join(memory.home, "media")).catch(() => null);
  const real = await fs.realpath(memory.mediaPath(name)).catch(() => null);
  if (!dir || !real || path.dirname(real) !== dir || path.basename(real).startsWith(".")) throw missing();
  const file = await fs.open(real, FS.O_RDONLY | FS.O_NOFOLLOW | FS.O_NONBLOCK).catch(() => null);
  if (!file) throw missing();
  let stream;
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw missing();
    const shown = path.basename(real);
    res.type(path.extname(shown) || "application/octet-stream");
    const type = String(res.get("Content-Type"));
    res.set({
      "Content-Length": String(stat.size),
      "Content-Disposition": disposition(INLINE.test(type) ? "inline" : "attachment", shown),
      "X-Content-Type-Options": "nosniff",
      // A received page or SVG opened from here must not run script in the daemon's origin.
      "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "private, no-cache",
    });
    stream = file.createReadStream();
  } catch (err) {
    await file.close();
    throw err;
  }
  res.status(200);
  // A client that goes away mid-file is not an error of ours.
  await pipeline(stream, res).catch(() => res.destroy());
}

// ─── routes ───────────────────────────────────────────────────────────────────

/** The content types her media may be served as: those of every extension a perception plugin takes, and the fallback. */
function mediaTypes(plugins: RouteDeps["plugins"]): string[] {
  const types = [...plugins.capabilities.keys()].map((ext) => mime.lookup(ext) || "application/octet-stream");
  return [...new Set([...types, "application/octet-stream"])].sort();
}

/** Config routes over her home folder: memory files, meanings, conversation, calendar, media. Work whether she runs or not. */
export function memoryRoutes({ store, plugins }: RouteDeps): Route[] {
  /** Her owner's memory: the same instance her mind and her night use. */
  const memoryOf = async (id: string) => (await store.owner(id)).memory;

  return [
    route({
      method: "get", path: "/api/persona/:id/knowledge", tag: T, kind: "config", params: idParams,
      summary: "Her memory files and learned meanings",
      responses: {
        200: {
          description: "Every memory file (empty when missing) and every meaning",
          schema: Joi.object({ memory: memoryFiles.required(), meanings: Joi.array().items(meaning).required() }).label("Knowledge"),
        },
      },
      errors: [404],
      handler: async ({ params }) => {
        const memory = await memoryOf(params.id);
        return { body: { memory: await memory.readAll(), meanings: await memory.meanings() } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/knowledge", tag: T, kind: "config", params: idParams,
      summary: "Replace one memory file",
      description: "The file is replaced atomically; a running persona reads it at her next beat. The answer is the content as stored (a final newline is added when missing).",
      body: Joi.object({
        key: Joi.valid(...MEMORY_KEYS).required(),
        content: Joi.string().max(1_000_000).allow("").required(),
      }).unknown(false).required(),
      responses: {
        200: {
          description: "The file as stored",
          schema: Joi.object({ key: Joi.valid(...MEMORY_KEYS).required(), content: Joi.string().allow("").required() }).label("MemoryFile"),
        },
      },
      errors: [404],
      handler: async ({ params, body }) => {
        const memory = await memoryOf(params.id);
        const key = body.key as MemoryKey;
        await memory.replace(key, body.content);
        return { body: { key, content: await memory.read(key) } };
      },
    }),
    route({
      method: "get", path: "/api/persona/:id/meanings", tag: T, kind: "config", params: idParams,
      summary: "Her learned meanings: what she does in each kind of moment",
      responses: { 200: { description: "The meanings, by name", schema: Joi.object({ meanings: Joi.array().items(meaning).required() }).label("Meanings") } },
      errors: [404],
      handler: async ({ params }) => ({ body: { meanings: await (await memoryOf(params.id)).meanings() } }),
    }),
    route({
      method: "post", path: "/api/persona/:id/meanings", tag: T, kind: "config", params: idParams,
      summary: "Give her a meaning (one of the same name is replaced)",
      body: Joi.object({
        name: meaningName,
        intention: Joi.string().trim().min(1).max(1000).required().description("The kind of moment it is for").example("The person asks for a poem"),
        body: Joi.string().trim().min(1).max(100_000).required().description("What to do, in Markdown"),
      }).unknown(false).required(),
      responses: { 201: { description: "Stored, as she will read it", schema: Joi.object({ meaning: meaning.required() }).label("MeaningReply") } },
      errors: [404],
      handler: async ({ params, body }) => {
        const memory = await memoryOf(params.id);
        await memory.saveMeaning({ name: body.name, intention: body.intention, body: body.body, source: "person" });
        const stored = (await memory.meanings()).find((m) => m.name === body.name);
        if (!stored) throw new Error(`meaning '${body.name}' was written but cannot be read back`);
        return { status: 201, body: { meaning: stored } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/meanings/:name/remove", tag: T, kind: "config",
      params: idParams.keys({ name: meaningName }),
      summary: "Remove one of her meanings",
      responses: { 200: { description: "Removed", schema: Joi.object({ removed: Joi.string().required() }).label("MeaningRemoved") } },
      errors: [404],
      handler: async ({ params }) => {
        await (await memoryOf(params.id)).removeMeaning(params.name);
        return { body: { removed: params.name } };
      },
    }),
    route({
      method: "get", path: "/api/persona/:id/conversation", tag: T, kind: "config", params: idParams,
      summary: "Today's messages, or a day's with `?date=YYYY-MM-DD`",
      description:
        "Without `date`: the conversation not yet archived by her night (`date` is null). With `date`: that local day's messages, " +
        "archived or still in today's file; a day with none gives an empty list.",
      query: Joi.object({ date: calendarDay }).unknown(false),
      responses: {
        200: {
          description: "The messages, oldest first",
          schema: Joi.object({
            date: Joi.string().allow(null).required(),
            messages: Joi.array().items(message).required(),
          }).label("Conversation"),
        },
      },
      errors: [404],
      handler: async ({ params, query }) => {
        const memory = await memoryOf(params.id);
        const date: string | undefined = query.date;
        return { body: { date: date ?? null, messages: date ? await dayMessages(memory, date) : messages(await memory.conversation()) } };
      },
    }),
    route({
      method: "get", path: "/api/persona/:id/calendar", tag: T, kind: "config", params: idParams,
      summary: "History and destiny items in [start, end)",
      description:
        `Archived days, fired reminders, and every occurrence of her reminders (recurring ones expanded) in the range, by time; ` +
        `at most ${MAX_ITEMS} items (\`truncated\` says when there were more). The range must be positive and at most five years.`,
      query: Joi.object({ start: time, end: time }).unknown(false),
      responses: {
        200: {
          description: "The items in the range, by time",
          schema: Joi.object({
            start: Joi.string().required(),
            end: Joi.string().required(),
            items: Joi.array().items(Joi.alternatives().try(dayItem, firedItem, upcomingItem)).required(),
            truncated: Joi.boolean().required(),
          }).label("Calendar"),
        },
      },
      errors: [400, 404],
      handler: async ({ params, query }) => {
        const start = instant(query.start);
        const end = instant(query.end);
        if (end <= start) throw new Invalid(`The calendar range is empty: end (${query.end}) must come after start (${query.start}).`);
        if (end.getTime() - start.getTime() > MAX_RANGE_MS) {
          throw new Invalid(`The calendar range from ${query.start} to ${query.end} is longer than five years; ask for a shorter one.`);
        }
        const { items, truncated } = await calendar(await memoryOf(params.id), start, end);
        return { body: { start: start.toISOString(), end: end.toISOString(), items, truncated } };
      },
    }),
    route({
      method: "get", path: "/api/persona/:id/media/:file", tag: T, kind: "config",
      params: idParams.keys({ file: mediaName }),
      summary: "A file she received",
      description:
        "Images, audio and PDF are served inline; anything else as an attachment. Every file is sent with `X-Content-Type-Options: nosniff` " +
        "and a sandboxing Content-Security-Policy, so a received page cannot run script in the daemon's origin. Only plain files directly inside her media folder are served.",
      responses: { 200: { description: "The file, with the content type of its extension", contentType: mediaTypes(plugins) } },
      errors: [404],
      handler: async ({ params, res }) => {
        await sendMedia(await memoryOf(params.id), params.file, res);
        return { body: null };
      },
    }),
  ];
}
