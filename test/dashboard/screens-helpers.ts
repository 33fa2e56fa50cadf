import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Test } from "tap";
import { openBrowser, type Browser } from "../helpers/browser.js";
import type { TestDaemon } from "../helpers/daemon.js";

// What the knowledge and calendar tests share: her folder written as her mind and her night
// write it, and a browser opened on one of her screens.

/** Her `home/` folder. */
export const homeOf = (d: TestDaemon, id: string) => path.join(d.home, "personas", id, "home");

const p2 = (n: number) => String(n).padStart(2, "0");

/** A local day, YYYY-MM-DD (her days follow the machine's clock, as the page's do). */
export const dayOf = (d: Date) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
export const monthOf = (d: Date) => dayOf(d).slice(0, 7);

/** A local time on a day: `at("2026-11-28", 9, 30)`. */
export const at = (day: string, h: number, m = 0) => new Date(`${day}T${p2(h)}:${p2(m)}:00`);

export type Said = [from: "person" | "persona", text: string, time: Date];

const line = ([from, text, time]: Said) => JSON.stringify({ id: crypto.randomUUID(), time: time.toISOString(), from, channel: "web", text }) + "\n";

/** A past day's conversation, as her night archives it. */
export function writeDay(home: string, day: string, said: Said[]): void {
  fs.mkdirSync(path.join(home, "history"), { recursive: true });
  fs.writeFileSync(path.join(home, "history", `conversation-${day}.jsonl`), said.map(line).join(""));
}

/** Today's conversation, not yet archived. */
export function writeToday(home: string, said: Said[]): void {
  fs.writeFileSync(path.join(home, "conversation.jsonl"), said.map(line).join(""));
}

type Recurrence = "hourly" | "daily" | "weekly" | "monthly" | "yearly" | null;

/** A reminder still to come, in `destiny/`. */
export function writeReminder(home: string, text: string, due: Date, recurrence: Recurrence = null): string {
  const id = crypto.randomUUID();
  fs.mkdirSync(path.join(home, "destiny"), { recursive: true });
  fs.writeFileSync(path.join(home, "destiny", `${id}.json`), JSON.stringify({ id, text, due: due.toISOString(), recurrence, created_at: new Date().toISOString() }, null, 2) + "\n");
  return id;
}

/** A reminder that fired, one line of `history/fired.jsonl`. */
export function writeFired(home: string, text: string, due: Date, recurrence: Recurrence = null): void {
  fs.mkdirSync(path.join(home, "history"), { recursive: true });
  const fired = { id: crypto.randomUUID(), text, due: due.toISOString(), recurrence, created_at: due.toISOString(), fired_at: new Date(due.getTime() + 20_000).toISOString() };
  fs.appendFileSync(path.join(home, "history", "fired.jsonl"), JSON.stringify(fired) + "\n");
}

/** A meaning as she stores it (`meanings/<name>.md`). */
export function writeMeaning(home: string, name: string, intention: string, source: "frontier" | "self" | "person", body: string): void {
  fs.mkdirSync(path.join(home, "meanings"), { recursive: true });
  fs.writeFileSync(path.join(home, "meanings", `${name}.md`), `---\nintention: ${intention}\nsource: ${source}\n---\n\n${body}\n`);
}

/** Every wait of these tests ends, failing, after this long. */
export const WAIT_MS = 10_000;

/** Chromium on one of her screens (`place` is the part after `#`), waits bounded. */
export async function openAt(t: Test, d: TestDaemon, place: string, opts: { dark?: boolean; width?: number; height?: number } = {}): Promise<Browser> {
  const b = await openBrowser(t, d.url, opts);
  b.page.setDefaultTimeout(WAIT_MS);
  await b.page.goto(`${d.url}/#${place}`);
  return b;
}

/** axe finds nothing serious on what is shown now. */
export async function accessible(t: Test, b: Browser, what: string): Promise<void> {
  t.same(await b.axe(), [], `no serious accessibility problem: ${what}`);
}

/** The page threw nothing and asked no other host for anything. */
export function clean(t: Test, b: Browser): void {
  t.same(b.errors, [], "the page logged no error");
  t.same(b.foreign, [], "the page asked no other host");
}
