import type { ChannelState, PersonaView, Phase } from "./types.js";
import type { OrganProgress } from "./plugin.js";

/** Why `persona:changed` fired. */
export type PersonaChange = "created" | "updated" | "deleted" | "status" | "state";

export interface PersonaChangedEvent {
  id: string;
  change: PersonaChange;
  /** The persona after the change; absent when she was deleted. */
  persona?: PersonaView;
  /** Epoch milliseconds. */
  time: number;
}

export interface ChatMessageEvent {
  persona: string;
  id: string;
  from: "person" | "persona";
  channel: string;
  /** The chat on that channel (a Telegram chat id…); absent for the web. */
  chat?: string;
  text: string;
  media?: string[];
  time: string;
  /** For her words: the draft (streamed as `chat:delta`) this message completes and replaces. */
  draft?: string;
}

/** A piece of her words as the thinking organ streams them: part of a draft, not yet said. */
export interface ChatDeltaEvent {
  persona: string;
  /** The message she is answering. */
  reply_to: string;
  /** The draft the piece belongs to; its pieces, joined, are what she is saying so far. */
  draft: string;
  text: string;
}

/** A draft she did not say after all (the answer was asked for again, failed, or said nothing): show it no more. */
export interface ChatWithdrawnEvent {
  persona: string;
  reply_to: string;
  draft: string;
  time: number;
}

export interface MindActivityEvent {
  persona: string;
  activity: "perceiving" | "thinking" | "acting" | "reflecting" | "idle";
  phase: Phase | null;
  time: number;
}

export interface OrganProgressEvent extends OrganProgress {
  persona: string | null;
  role: string;
  provider: string;
  model: string;
  time: number;
}

/** A channel of hers changed state (connected, retrying with when, failed with why). */
export interface ChannelStateEvent {
  persona: string;
  type: string;
  state: ChannelState;
  detail: string | null;
  retry_at: string | null;
  time: number;
}

/** Events the daemon pushes to socket.io clients. */
export interface ServerToClientEvents {
  "persona:changed": (e: PersonaChangedEvent) => void;
  "chat:message": (e: ChatMessageEvent) => void;
  "chat:delta": (e: ChatDeltaEvent) => void;
  "chat:withdrawn": (e: ChatWithdrawnEvent) => void;
  "mind:activity": (e: MindActivityEvent) => void;
  "feed:progress": (e: { persona: string; done: number; total: number; time: number }) => void;
  "organ:progress": (e: OrganProgressEvent) => void;
  "organ:usage": (e: { persona: string | null; role: string; provider: string; model: string; input: number; output: number; time: number }) => void;
  "organ:fault": (e: { persona: string; role: string; provider: string; model: string; status: number | null; detail: string; time: number }) => void;
  "channel:state": (e: ChannelStateEvent) => void;
}

/** Acknowledgement for client requests: the same `{detail}` shape as HTTP errors on failure. */
export type Ack<T> = (reply: { ok: true; data: T } | { ok: false; status: number; detail: unknown }) => void;

/** Events a socket.io client may send. */
export interface ClientToServerEvents {
  "persona:watch": (id: string, ack?: Ack<{ watching: string }>) => void;
  "persona:unwatch": (id: string, ack?: Ack<{ watching: null }>) => void;
  "chat:send": (req: { persona: string; message: string }, ack?: Ack<{ status: "received"; id: string }>) => void;
}

/** Events on the daemon's in-process bus. Same payloads, one declared map. */
export type BusEvents = {
  [K in keyof ServerToClientEvents]: Parameters<ServerToClientEvents[K]>[0];
};
