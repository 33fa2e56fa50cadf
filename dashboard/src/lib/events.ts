import type { ChatEntry } from "./chat.js";

/** Every event a dashboard component sends up: a typed map, so a wrong name or detail fails to compile. */
export interface DashboardEvents {
  /** A persona changed through this page (created, updated, deleted): the shell refetches. */
  "et-persona-changed": { id: string };
  /** Ask again for what failed. */
  "et-retry": undefined;
  /** The person picked a theme. */
  "et-theme": { theme: "light" | "dark" | "system" };
  /** A message for the page's notice area. */
  "et-notice": { text: string; tone: "error" | "info" };
  /** Her recovery phrase was written down: go on to her. */
  "et-phrase-kept": { id: string };
  /** The person sent her something from this page (it shows at once; the daemon's own copy merges with it). */
  "et-sent": ChatEntry;
  /** An organ's fields changed: the spec as it now stands (null: the optional organ is off). */
  "et-organ": { role: string; spec: OrganInput | null };
}

/** An organ as a form gives it: no url means the provider's default, no key means none (or, on update, the stored one). */
export interface OrganInput {
  provider: string;
  model: string;
  url?: string;
  api_key?: string;
}

export type DashboardEvent<K extends keyof DashboardEvents> = CustomEvent<DashboardEvents[K]>;

/** Sends a typed event up from `from` (bubbling, and out of shadow roots). */
export function emit<K extends keyof DashboardEvents>(from: EventTarget, name: K, ...[detail]: DashboardEvents[K] extends undefined ? [] : [DashboardEvents[K]]): void {
  from.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    "et-persona-changed": DashboardEvent<"et-persona-changed">;
    "et-retry": DashboardEvent<"et-retry">;
    "et-theme": DashboardEvent<"et-theme">;
    "et-notice": DashboardEvent<"et-notice">;
    "et-phrase-kept": DashboardEvent<"et-phrase-kept">;
    "et-organ": DashboardEvent<"et-organ">;
    "et-sent": DashboardEvent<"et-sent">;
  }
}
