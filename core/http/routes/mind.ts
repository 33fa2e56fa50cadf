import crypto from "node:crypto";
import path from "node:path";
import Joi from "joi";
import { Unsupported } from "../../api/errors.js";
import type { ConversationEntry } from "../../mind/memory.js";
import { route, type Route } from "../route.js";
import { idParams, messageText } from "../schemas.js";
import { onlyExtensions } from "./accept.js";
import type { RouteDeps } from "./deps.js";

const reply = Joi.object({
  id: Joi.string().required(),
  text: Joi.string().allow("").required(),
  channel: Joi.string().required(),
  time: Joi.string().required(),
}).label("Reply");

const received = Joi.object({
  status: Joi.valid("received").required(),
  id: Joi.string().required().description("The message id; her answers name it in `reply_to`"),
}).label("Received");

const answered = Joi.object({
  status: Joi.valid("answered").required(),
  id: Joi.string().required(),
  replies: Joi.array().items(reply).required().description("What she said in answer (empty when she chose silence)"),
}).label("Answered");

const perceivedItem = Joi.object({
  file: Joi.string().required(),
  media: Joi.string().required().description("Stored name, served by GET /api/persona/{id}/media/{file}"),
  kind: Joi.string().required().description("The perception plugin that took it"),
  text: Joi.string().allow("").required().description("What she perceived"),
}).label("Perceived");

const wait = Joi.object({ wait: Joi.number().min(0).max(600).description("Seconds to wait for her answer") }).unknown(false);

const toReply = (e: ConversationEntry) => ({ id: e.id, text: e.text, channel: e.channel, time: e.time });

/** Live routes: her running mind reads, hears, perceives, learns and sleeps. */
export function mindRoutes({ plugins, agents }: RouteDeps): Route[] {
  /** 202 at once, or with `?wait` her answer once the beat that took the message in is over. */
  const answer = async (id: string, pending: Promise<ConversationEntry[] | null> | null) => {
    const replies = pending ? await pending : null;
    return replies ? { status: 200, body: { status: "answered", id, replies: replies.map(toReply) } } : { status: 202, body: { status: "received", id } };
  };
  const waitFor = (personaId: string, messageId: string, seconds?: number) =>
    seconds ? agents.get(personaId).repliesTo(messageId, seconds * 1000) : null;

  return [
    route({
      method: "post", path: "/api/persona/:id/sleep", tag: "mind", kind: "live", params: idParams,
      summary: "Run her night now: consolidate the day into her memory files, archive it, wake",
      description: "Messages that arrive meanwhile wait in her inbox and are answered when she wakes.",
      responses: {
        200: {
          description: "She slept and woke",
          schema: Joi.object({
            archived: Joi.string().allow(null).required().description("The day archived to history/, or null when nothing was said"),
            messages: Joi.number().integer().required(),
            updated: Joi.array().items(Joi.string()).required().description("Memory files she rewrote"),
            summary: Joi.string().allow("").required(),
            diary: Joi.alternatives()
              .try(
                Joi.object({ created: Joi.string().required(), bytes: Joi.number().integer().required() }).label("DiaryWritten"),
                Joi.object({ skipped: Joi.string().required() }).label("DiarySkipped"),
              )
              .description("Her diary, written after the night; or why it was not (she has no diary key yet)"),
          }).label("NightSummary"),
        },
      },
      errors: [404, 409],
      handler: async ({ params }) => ({ body: await agents.get(params.id).sleep() }),
    }),
    route({
      method: "post", path: "/api/persona/:id/read", tag: "mind", kind: "live", params: idParams,
      summary: "Give her a text message; `?wait=SECONDS` waits for her answer",
      query: wait,
      body: Joi.object({ message: messageText.required() }).unknown(false).required(),
      responses: { 202: { description: "Received", schema: received }, 200: { description: "Answered (with `?wait`)", schema: answered } },
      errors: [404, 409],
      handler: async ({ params, query, body }) => {
        const id = crypto.randomUUID();
        const pending = waitFor(params.id, id, query.wait);
        await agents.get(params.id).read(body.message, plugins.home.name, { id });
        return answer(id, pending);
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/hear", tag: "mind", kind: "live", params: idParams,
      summary: "Give her a voice message (multipart `audio`); transcribed, then like read",
      query: wait,
      upload: {
        files: [{ name: "audio", maxCount: 1, required: true, description: "An audio file" }],
        fields: Joi.object({}).unknown(false),
        accept: (ctx, _f, name) => {
          const cap = plugins.capabilityFor(name);
          if (cap.organ !== "hearing") throw new Unsupported(`'${path.extname(name)}' is not audio; /hear takes voice recordings. Send other files to /attach.`);
          return { maxBytes: plugins.capabilityFor(name, agents.get(ctx.params.id).organRoles(), ctx.params.id).maxBytes };
        },
      },
      responses: { 202: { description: "Received", schema: received }, 200: { description: "Answered (with `?wait`)", schema: answered } },
      errors: [400, 404, 409, 413, 415],
      handler: async ({ params, query, files }) => {
        const id = crypto.randomUUID();
        const pending = waitFor(params.id, id, query.wait);
        await agents.get(params.id).hear(files[0]!, plugins.home.name, { id });
        return answer(id, pending);
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/attach", tag: "mind", kind: "live", params: idParams,
      summary: "Give her files (multipart `file`, one or more) and an optional caption",
      description: "Each file is taken by the perception plugin that declares its extension (415 when none does, or when it needs an organ she lacks), checked against its size limit (413) and its content (400), kept under her media/, and perceived; then she takes the whole in as one message.",
      query: wait,
      upload: {
        files: [{ name: "file", maxCount: 10, required: true, description: "Files to perceive" }],
        fields: Joi.object({ caption: Joi.string().max(10_000).allow("") }).unknown(false),
        accept: (ctx, _f, name) => ({ maxBytes: plugins.capabilityFor(name, agents.get(ctx.params.id).organRoles(), ctx.params.id).maxBytes }),
      },
      responses: {
        202: { description: "Perceived and received", schema: received.keys({ perceived: Joi.array().items(perceivedItem).required() }).label("Attached") },
        200: { description: "Answered (with `?wait`)", schema: answered.keys({ perceived: Joi.array().items(perceivedItem).required() }).label("AttachedAnswered") },
      },
      errors: [400, 404, 409, 413, 415],
      handler: async ({ params, query, files, body }) => {
        const id = crypto.randomUUID();
        const pending = waitFor(params.id, id, query.wait);
        const entry = await agents.get(params.id).perceive(files, body.caption ?? "", plugins.home.name, { id });
        const perceived = (entry.perceived ?? []).map((p, i) => ({ file: files[i]!.name, media: p.media, kind: p.kind, text: p.text }));
        const r = await answer(id, pending);
        return { status: r.status, body: { ...r.body, perceived } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/feed", tag: "mind", kind: "live", params: idParams,
      summary: "Let her learn from past conversations (ChatGPT export .zip/.json, Claude export .json)",
      upload: {
        files: [{ name: "history", maxCount: 1, required: true, description: "The export" }],
        fields: Joi.object({ source: Joi.valid("chatgpt", "claude") }).unknown(false),
        accept: onlyExtensions([".zip", ".json"], "a ChatGPT or Claude export", 1024 ** 3),
      },
      responses: {
        200: {
          description: "What she learned from it",
          schema: Joi.object({
            source: Joi.valid("chatgpt", "claude").required(),
            conversations: Joi.number().integer().required(),
            messages: Joi.number().integer().required(),
            read: Joi.number().integer().required().description("Conversations she read, newest first"),
            updated: Joi.array().items(Joi.string()).required().description("Memory files she rewrote"),
          }).label("FeedSummary"),
        },
      },
      errors: [400, 404, 409, 413, 415],
      handler: async ({ params, files, body }) => ({ body: await agents.get(params.id).feed(files[0]!, body.source) }),
    }),
  ];
}
