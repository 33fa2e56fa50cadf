import type { AgentState, OrganRole, PersonaStatus, Phase } from "eternego/plugin/shared";
import { localDay } from "./format.js";

/** One organ as `GET /api/persona/{id}/diagnose` reports it (counted since the daemon started). */
export interface OrganHealth {
  provider: string;
  model: string;
  url: string;
  has_key: boolean;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  last_fault: { detail: string; status: number | null; time: string } | null;
  /** What a call of it waits for now (a busy embedded engine). */
  waiting: { what: string; since: string } | null;
  waited: number;
}

/** `GET /api/persona/{id}/diagnose`. */
export interface Diagnosis {
  id: string;
  name: string;
  status: PersonaStatus;
  status_reason: string | null;
  running: boolean;
  state: AgentState;
  phase: Phase | null;
  failure: string | null;
  uptime_ms: number | null;
  inbox: number | null;
  trouble: { kind: "thinking" | "files"; detail: string; since: string } | null;
  organs: Partial<Record<OrganRole, OrganHealth>>;
  uptime: { date: string; hours: number[] }[];
  last_heartbeat: { time: string; phase: string; inbox: number; thinking: "ok" | "fault"; detail?: string; trouble?: string } | null;
}

const noon = (day: string) => new Date(`${day}T12:00:00`);

/** "Tue" for a local day. */
export function weekday(day: string): string {
  const d = noon(day);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString([], { weekday: "short" });
}

/** "Dec 9", as the browser's language writes a day of the month. */
export function dayOfMonth(day: string): string {
  const d = noon(day);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString([], { day: "numeric", month: "short" });
}

export const hourText = (h: number) => `${String(h).padStart(2, "0")}:00`;

/** Whether an hour of a day has not come yet (now is inside it or before it). */
export function isFuture(day: string, hour: number, now = new Date()): boolean {
  const today = localDay(now);
  return day > today || (day === today && hour > now.getHours());
}

/** What one cell of the uptime grid says, in words: "Tue 14:00 — 60 minutes". */
export function cellLabel(day: string, hour: number, minutes: number, now = new Date()): string {
  if (isFuture(day, hour, now)) return `${weekday(day)} ${hourText(hour)} — not yet`;
  return `${weekday(day)} ${hourText(hour)} — ${minutes === 1 ? "1 minute" : `${minutes} minutes`}`;
}

/** Minutes as "5 h 12 min", "40 min", "none". */
export function minutesText(total: number): string {
  if (total <= 0) return "none";
  const h = Math.floor(total / 60);
  const m = total % 60;
  return h ? (m ? `${h} h ${m} min` : `${h} h`) : `${m} min`;
}

/** A duration in milliseconds in words: "2 days 3 h", "4 h 12 min", "3 min", "less than a minute". */
export function durationText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  const days = Math.floor(minutes / 1440);
  if (days) {
    const h = Math.floor((minutes % 1440) / 60);
    return `${days} ${days === 1 ? "day" : "days"}${h ? ` ${h} h` : ""}`;
  }
  return minutesText(minutes);
}

/** A count in the browser's way of writing numbers. */
export const count = (n: number) => n.toLocaleString();

/** A moment as "14:03" today, or "Tue 14:03" another day. */
export function moment(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return localDay(d) === localDay(now) ? time : `${d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}
