import type { ChannelStateEvent, ChannelView, CredentialField } from "eternego/plugin/shared";
import { api } from "./api.js";

/** A channel plugin as `GET /api/plugins` declares it: what its form asks for and how it behaves. */
export interface ChannelKind {
  name: string;
  title: string;
  credentials: CredentialField[];
  max_text: number;
  /** Whether a chat on it must be paired with a code before she listens to it. */
  pairing: boolean;
  /** Present on every persona without being added (the web). */
  always: boolean;
}

interface PluginRow {
  kind: string | null;
  name: string;
  state: "loaded" | "failed";
  declares: Partial<ChannelKind> | null;
}

let cached: Promise<ChannelKind[]> | null = null;

/** The loaded channel plugins (asked once per page: plugins load only when the daemon starts). */
export function channelKinds(): Promise<ChannelKind[]> {
  cached ??= api
    .get<{ plugins: PluginRow[] }>("/api/plugins")
    .then((r) =>
      r.plugins
        .filter((p) => p.kind === "channel" && p.state === "loaded" && p.declares)
        .map((p) => ({
          name: p.name,
          title: p.declares!.title ?? p.name,
          credentials: p.declares!.credentials ?? [],
          max_text: p.declares!.max_text ?? 0,
          pairing: p.declares!.pairing !== false,
          always: p.declares!.always === true,
        })),
    )
    .catch((err) => {
      cached = null;
      throw err;
    });
  return cached;
}

/** How a state looks: a dot's tone beside the words (never the colour alone). */
export type Tone = "ok" | "busy" | "warn" | "bad" | "rest";

export interface StateWords {
  /** The state in words: "Connected", "Retrying at 14:32:05 — why". */
  text: string;
  tone: Tone;
  /** What it means for the person, and what to do when something is wrong. */
  help: string;
}

/** A time of day to the second, on a 24-hour clock: when a channel tries again. */
export function clockSeconds(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/**
 * Where a channel is, in words, and what the person can do about it. `running` is whether
 * she runs (a stopped persona's channels are all disconnected); `kind` is its plugin, absent
 * when no loaded plugin provides it.
 */
export function stateWords(c: Pick<ChannelView, "state" | "detail" | "retry_at">, running: boolean, kind: ChannelKind | undefined): StateWords {
  const why = c.detail ?? "no reason was given";
  switch (c.state) {
    case "connected":
      return { text: "Connected", tone: "ok", help: kind?.always ? "She answers here whenever she is awake." : "She listens here, and answers where she was written to." };
    case "connecting":
      return { text: "Connecting…", tone: "busy", help: "The daemon is reaching the platform." };
    case "retrying":
      return {
        text: c.retry_at ? `Retrying at ${clockSeconds(c.retry_at)} — ${why}` : `Retrying — ${why}`,
        tone: "warn",
        help: "The daemon tries again by itself, waiting longer each time (at most a minute). What she says meanwhile waits and is sent once it is back.",
      };
    case "failed":
      return {
        text: `Failed — ${why}`,
        tone: "bad",
        help: "Trying again cannot help, so the daemon has stopped. If its token was revoked or changed, add this channel again below with a new one: the same account keeps its paired chats.",
      };
    case "disconnected":
      if (!running) return { text: "Disconnected: she is not running", tone: "rest", help: "Start her (Organs and status) and it connects." };
      if (!kind) return { text: "Disconnected: no loaded plugin provides it", tone: "bad", help: "Plugins and capabilities says why its plugin did not load." };
      return { text: "Disconnected", tone: "rest", help: "It is not connected now." };
  }
}

/** A pairing code as a person types it (spaces, dashes, lower case) made what she sent: "k7m2 pq9d" → "K7M2PQ9D". */
export function normalCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]+/g, "");
}

/** "a", "a or b", "a, b or c". */
export function either(items: string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** A channel as the list shows it, after a `channel:state` event. */
export function withState(c: ChannelView, e: Pick<ChannelStateEvent, "state" | "detail" | "retry_at">): ChannelView {
  return { ...c, state: e.state, detail: e.detail, retry_at: e.retry_at };
}
