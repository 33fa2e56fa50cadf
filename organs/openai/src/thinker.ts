import { OrganFault, answerWithSchema, thinkFilter, withoutThoughts, type ChatMessage, type ThinkRequest, type ThinkResult, type Thinker } from "eternego/plugin";
import { usageOf, type Api } from "./api.js";
import { levelFor, remember, responseFormat, strictRefusal, weakerAfter, withInstructions, type FormatLevel } from "./answer-format.js";
import { sseParser } from "./sse.js";

interface Completion {
  choices?: { message?: { content?: string | null; refusal?: string | null } }[];
  usage?: unknown;
}

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: unknown;
  error?: { message?: string; code?: string | number | null };
}

/** OpenAI's wire messages: the cache flag has no OpenAI counterpart (it caches prefixes by itself). */
const wire = (messages: ChatMessage[]) => messages.map((m) => ({ role: m.role, content: m.content }));

/** One chat completion, non-streaming (the vision role asks its question the same way). */
export async function complete(api: Api, body: Record<string, unknown>): Promise<ThinkResult> {
  const res = await api.post("/chat/completions", body);
  const json = (await api.json(res, "/chat/completions")) as Completion;
  const message = json?.choices?.[0]?.message;
  if (!message || typeof message !== "object") {
    throw new OrganFault("malformed", api.target, res.status, "answered /chat/completions without choices[0].message — is this an OpenAI-compatible server?");
  }
  const usage = usageOf(json.usage);
  if (usage) api.ctx.usage(usage);
  // A structured-output refusal comes as `refusal` with no content; it is still her answer.
  // A reasoning model's `<think>` block is not.
  return { text: withoutThoughts(message.content ?? message.refusal ?? ""), usage };
}

/** One chat completion streamed as server-sent events, each text delta handed on as it comes. */
async function stream(api: Api, body: Record<string, unknown>, onDelta: (text: string) => void): Promise<ThinkResult> {
  const res = await api.post("/chat/completions", { ...body, stream: true, stream_options: { include_usage: true } });
  if (!res.body) throw new OrganFault("malformed", api.target, res.status, "answered a streamed /chat/completions with no body.");
  let text = "";
  let usage: ThinkResult["usage"];
  let chunks = 0;
  let done = false;
  let consumerFailed = false; // an error from onDelta is the caller's, not the connection's
  // A reasoning model's `<think>` block streams as content too; it is kept out of her words.
  const visible = thinkFilter((piece) => {
    text += piece;
    try {
      onDelta(piece);
    } catch (err) {
      consumerFailed = true;
      throw err;
    }
  });
  const parser = sseParser((data) => {
    // Keep reading after [DONE] to the end of the body, so the connection can be reused.
    if (done) return;
    if (data === "[DONE]") {
      done = true;
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return; // a stray line (some proxies add their own); the next chunk may be fine
    }
    if (chunk.error) {
      const m = String(chunk.error.message ?? chunk.error.code ?? "unknown error");
      throw new OrganFault("server", api.target, null, `the stream broke off with an error from the server (${m.slice(0, 300)}).`);
    }
    chunks++;
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === "string" && delta) visible.push(delta);
    usage = usageOf(chunk.usage) ?? usage;
  });
  try {
    for await (const bytes of res.body) parser.feed(bytes);
    parser.end();
    visible.end();
  } catch (err) {
    throw consumerFailed ? err : api.bodyFault(err);
  }
  if (!chunks) throw new OrganFault("malformed", api.target, res.status, "answered a streamed /chat/completions without any chat.completion.chunk — is this an OpenAI-compatible server?");
  if (usage) api.ctx.usage(usage);
  return { text, usage };
}

/**
 * The thinking role over `/chat/completions`. A schema is asked for as strongly as the
 * server allows (json_schema → json_object → prompt + extraction); a refusal of one level
 * moves to the next once and is remembered for the organ. `answerWithSchema` then checks
 * the answer and, once, asks again quoting what was wrong.
 */
export function thinker(api: Api): Thinker {
  const { base, spec } = api;
  const call = async (messages: ChatMessage[], req: ThinkRequest): Promise<ThinkResult> => {
    const send = (level: FormatLevel | null) => {
      const msgs = level && req.schema ? withInstructions(level, req.schema, messages) : messages;
      const body = { model: spec.model, messages: wire(msgs), ...(level && req.schema ? responseFormat(level, req.schema) : {}) };
      return req.onDelta ? stream(api, body, req.onDelta) : complete(api, body);
    };
    if (!req.schema) return send(null);
    for (let level = levelFor(base, spec.model); ; ) {
      try {
        return await send(level);
      } catch (err) {
        // The schema, not json_schema, was refused: the same level again without strict.
        if (level === "json_schema" && strictRefusal(err, req.schema)) continue;
        const weaker = weakerAfter(level, err);
        if (!weaker) throw err;
        api.ctx.log.info(`the server refused response_format at level '${level}'; using '${weaker}' for this organ from now on`, { model: spec.model, url: base });
        remember(base, spec.model, weaker);
        level = weaker;
      }
    }
  };
  return {
    think: (req) => answerWithSchema(req, (messages) => call(messages, req), api.target),
  };
}
