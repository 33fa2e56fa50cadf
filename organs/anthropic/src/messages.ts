import { OrganFault, thinkFilter, withoutThoughts, type FaultKind, type TokenUsage } from "eternego/plugin";
import type { Api } from "./api.js";
import type { WirePrompt } from "./wire.js";

/**
 * How many tokens an answer may take. Every current model takes at least this many; her
 * answers are short, and a structured answer cut off by the limit is asked for again.
 */
export const MAX_TOKENS = 4096;

/** A tool the model is made to call: its input is the answer. */
export interface ForcedTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  /** Strict tool use: the API holds the input to the schema exactly (a beta, asked for by header). */
  strict?: boolean;
}

/** The beta that strict tool use needs. */
export const STRICT_BETA = "structured-outputs-2025-11-13";

export interface Answer {
  /** The text blocks, joined. */
  text: string;
  /** The forced tool's input as it streamed (JSON text, possibly cut short). */
  toolJson: string;
  /** The forced tool's input, parsed; undefined when there was none or it did not parse. */
  toolInput: unknown;
  stopReason: string | null;
  usage?: TokenUsage;
}

interface Block {
  type: string;
  text: string;
  json: string;
  name?: string;
  input?: unknown;
}

interface Usage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Input tokens are the uncached ones plus those written to and read from the prompt cache: all she sent. */
function tokensOf(u: Usage): TokenUsage {
  return { input: num(u.input_tokens) + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens), output: num(u.output_tokens) };
}

/** The kind of fault an `error` event means: an overloaded or failing API may answer later, a refusal will not. */
const streamErrorKind = (type: string): FaultKind => (type === "rate_limit_error" ? "rate" : ["overloaded_error", "api_error", "timeout_error"].includes(type) ? "server" : "rejected");

/**
 * One `POST /v1/messages`, always streamed: a long answer is then only a timeout when it
 * goes silent (the API sends `ping` events while the model works), and text reaches
 * `onDelta` as it is written (without a `<think>` block). A forced tool's input streams as
 * `input_json_delta` pieces, which go to `onDelta` too: they are her answer, as JSON. The usage (cache reads and writes included)
 * goes to `ctx.usage`.
 */
export async function ask(api: Api, prompt: WirePrompt, opts: { tool?: ForcedTool; onDelta?: (text: string) => void } = {}): Promise<Answer> {
  const { spec, target, ctx } = api;
  const body = {
    model: spec.model,
    max_tokens: MAX_TOKENS,
    stream: true,
    ...prompt,
    ...(opts.tool ? { tools: [opts.tool], tool_choice: { type: "tool", name: opts.tool.name } } : {}),
  };
  const blocks: Block[] = [];
  const usage: Usage = {};
  // A `<think>` block some proxies put in the text is not her words.
  const visible = thinkFilter((piece) => opts.onDelta?.(piece));
  let started = false;
  let stopped = false;
  let stopReason: string | null = null;

  await api.stream(
    "/v1/messages",
    body,
    (event, data) => {
      const d = (data ?? {}) as Record<string, any>;
      switch (event) {
        case "message_start":
          started = true;
          Object.assign(usage, d.message?.usage);
          break;
        case "content_block_start": {
          const b = d.content_block ?? {};
          blocks[d.index] = { type: String(b.type), text: typeof b.text === "string" ? b.text : "", json: "", name: b.name, input: b.input };
          break;
        }
        case "content_block_delta": {
          const block = blocks[d.index];
          const delta = d.delta ?? {};
          if (!block) throw new OrganFault("malformed", target, 200, `streamed a delta for content block ${d.index}, which never started.`);
          if (delta.type === "text_delta" && typeof delta.text === "string") {
            block.text += delta.text;
            if (delta.text) visible.push(delta.text);
          } else if (delta.type === "input_json_delta" && typeof delta.partial_json === "string") {
            block.json += delta.partial_json;
            // The forced tool's input is her answer as JSON: it streams like any provider's JSON answer.
            if (delta.partial_json && block.name === opts.tool?.name) opts.onDelta?.(delta.partial_json);
          }
          break;
        }
        case "message_delta":
          stopReason = d.delta?.stop_reason ?? stopReason;
          // Counts here are cumulative and win over message_start's.
          Object.assign(usage, d.usage);
          break;
        case "message_stop":
          stopped = true;
          break;
        case "error": {
          const type = String(d.error?.type ?? "error");
          const said = api.scrub(String(d.error?.message ?? type)).slice(0, 300);
          throw new OrganFault(streamErrorKind(type), target, null, `the answer broke off with an error from the API: ${type} (${said}).`);
        }
        // ping, and event types added later, carry nothing she needs.
      }
    },
    `model '${spec.model}' not found — see the model list in the Anthropic console`,
    opts.tool?.strict ? { "anthropic-beta": STRICT_BETA } : undefined,
  );
  if (!started) throw new OrganFault("malformed", target, 200, "answered /v1/messages without a message_start event — is the url the Anthropic API (https://api.anthropic.com)?");
  if (!stopped) throw new OrganFault("malformed", target, 200, "the /v1/messages stream ended before message_stop — the answer is incomplete.");

  visible.end();
  const text = withoutThoughts(blocks.filter((b) => b?.type === "text").map((b) => b.text).join(""));
  const tool = opts.tool ? blocks.find((b) => b?.type === "tool_use" && b.name === opts.tool!.name) : undefined;
  // A tiny input can come whole in content_block_start, with no deltas after it.
  const toolJson = tool ? tool.json || (tool.input !== undefined ? JSON.stringify(tool.input) : "") : "";
  let toolInput: unknown;
  if (toolJson) {
    try {
      toolInput = JSON.parse(toolJson);
    } catch {
      // cut short (max_tokens) or broken: the caller asks again
    }
  }
  if (stopReason === "max_tokens") ctx.log.warn("the answer hit max_tokens and was cut short", { model: spec.model, max_tokens: MAX_TOKENS });
  const counted = Object.keys(usage).length ? tokensOf(usage) : undefined;
  if (counted) ctx.usage(counted);
  return { text, toolJson, toolInput, stopReason, usage: counted };
}
