// Her calendar as `GET /api/persona/{id}/calendar` gives it, and the month arithmetic of the screen.
import { localDay } from "./format.js";

export type Recurrence = "hourly" | "daily" | "weekly" | "monthly" | "yearly";

/** A day whose conversation her night archived. */
export interface DayItem {
  kind: "day";
  date: string;
  time: string;
  messages: number;
}

/** A reminder that fired. */
export interface FiredItem {
  kind: "reminder";
  id: string;
  text: string;
  time: string;
  fired_at: string;
  recurrence: Recurrence | null;
  upcoming?: undefined;
}

/** One occurrence of a reminder still to come. */
export interface UpcomingItem {
  kind: "reminder";
  id: string;
  text: string;
  time: string;
  recurrence: Recurrence | null;
  upcoming: true;
}

export type CalendarItem = DayItem | FiredItem | UpcomingItem;

export interface CalendarReply {
  start: string;
  end: string;
  items: CalendarItem[];
  truncated: boolean;
}

/** What one day holds, as the screen shows it. */
export interface DaySummary {
  date: string;
  /** Messages that day (archived or not yet); 0 with no conversation. */
  messages: number;
  fired: FiredItem[];
  upcoming: UpcomingItem[];
}

/** A month: `month` is 1–12. */
export interface Month {
  year: number;
  month: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

export function thisMonth(d = new Date()): Month {
  return { year: d.getFullYear(), month: d.getMonth() + 1 };
}

/** `"2026-12"` → the month; null for anything that is not one. */
export function parseMonth(s: string): Month | null {
  const m = /^(\d{4})-(\d{2})$/.exec(s);
  if (!m) return null;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? { year: Number(m[1]), month } : null;
}

export function monthKey(m: Month): string {
  return `${m.year}-${pad(m.month)}`;
}

export function shiftMonth(m: Month, by: number): Month {
  const i = m.year * 12 + (m.month - 1) + by;
  return { year: Math.floor(i / 12), month: (i % 12) + 1 };
}

/** The query for a month: from its first day to the next month's, as her local days. */
export function monthRange(m: Month): { start: string; end: string } {
  return { start: `${monthKey(m)}-01`, end: `${monthKey(shiftMonth(m, 1))}-01` };
}

export function inMonth(day: string, m: Month): boolean {
  return day.startsWith(`${monthKey(m)}-`);
}

/** "December 2026" in the person's language. */
export function monthTitle(m: Month): string {
  return new Date(m.year, m.month - 1, 15).toLocaleDateString([], { month: "long", year: "numeric" });
}

/** The month's weeks, Monday first, each seven local days (the days of the months around it fill the first and last). */
export function weeks(m: Month): string[][] {
  const first = new Date(m.year, m.month - 1, 1, 12);
  const d = new Date(first);
  d.setDate(d.getDate() - ((first.getDay() + 6) % 7));
  const out: string[][] = [];
  while (out.length === 0 || inMonth(localDay(d), m)) {
    const week: string[] = [];
    for (let i = 0; i < 7; i++) {
      week.push(localDay(d));
      d.setDate(d.getDate() + 1);
    }
    out.push(week);
  }
  return out;
}

/** Monday to Sunday, short and long, in the person's language. */
export function weekdays(): { short: string; long: string }[] {
  // 2024-01-01 was a Monday.
  return Array.from({ length: 7 }, (_, i) => {
    const d = new Date(2024, 0, 1 + i, 12);
    return { short: d.toLocaleDateString([], { weekday: "short" }), long: d.toLocaleDateString([], { weekday: "long" }) };
  });
}

/**
 * The items by local day. `live` holds the days whose messages were counted from the
 * conversation itself (today, before her night archives it): their count wins.
 */
export function byDay(items: CalendarItem[], live: Map<string, number> = new Map()): Map<string, DaySummary> {
  const out = new Map<string, DaySummary>();
  const at = (date: string) => {
    let s = out.get(date);
    if (!s) out.set(date, (s = { date, messages: 0, fired: [], upcoming: [] }));
    return s;
  };
  for (const it of items) {
    if (it.kind === "day") at(it.date).messages = it.messages;
    else if (it.upcoming) at(localDay(new Date(it.time))).upcoming.push(it);
    else at(localDay(new Date(it.time))).fired.push(it);
  }
  for (const [date, n] of live) if (n > 0) at(date).messages = n;
  return out;
}

const EVERY: Record<Recurrence, string> = { hourly: "every hour", daily: "every day", weekly: "every week", monthly: "every month", yearly: "every year" };

export function recurrenceText(r: Recurrence | null): string {
  return r ? EVERY[r] : "once";
}

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
