import { OrganFault, thinkFilter, type TokenUsage } from "eternego/plugin";
import type { Api } from "./api.js";

/** A message as `/api/chat` takes it: images are base64 strings on the message. */
export interface WireMessage {
  role: "system" | "user" | "assistant";
  content: string;
  images?: string[];
}

export interface ChatOptions {
  /** "json", or a JSON schema Ollama constrains the answer to. */
  format?: "json" | Record<string, unknown>;
  /** Called with each visible piece of the answer as it comes. */
  onDelta?: (text: string) => void;
}

interface Chunk {
  message?: { content?: unknown };
  done?: unknown;
  error?: unknown;
  prompt_eval_count?: unknown;
  eval_count?: unknown;
}

/** Tokens from a final chunk; a prompt Ollama found in its cache may come without `prompt_eval_count`. */
function usageOf(c: Chunk): TokenUsage | undefined {
  const input = c.prompt_eval_count;
  const output = c.eval_count;
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  return { input: typeof input === "number" ? input : 0, output: typeof output === "number" ? output : 0 };
}

const errorText = (e: unknown) => (typeof e === "string" ? e : JSON.stringify(e)).slice(0, 300);

/**
 * One `/api/chat` call, always streamed (NDJSON), whether or not anyone listens to the
 * deltas: Ollama runs on the person's own machine, often slowly, and a streamed answer is
 * only a timeout when it goes silent — a long answer from a slow model is not, and is not
 * asked for again. The usage of the final chunk goes to `ctx.usage`. A reasoning model's
 * `<think>` block is kept out of the text and the deltas.
 */
export async function chat(api: Api, messages: WireMessage[], opts: ChatOptions = {}): Promise<{ text: string; usage?: TokenUsage }> {
  const { spec, target, ctx } = api;
  const body = { model: spec.model, messages, stream: true, ...(opts.format ? { format: opts.format } : {}) };
  let usage: TokenUsage | undefined;
  let done = false;
  let text = "";
  const filter = thinkFilter((visible) => {
    text += visible;
    opts.onDelta?.(visible);
  });
  const { lines } = await api.stream(
    "/api/chat",
    body,
    (line) => {
      const c = line as Chunk;
      if (c.error !== undefined) {
        throw new OrganFault("server", target, null, `the answer broke off with an error from Ollama (${errorText(c.error)}).`);
      }
      if (done) return;
      const content = c.message?.content;
      if (typeof content === "string" && content) filter.push(content);
      if (c.done === true) {
        done = true;
        usage = usageOf(c);
      }
    },
    `model '${spec.model}' not found — run \`ollama pull ${spec.model}\``,
  );
  if (!lines) throw new OrganFault("malformed", target, 200, "answered /api/chat with an empty stream — the model may have failed to load (see the Ollama log, or `ollama ps`).");
  if (!done) throw new OrganFault("malformed", target, 200, "the /api/chat stream ended before its final chunk (done: true) — did Ollama stop mid-answer?");
  filter.end();
  if (usage) ctx.usage(usage);
  return { text, usage };
}
