import crypto from "node:crypto";
import Joi from "joi";
import { Invalid, NotFound } from "../../api/errors.js";
import type { ChatDeltaEvent, ChatWithdrawnEvent } from "../../api/events.js";
import type { ConversationEntry } from "../../mind/memory.js";
import type { PersonaRecord } from "../../persona-store.js";
import { route, type Route } from "../route.js";
import type { RouteDeps } from "./deps.js";

const T = "openai";
/** The channel a /v1 client talks to her on: her conversation says so. */
const CHANNEL = "api";
/** How long a completion waits for her answer before it ends with what she said so far. */
const WAIT_MS = 5 * 60_000;

const model = (p: PersonaRecord) => ({ id: p.id, object: "model" as const, created: Math.floor(Date.parse(p.created_at) / 1000), owned_by: "eternego", name: p.name });
const modelSchema = Joi.object({
  id: Joi.string().required().description("Her id"),
  object: Joi.valid("model").required(),
  created: Joi.number().integer().required().description("When she was made (Unix seconds)"),
  owned_by: Joi.string().required(),
  name: Joi.string().required().description("Her name, which also addresses her as `model`"),
}).label("Model");

const message = Joi.object({
  role: Joi.valid("system", "user", "assistant", "tool", "developer").required(),
  content: Joi.alternatives().try(Joi.string().allow(""), Joi.array().items(Joi.object().unknown(true)), null).required(),
}).unknown(true);

const usageSchema = Joi.object({
  prompt_tokens: Joi.number().integer().required(),
  completion_tokens: Joi.number().integer().required(),
  total_tokens: Joi.number().integer().required(),
}).label("Usage");

const completionSchema = Joi.object({
  id: Joi.string().required(),
  object: Joi.valid("chat.completion").required(),
  created: Joi.number().integer().required(),
  model: Joi.string().required(),
  choices: Joi.array()
    .items(
      Joi.object({
        index: Joi.number().integer().required(),
        message: Joi.object({ role: Joi.valid("assistant").required(), content: Joi.string().allow("").required(), refusal: Joi.valid(null).required() }).required(),
        finish_reason: Joi.valid("stop", "length").required(),
        logprobs: Joi.valid(null).required(),
      }),
    )
    .required(),
  usage: usageSchema.required(),
}).label("ChatCompletion");

/** The text of a message's content: a string, or the text parts of an array of parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === "object" && (p as { type?: string }).type === "text" ? String((p as { text?: unknown }).text ?? "") : "")).join("");
  return "";
}

/** The OpenAI-compatible surface: every persona is a model, addressed by id or name. */
export function openaiRoutes({ store, agents, ledger, bus, secrets }: RouteDeps): Route[] {
  /** Her, by id or name; with no name, the one persona running (when exactly one is). */
  const find = async (m: string | undefined) => {
    const all = await store.list();
    if (!m) {
      const running = all.filter((p) => agents.running(p.id));
      if (running.length === 1) return running[0]!;
      throw new Invalid(`Say which persona with 'model' (her id or name): ${running.length ? `${running.length} are running` : "none is running"}; GET /v1/models lists them.`);
    }
    const byId = all.find((x) => x.id === m);
    if (byId) return byId;
    const named = all.filter((x) => x.name.toLowerCase() === m.toLowerCase());
    if (named.length > 1) throw new Invalid(`${named.length} personas are called '${m}': ${named.map((p) => p.id).join(", ")}. Use her id as the model.`);
    if (!named[0]) throw new NotFound(`No persona is called or has the id '${m}'; GET /v1/models lists them.`);
    return named[0];
  };

  return [
    route({
      method: "get", path: "/v1/models", tag: T, kind: "openai", errorFormat: "openai",
      summary: "Every persona, as a model",
      responses: { 200: { description: "Models", schema: Joi.object({ object: Joi.valid("list").required(), data: Joi.array().items(modelSchema).required() }) } },
      errors: [],
      handler: async () => ({ body: { object: "list", data: (await store.list()).map(model) } }),
    }),
    route({
      method: "get", path: "/v1/models/:model", tag: T, kind: "openai", errorFormat: "openai",
      params: Joi.object({ model: Joi.string().max(100).required().description("Her id or name") }),
      summary: "One persona, as a model, by id or name",
      responses: { 200: { description: "The model", schema: modelSchema } },
      errors: [400, 404],
      handler: async ({ params }) => ({ body: model(await find(params.model)) }),
    }),
    route({
      method: "post", path: "/v1/chat/completions", tag: T, kind: "openai", errorFormat: "openai",
      summary: "Talk to a persona with any OpenAI client; the last user message is read by her",
      description:
        "`model` is her id or name (omitted: the one running persona, when exactly one is). The last `user` message is read by her as a real message on the `api` channel: " +
        "it enters her memory and her conversation like any other. Earlier messages are context the client keeps, not new messages to her (she remembers her own conversation). " +
        "Her reply comes back as a `chat.completion`, or with `stream: true` as server-sent `chat.completion.chunk`s while she speaks, then `data: [DONE]`. " +
        "`usage` is what her thinking organ counted for the beat. Errors are in OpenAI's shape, which its SDKs parse.",
      body: Joi.object({
        model: Joi.string().max(100).allow(""),
        messages: Joi.array().items(message).min(1).max(1000).required(),
        stream: Joi.boolean(),
        stream_options: Joi.object({ include_usage: Joi.boolean() }).unknown(true).allow(null),
      }).unknown(true).required(),
      responses: {
        200: { description: "Her reply (a chat.completion; with stream, text/event-stream of chat.completion.chunk)", schema: completionSchema },
      },
      errors: [400, 404, 409],
      handler: async ({ body, req, res }) => {
        const p = await find(body.model || undefined);
        const agent = agents.get(p.id);
        const last = [...body.messages].reverse().find((m: { role: string }) => m.role === "user");
        const text = last ? textOf(last.content).trim() : "";
        if (!text) throw new Invalid("There is no user message with text to send her: the last message with role 'user' is what she reads.");

        const id = `chatcmpl-${crypto.randomUUID()}`;
        const created = Math.floor(Date.now() / 1000);
        const before = ledger.of(p.id, "thinking");
        const usage = () => {
          const now = ledger.of(p.id, "thinking");
          const prompt = now.input - before.input;
          const completion = now.output - before.output;
          return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
        };
        const messageId = crypto.randomUUID();
        const answered = agent.repliesTo(messageId, WAIT_MS);
        const said = (replies: ConversationEntry[] | null) => (replies ?? []).map((r) => r.text).join("\n\n");

        if (!body.stream) {
          await agent.read(text, CHANNEL, { id: messageId });
          const replies = await answered;
          return {
            body: {
              id, object: "chat.completion", created, model: p.id,
              choices: [{ index: 0, message: { role: "assistant", content: said(replies), refusal: null }, finish_reason: replies ? "stop" : "length", logprobs: null }],
              usage: usage(),
            },
          };
        }

        // Streamed: her draft's words as they come; a draft she takes back stops the live words,
        // and what she finally says fills in whatever the client has not seen yet.
        res.status(200).set({ "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
        res.flushHeaders();
        const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
          res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: p.id, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`);
        chunk({ role: "assistant", content: "" });
        let live: string | null = null; // the draft being streamed
        let sent = "";
        let broken = false;
        const onDelta = (e: ChatDeltaEvent) => {
          if (e.persona !== p.id || e.reply_to !== messageId || broken) return;
          if (live && e.draft !== live) return;
          live = e.draft;
          sent += e.text;
          chunk({ content: e.text });
        };
        const onWithdrawn = (e: ChatWithdrawnEvent) => {
          if (e.persona === p.id && e.draft === live) broken = true;
        };
        const unsubscribe = [bus.on("chat:delta", onDelta), bus.on("chat:withdrawn", onWithdrawn)];
        let gone = false;
        // The response's close, not the request's: the request closes as soon as its body was read.
        res.on("close", () => (gone = true));
        try {
          await agent.read(text, CHANNEL, { id: messageId });
          const replies = await answered;
          const final = said(replies);
          if (!gone) {
            if (final.startsWith(sent)) {
              if (final.length > sent.length) chunk({ content: final.slice(sent.length) });
            } else chunk({ content: `${sent ? "\n\n" : ""}${final}` });
            chunk({}, replies ? "stop" : "length");
            if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: p.id, choices: [], usage: usage() })}\n\n`);
            res.write("data: [DONE]\n\n");
          }
        } catch (err) {
          // The stream has begun: the failure is told in it, the way OpenAI's streams tell one.
          const why = (err as Error)?.message ?? String(err);
          if (!gone) res.write(`data: ${JSON.stringify({ error: { message: secrets.scrub(why), type: "server_error", code: null, param: null } })}\n\n`);
        } finally {
          for (const u of unsubscribe) u();
          res.end();
        }
        return { body: null };
      },
    }),
  ];
}
