export const RECURRENCES = ["hourly", "daily", "weekly", "monthly", "yearly"] as const;
export type Recurrence = (typeof RECURRENCES)[number];

const NOMINAL_MS: Record<Recurrence, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000, monthly: 28 * 86_400_000, yearly: 365 * 86_400_000 };

/** Months later, on the same day of the month — or the month's last day when it is shorter (Jan 31 → Feb 28 → Mar 31). */
function addMonths(anchor: Date, months: number): Date {
  const n = new Date(anchor);
  n.setDate(1);
  n.setMonth(n.getMonth() + months);
  const last = new Date(n.getFullYear(), n.getMonth() + 1, 0).getDate();
  n.setDate(Math.min(anchor.getDate(), last));
  return n;
}

/**
 * The k-th occurrence after `anchor` (k = 0 is the anchor), counted on the local clock from
 * the anchor itself, so a monthly reminder on the 31st never drifts to the 3rd.
 */
export function occurrence(anchor: Date, r: Recurrence, k: number): Date {
  const n = new Date(anchor);
  if (r === "hourly") n.setHours(n.getHours() + k);
  else if (r === "daily") n.setDate(n.getDate() + k);
  else if (r === "weekly") n.setDate(n.getDate() + 7 * k);
  else return addMonths(anchor, r === "monthly" ? k : 12 * k);
  return n;
}

/** The first k whose occurrence is at or after `t` (a jump close by, then steps). */
function firstIndexFrom(anchor: Date, r: Recurrence, t: Date): number {
  let k = Math.max(0, Math.floor((t.getTime() - anchor.getTime()) / NOMINAL_MS[r]) - 2);
  while (k > 0 && occurrence(anchor, r, k) >= t) k--;
  while (occurrence(anchor, r, k) < t) k++;
  return k;
}

/** The first occurrence strictly after `t`. */
export function nextAfter(anchor: Date, r: Recurrence, t: Date): Date {
  return occurrence(anchor, r, firstIndexFrom(anchor, r, new Date(t.getTime() + 1)));
}

/** Occurrences in [start, end), at most `limit`; a one-off is its own single occurrence. */
export function occurrences(anchor: Date, r: Recurrence | null, start: Date, end: Date, limit: number): Date[] {
  if (!r) return anchor >= start && anchor < end ? [anchor] : [];
  const out: Date[] = [];
  for (let k = firstIndexFrom(anchor, r, start); out.length < limit; k++) {
    const t = occurrence(anchor, r, k);
    if (t >= end) break;
    out.push(t);
  }
  return out;
}
