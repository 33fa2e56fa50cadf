import type { ChatMessage, ModelContext, OrganProgress, OrganRole, ThinkRequest, TokenUsage } from "../../core/api/index.js";

/** A ModelContext that keeps what the plugin reported, for tests to look at. */
export interface RecordingContext extends ModelContext {
  usages: TokenUsage[];
  progresses: OrganProgress[];
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

export function context(opts: { role?: OrganRole; timeoutMs?: number; signal?: AbortSignal } = {}): RecordingContext {
  const usages: TokenUsage[] = [];
  const progresses: OrganProgress[] = [];
  const logs: RecordingContext["logs"] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, fields });
  return {
    role: opts.role ?? "thinking",
    log: { info: at("info"), warn: at("warn"), error: at("error") },
    progress: (p) => void progresses.push(p),
    usage: (u) => void usages.push(u),
    timeoutMs: opts.timeoutMs ?? 10_000,
    signal: opts.signal,
    usages,
    progresses,
    logs,
  };
}

/** A 1×1 PNG, the smallest real image. */
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** The schema the think tests ask for: a closed object with a free `say` and a `mood` from a list. */
export const MOOD_SCHEMA = {
  type: "object",
  properties: { say: { type: "string" }, mood: { type: "string", enum: ["calm", "glad"] } },
  required: ["say", "mood"],
  additionalProperties: false,
};

/**
 * The same shape left open (no `additionalProperties: false`), which strict mode cannot
 * take: it is asked for best effort, so a provider may answer outside it — what the retry
 * that quotes the problem is for. (Asked strictly, the real services never answer outside
 * the schema, and the fakes refuse to be scripted to.)
 */
export const LOOSE_MOOD_SCHEMA = { type: "object", properties: MOOD_SCHEMA.properties, required: MOOD_SCHEMA.required };

/** The plain exchange the think tests start with: her identity, then the person's greeting. */
export const MORNING: ChatMessage[] = [
  { role: "system", content: "You are Ada's companion." },
  { role: "user", content: "morning!" },
];

/**
 * Thinks with an `onDelta` that throws, the way a caller's listener may break; gives back what
 * the think failed with and what the listener threw, for the test to see they are the same.
 */
export async function thinkWithBrokenListener(think: (req: ThinkRequest) => Promise<unknown>, content = "hi"): Promise<{ err: unknown; thrown: Error }> {
  const thrown = new Error("listener broke");
  const err = await think({ messages: [{ role: "user", content }], onDelta: () => { throw thrown; } }).catch((e: unknown) => e);
  return { err, thrown };
}
