import type { ModelContext, OrganProgress, OrganRole, TokenUsage } from "../../core/api/index.js";

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
