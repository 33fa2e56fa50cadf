import type { PersonaView } from "eternego/plugin/shared";

/** A local day, YYYY-MM-DD, as her days are counted. */
export function localDay(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function longDay(day: string): string {
  const d = new Date(`${day}T12:00:00`);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString([], { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(n < 10_240 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** How she is, in words: what the person wants for her and what is. */
export function condition(p: PersonaView): { text: string; tone: "ok" | "rest" | "busy" | "bad" } {
  if (p.status === "sick") return { text: "Sick", tone: "bad" };
  if (p.state === "failed") return { text: "Failed to start", tone: "bad" };
  if (p.state === "starting") return { text: "Starting…", tone: "busy" };
  if (p.state === "stopping") return { text: "Stopping…", tone: "busy" };
  if (p.running) return { text: p.phase === "night" ? "Asleep" : "Awake", tone: p.phase === "night" ? "rest" : "ok" };
  return { text: p.status === "hibernate" ? "Resting" : "Stopped", tone: "rest" };
}
