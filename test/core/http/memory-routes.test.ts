import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import t, { type Test } from "tap";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { waitFor } from "../../fixtures/plugins-host/net.js";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.js";

// Her home folder through the config routes (SPEC §5, §6): knowledge, meanings, conversation,
// calendar and media, over real HTTP on real files, whether she runs or not. The files the
// mind writes are written here by hand, as a person editing her folder would.

// A zone away from UTC with daylight saving, so a day or an hour taken in UTC instead of her
// local clock shows. The daemon runs in this process and reads TZ at each date computation.
process.env.TZ = "America/New_York";

const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";
const p2 = (n: number) => String(n).padStart(2, "0");
const localDay = (d: Date) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
/** An ISO string of a local wall-clock time (month 1-12). */
const local = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).toISOString();
const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l)) + "\n").join("");

interface Her {
  d: TestDaemon;
  id: string;
  /** Her home folder. */
  home: string;
  write(rel: string, content: string | Buffer): string;
}

async function her(t: Test): Promise<Her> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  const id: string = r.body.persona.id;
  const home = path.join(d.home, "personas", id, "home");
  // Her first heartbeat runs as she starts and may read destiny/ after this returns: wait for
  // it to be over, so reminders written below stay unfired (the next beat is a minute away).
  // Its line in health.jsonl is the last thing it does, and nothing else tells that it is over.
  await waitFor("her first heartbeat's line in health.jsonl", () => fs.readFileSync(path.join(home, "health.jsonl"), "utf8").endsWith("\n"));
  const write = (rel: string, content: string | Buffer) => {
    const file = path.join(home, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };
  return { d, id, home, write };
}

async function stop(t: Test, { d, id }: Her): Promise<void> {
  t.same((await d.api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  t.equal((await d.api("GET", `/api/persona/${id}`)).body.persona.running, false, "she is stopped");
}

/** The field errors of a 422, as [loc, type] pairs. */
function fieldErrors(t: Test, r: { status: number; body: any }): [unknown[], string][] {
  t.equal(r.status, 422, JSON.stringify(r.body));
  t.ok(Array.isArray(r.body.detail), "detail is a list of field errors");
  t.same(Object.keys(r.body), ["detail"], "the body has only detail");
  return (r.body.detail ?? []).map((e: any) => [e.loc, e.type]);
}

// ─── knowledge ───────────────────────────────────────────────────────────────

t.test("knowledge: every memory file and her meanings; a POST replaces one file on disk and shows in GET", async (t) => {
  const h = await her(t);
  const { d, id, home } = h;
  const first = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(first.status, 200);
  t.same(Object.keys(first.body.memory).sort(), ["context", "notes", "permissions", "person", "persona_trait", "struggles", "traits", "wishes"]);
  t.equal(first.body.memory.persona_trait, "# Who I am\n", "persona_trait is persona-trait.md");
  t.equal(first.body.memory.notes, "# My notes\n");
  t.same(first.body.meanings, []);

  const r = await d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes", content: "# My notes\n\n- She likes tea, not coffee" });
  t.equal(r.status, 200);
  t.same(r.body, { key: "notes", content: "# My notes\n\n- She likes tea, not coffee\n" }, "the content as stored, with its final newline");
  t.equal(fs.readFileSync(path.join(home, "notes.md"), "utf8"), "# My notes\n\n- She likes tea, not coffee\n", "notes.md on disk has it");
  t.equal((await d.api("GET", `/api/persona/${id}/knowledge`)).body.memory.notes, "# My notes\n\n- She likes tea, not coffee\n");

  const trait = await d.api("POST", `/api/persona/${id}/knowledge`, { key: "persona_trait", content: "I am calm.\n" });
  t.same(trait.body, { key: "persona_trait", content: "I am calm.\n" });
  t.equal(fs.readFileSync(path.join(home, "persona-trait.md"), "utf8"), "I am calm.\n");
  t.notOk(fs.readdirSync(home).some((f) => f.includes("persona_trait")), "no file named after the key itself");

  const empty = await d.api("POST", `/api/persona/${id}/knowledge`, { key: "context", content: "" });
  t.same(empty.body, { key: "context", content: "" }, "an empty file is allowed");
  t.equal(fs.readFileSync(path.join(home, "context.md"), "utf8"), "");
  t.equal(fs.statSync(path.join(home, "context.md")).mode & 0o777, 0o600, "written private");

  // A file a person deleted by hand reads as empty rather than failing.
  fs.rmSync(path.join(home, "wishes.md"));
  const after = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(after.status, 200);
  t.equal(after.body.memory.wishes, "");
});

t.test("knowledge: bad bodies are 422 and change nothing; an unknown persona is 404", async (t) => {
  const { d, id, home } = await her(t);
  const before = fs.readFileSync(path.join(home, "notes.md"), "utf8");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "secrets", content: "x" })), [[["body", "key"], "any.only"]], "unknown key");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "../notes", content: "x" })), [[["body", "key"], "any.only"]], "a path is not a key");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes", content: 42 })), [[["body", "content"], "string.base"]], "non-string content");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes", content: ["a"] })), [[["body", "content"], "string.base"]]);
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes" })), [[["body", "content"], "any.required"]], "missing content");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes", content: "x", extra: 1 })), [[["body", "extra"], "object.unknown"]]);
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`)), [[["body"], "any.required"]], "no body at all");
  t.same(fieldErrors(t, await d.api("POST", `/api/persona/${id}/knowledge`, "{not json", { "content-type": "application/json" })), [[["body"], "json_invalid"]]);
  t.equal(fs.readFileSync(path.join(home, "notes.md"), "utf8"), before, "notes.md untouched by any of them");

  for (const [method, p, body] of [
    ["GET", "knowledge", undefined],
    ["POST", "knowledge", { key: "notes", content: "x" }],
    ["GET", "meanings", undefined],
    ["POST", "meanings", { name: "x", intention: "y", body: "z" }],
    ["POST", "meanings/x/remove", undefined],
    ["GET", "conversation", undefined],
    ["GET", "conversation?date=2026-01-01", undefined],
    ["GET", "calendar?start=2026-01-01&end=2026-02-01", undefined],
    ["GET", "media/photo.png", undefined],
  ] as const) {
    const r = await d.api(method, `/api/persona/${NO_SUCH_ID}/${p}`, body);
    t.equal(r.status, 404, `${method} ${p} for an unknown persona`);
    t.match(r.body, { detail: /No persona/ });
  }
});

t.test("knowledge and meanings work while she is stopped", async (t) => {
  const h = await her(t);
  const { d, id, home } = h;
  await stop(t, h);
  const r = await d.api("POST", `/api/persona/${id}/knowledge`, { key: "person", content: "Sam, a gardener" });
  t.same(r.body, { key: "person", content: "Sam, a gardener\n" });
  t.equal(fs.readFileSync(path.join(home, "person.md"), "utf8"), "Sam, a gardener\n");
  t.equal((await d.api("GET", `/api/persona/${id}/knowledge`)).body.memory.person, "Sam, a gardener\n");
  t.equal((await d.api("POST", `/api/persona/${id}/meanings`, { name: "prune", intention: "pruning advice", body: "Ask which plant." })).status, 201);
  t.same((await d.api("GET", `/api/persona/${id}/meanings`)).body.meanings.map((m: any) => m.name), ["prune"]);
  t.same((await d.api("POST", `/api/persona/${id}/meanings/prune/remove`)).body, { removed: "prune" });
});

// ─── meanings ────────────────────────────────────────────────────────────────

t.test("meanings: add (201, source person), list, replace by name, remove, 404 when absent", async (t) => {
  const { d, id, home } = await her(t);
  // One she learned from a frontier organ, written as her mind writes it.
  fs.writeFileSync(path.join(home, "meanings", "plan-a-trip.md"), "---\nintention: The person wants to travel\nsource: frontier\n---\n\n1. Ask dates.\n");

  const r = await d.api("POST", `/api/persona/${id}/meanings`, { name: "write-a-haiku", intention: "The person\nasks for a poem", body: "  Three lines: 5, 7, 5.  " });
  t.equal(r.status, 201);
  t.same(r.body, { meaning: { name: "write-a-haiku", intention: "The person asks for a poem", body: "Three lines: 5, 7, 5.", source: "person" } }, "as stored: one-line intention, trimmed body");
  const file = path.join(home, "meanings", "write-a-haiku.md");
  t.match(fs.readFileSync(file, "utf8"), /^---\nintention: The person asks for a poem\nsource: person\n---\n\nThree lines: 5, 7, 5\.\n$/, "the file on disk");

  const list = await d.api("GET", `/api/persona/${id}/meanings`);
  t.same(list.body, {
    meanings: [
      { name: "plan-a-trip", intention: "The person wants to travel", body: "1. Ask dates.", source: "frontier" },
      { name: "write-a-haiku", intention: "The person asks for a poem", body: "Three lines: 5, 7, 5.", source: "person" },
    ],
  });
  t.same((await d.api("GET", `/api/persona/${id}/knowledge`)).body.meanings, list.body.meanings, "knowledge lists the same meanings");

  const again = await d.api("POST", `/api/persona/${id}/meanings`, { name: "write-a-haiku", intention: "A poem", body: "Seventeen syllables." });
  t.equal(again.status, 201);
  const names = (await d.api("GET", `/api/persona/${id}/meanings`)).body.meanings;
  t.same(names.filter((m: any) => m.name === "write-a-haiku"), [{ name: "write-a-haiku", intention: "A poem", body: "Seventeen syllables.", source: "person" }], "the same name replaces, once");

  t.same((await d.api("POST", `/api/persona/${id}/meanings/write-a-haiku/remove`)).body, { removed: "write-a-haiku" });
  t.notOk(fs.existsSync(file), "the file is gone");
  const gone = await d.api("POST", `/api/persona/${id}/meanings/write-a-haiku/remove`);
  t.equal(gone.status, 404);
  t.match(gone.body, { detail: /no meaning named 'write-a-haiku'/ });
  t.same((await d.api("GET", `/api/persona/${id}/meanings`)).body.meanings.map((m: any) => m.name), ["plan-a-trip"]);
});

t.test("meanings: names are slugs; bodies are checked", async (t) => {
  const { d, id, home } = await her(t);
  const post = (b: object) => d.api("POST", `/api/persona/${id}/meanings`, b);
  for (const name of ["Write A Haiku", "../escape", "-leading-dash", "a/b", "", "x".repeat(65), ".hidden"]) {
    t.same(fieldErrors(t, await post({ name, intention: "i", body: "b" })).map(([loc]) => loc), [["body", "name"]], `name ${JSON.stringify(name)}`);
  }
  t.same(fieldErrors(t, await post({ name: "ok", intention: "", body: "b" })).map(([loc]) => loc), [["body", "intention"]], "empty intention");
  t.same(fieldErrors(t, await post({ name: "ok", intention: "i" })), [[["body", "body"], "any.required"]]);
  t.same(fieldErrors(t, await post({ name: "ok", intention: "i", body: "b", source: "frontier" })), [[["body", "source"], "object.unknown"]], "the source is not the caller's to claim");
  t.same(fs.readdirSync(path.join(home, "meanings")), [], "nothing written");
  const bad = await d.api("POST", `/api/persona/${id}/meanings/..%2Fnotes/remove`);
  t.equal(bad.status, 422, "a path is not a meaning name");
  t.ok(fs.existsSync(path.join(home, "notes.md")));
  t.equal((await d.api("POST", `/api/persona/${id}/meanings/Bad_Name/remove`)).status, 422);
});

// ─── conversation ────────────────────────────────────────────────────────────

const msg = (id: string, time: string, from: "person" | "persona", text: string, extra: object = {}) => ({ id, time, from, channel: "web", text, ...extra });

t.test("conversation: today's file, a past day, a day with nothing, today's archive joined with today's file", async (t) => {
  const h = await her(t);
  const { d, id, write } = h;
  const now = new Date();
  const today = localDay(now);
  const early = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 0, 0, 5).toISOString();
  const a = msg("a1", early, "person", "good morning");
  const b = msg("b1", now.toISOString(), "person", "look", { media: ["2026-photo.png"], perceived: [{ kind: "sight", media: "2026-photo.png", text: "a cat" }] });
  const c = msg("c1", now.toISOString(), "persona", "A cat!", { reply_to: "b1", answers: ["b1"] });
  write("history/conversation-" + today + ".jsonl", jsonl([a]));
  // A broken line, a line that is not a message, and fields nobody documented are left out of the answer.
  write("conversation.jsonl", jsonl([b, "{cut sh", "null", { id: "x", text: 3 }, { ...c, internal: "not for the API" }]));

  const live = await d.api("GET", `/api/persona/${id}/conversation`);
  t.equal(live.status, 200);
  t.same(live.body, { date: null, messages: [b, c] }, "today's file, exactly the documented fields");

  const joined = await d.api("GET", `/api/persona/${id}/conversation?date=${today}`);
  t.same(joined.body, { date: today, messages: [a, b, c] }, "today by date: archived part first, then today's file");

  // A night cut short leaves a message in both places: it is given once.
  write("conversation.jsonl", jsonl([a, b, c]));
  t.same((await d.api("GET", `/api/persona/${id}/conversation?date=${today}`)).body.messages.map((m: any) => m.id), ["a1", "b1", "c1"]);

  // A past day, in the local zone: 23:30 in New York is already the next day in UTC.
  const late = msg("p1", local(2026, 3, 14, 23, 30), "person", "late night");
  const next = msg("p2", local(2026, 3, 15, 0, 10), "persona", "still here");
  write("history/conversation-2026-03-14.jsonl", jsonl([late]));
  write("history/conversation-2026-03-14.md", "# Conversation of 2026-03-14\n");
  const past = await d.api("GET", `/api/persona/${id}/conversation?date=2026-03-14`);
  t.same(past.body, { date: "2026-03-14", messages: [late] });
  // Not archived yet (she was stopped over night): still found under its own local day,
  // 21:00 in New York being 01:00 UTC of the next day.
  const evening = msg("p0", local(2026, 3, 14, 21), "persona", "good evening");
  write("conversation.jsonl", jsonl([evening, next, b]));
  t.same((await d.api("GET", `/api/persona/${id}/conversation?date=2026-03-14`)).body, { date: "2026-03-14", messages: [evening, late] }, "archived and not yet archived, by time");
  t.same((await d.api("GET", `/api/persona/${id}/conversation?date=2026-03-15`)).body, { date: "2026-03-15", messages: [next] }, "the local day, not the UTC one");

  const none = await d.api("GET", `/api/persona/${id}/conversation?date=2019-06-01`);
  t.equal(none.status, 200);
  t.same(none.body, { date: "2019-06-01", messages: [] }, "a day with nothing is an empty list, not a 404");

  await stop(t, h);
  t.same((await d.api("GET", `/api/persona/${id}/conversation?date=2026-03-14`)).body, { date: "2026-03-14", messages: [evening, late] }, "and while she is stopped");
  t.same((await d.api("GET", `/api/persona/${id}/conversation`)).body, { date: null, messages: [evening, next, b] });
});

t.test("conversation: a date that is not a day of the calendar is 422", async (t) => {
  const { d, id } = await her(t);
  for (const bad of ["2026-13-45", "2026-02-30", "2026-00-10", "14-03-2026", "2026-3-4", "today", "2026-03-14T10:00:00Z", "2026-03-14%00", "../2026-03-14"]) {
    const r = await d.api("GET", `/api/persona/${id}/conversation?date=${bad}`);
    t.same(fieldErrors(t, r).map(([loc]) => loc), [["query", "date"]], `date=${bad}`);
  }
  t.match((await d.api("GET", `/api/persona/${id}/conversation?date=2026-02-30`)).body.detail[0].msg, /not a day of the calendar/);
  t.equal((await d.api("GET", `/api/persona/${id}/conversation?date=2028-02-29`)).status, 200, "a leap day is a day");
  t.same(fieldErrors(t, await d.api("GET", `/api/persona/${id}/conversation?day=2026-03-14`)), [[["query", "day"], "object.unknown"]]);
});

// ─── calendar ────────────────────────────────────────────────────────────────

t.test("calendar: archived days, fired reminders, and reminders expanded over the range on her local clock", async (t) => {
  const h = await her(t);
  const { d, id, write } = h;
  const uuid = () => crypto.randomUUID();
  const reminder = (text: string, due: string, recurrence: string | null) => {
    const r = { id: uuid(), text, due, recurrence, created_at: "2026-01-01T00:00:00.000Z" };
    write(`destiny/${r.id}.json`, JSON.stringify(r, null, 2));
    return r;
  };
  // New York moves its clocks on 2026-03-08: a daily 09:00 stays 09:00 local, so 14:00Z becomes 13:00Z.
  const daily = reminder("water the plants", local(2026, 3, 10, 9), "daily");
  const once = reminder("call mum", local(2026, 3, 12, 15, 30), null);
  const weekly = reminder("bins out", local(2026, 2, 1, 10), "weekly");
  const atStart = reminder("at the start", local(2026, 3, 1), null);
  const atEnd = reminder("at the end", local(2026, 3, 15), null);
  const monthly = reminder("rent", local(2026, 1, 5, 8), "monthly");
  write("destiny/broken.json", "{ not json");
  write("destiny/wrong-shape.json", JSON.stringify({ id: "w", text: "no due" }));

  const fired = { id: uuid(), text: "dentist", due: local(2026, 3, 5, 8), recurrence: null, created_at: "2026-02-01T00:00:00.000Z", fired_at: local(2026, 3, 5, 8, 1) };
  const firedBefore = { ...fired, id: uuid(), due: local(2026, 2, 20, 8), fired_at: local(2026, 2, 20, 8, 1) };
  write("history/fired.jsonl", jsonl([firedBefore, "garbage", fired]));
  write("history/conversation-2026-03-03.jsonl", jsonl([msg("1", local(2026, 3, 3, 9), "person", "a"), msg("2", local(2026, 3, 3, 9, 1), "persona", "b"), "broken", msg("3", local(2026, 3, 3, 9, 2), "person", "c")]));
  write("history/conversation-2026-03-03.md", "# Conversation of 2026-03-03\n");
  write("history/conversation-2026-02-27.jsonl", jsonl([msg("4", local(2026, 2, 27, 9), "person", "d")]));

  const r = await d.api("GET", `/api/persona/${id}/calendar?start=2026-03-01&end=2026-03-15`);
  t.equal(r.status, 200, JSON.stringify(r.body));
  const up = (rem: { id: string; text: string; recurrence: string | null }, time: string) => ({ kind: "reminder", id: rem.id, text: rem.text, time, recurrence: rem.recurrence, upcoming: true });
  t.same(r.body.start, local(2026, 3, 1), "a day starts at her local midnight");
  t.same(r.body.end, local(2026, 3, 15));
  t.equal(r.body.truncated, false);
  t.same(r.body.items, [
    up(atStart, local(2026, 3, 1)),
    up(weekly, local(2026, 3, 1, 10)),
    { kind: "day", date: "2026-03-03", time: local(2026, 3, 3), messages: 3 },
    { kind: "reminder", id: fired.id, text: "dentist", time: fired.due, fired_at: fired.fired_at, recurrence: null },
    up(monthly, local(2026, 3, 5, 8)),
    up(weekly, local(2026, 3, 8, 10)),
    ...[10, 11].map((day) => up(daily, local(2026, 3, day, 9))),
    up(daily, local(2026, 3, 12, 9)),
    up(once, local(2026, 3, 12, 15, 30)),
    ...[13, 14].map((day) => up(daily, local(2026, 3, day, 9))),
  ]);
  t.equal(r.body.items.find((i: any) => i.id === daily.id).time, "2026-03-10T13:00:00.000Z", "09:00 New York after the clocks moved");
  t.notOk(r.body.items.some((i: any) => i.id === atEnd.id), "end is exclusive");

  // ISO times with an offset, and a range inside one day.
  const narrow = await d.api("GET", `/api/persona/${id}/calendar?start=${encodeURIComponent("2026-03-12T12:00:00-04:00")}&end=2026-03-12T23:59`);
  t.same(narrow.body.items, [up(once, local(2026, 3, 12, 15, 30))]);
  t.equal(narrow.body.start, "2026-03-12T16:00:00.000Z");

  // Works while she is stopped, and a range with nothing in it is empty.
  await stop(t, h);
  const empty = await d.api("GET", `/api/persona/${id}/calendar?start=2020-01-01&end=2020-02-01`);
  t.same(empty.body, { start: local(2020, 1, 1), end: local(2020, 2, 1), items: [], truncated: false });
  const far = await d.api("GET", `/api/persona/${id}/calendar?start=2030-01-01&end=2030-01-08`);
  t.same(far.body.items.filter((i: any) => i.id === daily.id).map((i: any) => i.time), [1, 2, 3, 4, 5, 6, 7].map((day) => local(2030, 1, day, 9)), "every day of it, at 09:00 local");
  t.same(far.body.items.filter((i: any) => i.id === weekly.id).length, 1, "one weekly occurrence in a week");
});

t.test("calendar: a recurring reminder is capped, and bad ranges are refused", async (t) => {
  const { d, id, write } = await her(t);
  const hourly = { id: crypto.randomUUID(), text: "stretch", due: local(2026, 1, 1), recurrence: "hourly", created_at: "2026-01-01T00:00:00.000Z" };
  write(`destiny/${hourly.id}.json`, JSON.stringify(hourly));
  const r = await d.api("GET", `/api/persona/${id}/calendar?start=2026-01-01&end=2030-01-01`);
  t.equal(r.status, 200);
  t.equal(r.body.items.length, 500, "at most 500 items");
  t.equal(r.body.truncated, true, "and it says so");
  t.equal(r.body.items[0].time, local(2026, 1, 1));
  t.equal(r.body.items[499].time, new Date(Date.parse(local(2026, 1, 1)) + 499 * 3_600_000).toISOString(), "the first 500, in order");
  const small = await d.api("GET", `/api/persona/${id}/calendar?start=2026-01-01&end=2026-01-01T03:00`);
  t.same(small.body.items.map((i: any) => i.time), [0, 1, 2].map((h) => local(2026, 1, 1, h)));
  t.equal(small.body.truncated, false);
  const years = await d.api("GET", `/api/persona/${id}/calendar?start=2029-06-01&end=2029-06-01T03:00`);
  t.same(years.body.items.map((i: any) => i.time), [0, 1, 2].map((h) => local(2029, 6, 1, h)), "tens of thousands of hours ahead, still on the hour");

  const bad = async (q: string, status: number, detail: RegExp | null) => {
    const res = await d.api("GET", `/api/persona/${id}/calendar?${q}`);
    t.equal(res.status, status, `${q}: ${JSON.stringify(res.body)}`);
    if (detail) t.match(res.body, { detail }, q);
    return res;
  };
  await bad("start=2026-03-01&end=2026-03-01", 400, /end \(2026-03-01\) must come after start \(2026-03-01\)/);
  await bad("start=2026-03-02&end=2026-03-01", 400, /must come after start/);
  await bad(`start=${encodeURIComponent("2026-03-01T10:00:00+00:00")}&end=${encodeURIComponent("2026-03-01T06:00:00-04:00")}`, 400, /must come after/);
  await bad("start=2020-01-01&end=2026-01-01", 400, /longer than five years/);
  t.equal((await d.api("GET", `/api/persona/${id}/calendar?start=2021-01-01&end=2026-01-01`)).status, 200, "five years is fine");
  for (const q of ["start=2026-13-45&end=2026-12-01", "start=2026-02-30&end=2026-03-01", "start=2026-03-01T25:00&end=2026-03-02", "start=yesterday&end=2026-03-01", "start=2026-03-01"]) {
    const res = await bad(q, 422, null);
    t.ok(res.body.detail.length >= 1 && res.body.detail.every((e: any) => e.loc[0] === "query"), `${q}: field errors in the query`);
  }
  t.same(fieldErrors(t, await d.api("GET", `/api/persona/${id}/calendar?start=2026-03-01`)), [[["query", "end"], "any.required"]]);
});

// ─── media ───────────────────────────────────────────────────────────────────

/** A GET with the path sent exactly as written: fetch would resolve `..` and re-encode before sending. */
function raw(url: string, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: "GET", headers: { host: `127.0.0.1:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

t.test("media: files are served with their type, inline only for images, audio and PDF, never sniffed or run", async (t) => {
  const h = await her(t);
  const { d, id, write } = h;
  const png = crypto.randomBytes(4096);
  write("media/2026-11-28-ab12cd34-cat.png", png);
  write("media/page.html", "<script>fetch('/api/personas')</script>");
  write("media/drawing.svg", "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>");
  write("media/doc.pdf", "%PDF-1.4\n");
  write("media/voice.ogg", "OggS");
  write("media/blob.qq7", "???");
  write("media/no-extension", "plain");
  write("media/Été \"quoted\".txt", "accents");
  write("media/empty.jpg", "");
  const base = `/api/persona/${id}/media/`;

  const img = await raw(d.url, base + "2026-11-28-ab12cd34-cat.png");
  t.equal(img.status, 200);
  t.ok(img.body.equals(png), "the exact bytes");
  t.equal(img.headers["content-type"], "image/png");
  t.equal(img.headers["content-length"], "4096");
  t.equal(img.headers["x-content-type-options"], "nosniff");
  t.match(img.headers["content-disposition"], /^inline; filename="2026-11-28-ab12cd34-cat\.png"/);
  t.match(img.headers["content-security-policy"], /(^|;\s*)sandbox(;|$)/);

  const cases: [string, RegExp, "inline" | "attachment"][] = [
    ["page.html", /^text\/html/, "attachment"],
    ["drawing.svg", /^image\/svg\+xml/, "attachment"],
    ["doc.pdf", /^application\/pdf$/, "inline"],
    ["voice.ogg", /^audio\/ogg$/, "inline"],
    ["blob.qq7", /^application\/octet-stream$/, "attachment"],
    ["no-extension", /^application\/octet-stream$/, "attachment"],
    ["empty.jpg", /^image\/jpeg$/, "inline"],
  ];
  for (const [name, type, disposition] of cases) {
    const r = await raw(d.url, base + encodeURIComponent(name));
    t.equal(r.status, 200, name);
    t.match(r.headers["content-type"], type, `${name}: content type`);
    t.equal(r.headers["content-disposition"]?.split(";")[0], disposition, `${name}: ${disposition}`);
    t.equal(r.headers["x-content-type-options"], "nosniff", `${name}: nosniff`);
    t.match(r.headers["content-security-policy"], /(^|;\s*)sandbox(;|$)/, `${name}: sandboxed`);
  }
  const html = await raw(d.url, base + "page.html");
  t.equal(html.body.toString(), "<script>fetch('/api/personas')</script>", "served as a download, unchanged");

  const accents = await raw(d.url, base + encodeURIComponent("Été \"quoted\".txt"));
  t.equal(accents.status, 200);
  t.equal(accents.body.toString(), "accents");
  t.match(accents.headers["content-disposition"], /filename\*=UTF-8''%C3%89t%C3%A9%20%22quoted%22\.txt/, "the real name, encoded");
  t.notMatch(accents.headers["content-disposition"], /filename="[^"]*"[^;]*"/, "no quote breaks out of the plain filename");

  const missing = await raw(d.url, base + "nothing-here.png");
  t.equal(missing.status, 404);
  t.same(JSON.parse(missing.body.toString()), { detail: "She has no media file 'nothing-here.png'." });

  await stop(t, h);
  const stopped = await raw(d.url, base + "2026-11-28-ab12cd34-cat.png");
  t.equal(stopped.status, 200, "served while she is stopped");
  t.ok(stopped.body.equals(png));
});

t.test("media: no name reaches a file outside media/", async (t) => {
  const { d, id, home, write } = await her(t);
  const MARK = "TOP-SECRET-" + crypto.randomBytes(8).toString("hex");
  write("notes.md", MARK + " notes");
  write(".secrets", MARK + " dot in home");
  write("media/.secrets", MARK + " dotfile");
  write("media/.env", MARK + " env");
  write("media/sub/inner.txt", MARK + " nested");
  write("media/ok.txt", "fine");
  const outside = path.join(d.home, "outside.txt");
  fs.writeFileSync(outside, MARK + " outside");
  fs.symlinkSync(outside, path.join(home, "media", "link.png"));
  fs.symlinkSync(path.join(home, "notes.md"), path.join(home, "media", "notes-link.txt"));
  fs.symlinkSync("../notes.md", path.join(home, "media", "relative-link.md"));
  fs.symlinkSync(path.join(home, "media", "sub"), path.join(home, "media", "dir-link"));
  execFileSync("mkfifo", [path.join(home, "media", "pipe.txt")]);
  const base = `/api/persona/${id}/media/`;

  const hostile = [
    "..", "%2e%2e", "%2E%2E", ".%2e", ".", "%2e",
    "../notes.md", "..%2fnotes.md", "..%2Fnotes.md", "%2e%2e%2fnotes.md", "%2e%2e/notes.md", ".%2e/notes.md",
    "..%5cnotes.md", "%2e%2e%5cnotes.md", "..\\notes.md", "%5c..%5cnotes.md",
    "%252e%252e%252fnotes.md", "..%252fnotes.md",
    "..%2f..%2f..%2foutside.txt", "%2e%2e%2f%2e%2e%2f%2e%2e%2foutside.txt",
    "%2fetc%2fpasswd", `${encodeURIComponent(path.join(home, "notes.md"))}`, encodeURIComponent(outside),
    ".secrets", "%2esecrets", ".env", "..%2f.secrets",
    "sub%2finner.txt", "sub%5cinner.txt", "sub", "dir-link",
    "link.png", "notes-link.txt", "relative-link.md",
    "ok.txt%00.png", "%00", "ok.txt%0a", "ok.txt%2f", "pipe.txt",
  ];
  for (const name of hostile) {
    const r = await raw(d.url, base + name);
    t.ok(r.status === 404 || r.status === 422, `${name} → ${r.status}`);
    t.notOk(r.body.toString().includes(MARK), `${name}: nothing of a file outside media/`);
    t.notOk(r.body.toString().includes("root:"), `${name}: not /etc/passwd`);
    let body: any = null;
    try {
      body = JSON.parse(r.body.toString());
    } catch {
      // checked below
    }
    t.ok(body && Object.keys(body).length === 1 && "detail" in body, `${name}: an error body {detail}`);
  }
  t.equal((await raw(d.url, base + "..")).status, 422, "'..' is refused by the schema");
  t.equal((await raw(d.url, base + "link.png")).status, 404, "a link leading out is as good as absent");
  t.equal((await raw(d.url, base + "ok.txt")).status, 200, "while a plain file still is served");
});

t.test("media: a name that is not valid percent-encoding is refused as a bad name", async (t) => {
  const { d, id } = await her(t);
  for (const name of ["..%c0%afnotes.md", "..%e0%80%afnotes.md", "%ff", "%zz"]) {
    const r = await raw(d.url, `/api/persona/${id}/media/${name}`);
    t.ok(r.status === 404 || r.status === 422, `${name} → ${r.status}`);
    t.match(r.body.toString(), /^\{"detail":/, "the usual error shape");
  }
});
