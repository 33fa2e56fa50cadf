import path from "node:path";
import Joi from "joi";
import { Unsupported } from "../../api/errors.js";
import type { OrganRole } from "../../api/types.js";
import { route, type Route, type RouteContext } from "../route.js";
import { idParams } from "../schemas.js";
import { notYet, type RouteDeps } from "./deps.js";

// Routes whose behaviour belongs to later work. Their schemas and checks are real (404,
// 409, 413, 415, 422 all answer as documented); past the checks they answer 501 naming
// what is missing, never a made-up result.

const NOT_YET = { 501: { description: "Valid, but the capability behind this route is not built yet" } };

const date = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).messages({ "string.pattern.base": "{{#label}} must be a date like 2026-11-28" });
const when = Joi.alternatives().try(date, Joi.date().iso()).required();

function only(extensions: string[], what: string, maxBytes: number) {
  return (_ctx: RouteContext, _field: string, name: string) => {
    const ext = path.extname(name).toLowerCase();
    if (!extensions.includes(ext)) throw new Unsupported(`'${ext || name}' is not ${what}; send ${extensions.join(" or ")}.`);
    return { maxBytes };
  };
}

export function laterRoutes({ plugins, store }: RouteDeps): Route[] {
  const organsOf = async (id: string) => new Set(Object.keys((await store.get(id)).organs) as OrganRole[]);
  return [
    route({
      method: "post", path: "/api/persona/migrate", tag: "personas", kind: "lifecycle",
      summary: "Restore a persona from her diary and recovery phrase, with her own id",
      upload: {
        files: [{ name: "diary", maxCount: 1, required: true, description: "The .diary file" }],
        fields: Joi.object({
          phrase: Joi.string().max(400).required().description("Her 24-word recovery phrase"),
          organs: Joi.string().max(8000).required().description("JSON text: the organs she should use here, as in create"),
          channels: Joi.string().max(8000).description("JSON text: channels as in create"),
        }).unknown(false),
        accept: only([".diary"], "a diary", 4 * 1024 ** 3),
      },
      responses: { ...NOT_YET },
      errors: [400, 409, 415],
      handler: async () => notYet("Restoring a persona from her diary"),
    }),
    route({
      method: "get", path: "/api/persona/:id/export", tag: "diary", kind: "config", params: idParams,
      summary: "A fresh encrypted diary of her, as a download",
      responses: { 200: { description: "The diary file", contentType: "application/octet-stream" }, ...NOT_YET },
      errors: [404],
      handler: async () => notYet("The diary"),
    }),
    route({
      method: "post", path: "/api/persona/:id/sleep", tag: "mind", kind: "live", params: idParams,
      summary: "Run her night now: consolidate the day, archive it, write her diary, wake",
      responses: { ...NOT_YET },
      errors: [404, 409],
      handler: async () => notYet("Her night (the mind)"),
    }),
    route({
      method: "post", path: "/api/persona/:id/read", tag: "mind", kind: "live", params: idParams,
      summary: "Give her a text message; `?wait=SECONDS` waits for her answer",
      query: Joi.object({ wait: Joi.number().min(0).max(600) }).unknown(false),
      body: Joi.object({ message: Joi.string().min(1).max(100_000).required() }).unknown(false).required(),
      responses: { 202: { description: "Received", schema: Joi.object({ status: Joi.valid("received").required(), id: Joi.string().required() }) }, ...NOT_YET },
      errors: [404, 409],
      handler: async () => notYet("Reading messages (the mind)"),
    }),
    route({
      method: "post", path: "/api/persona/:id/hear", tag: "mind", kind: "live", params: idParams,
      summary: "Give her a voice message (multipart `audio`)",
      upload: {
        files: [{ name: "audio", maxCount: 1, required: true, description: "An audio file" }],
        fields: Joi.object({}).unknown(false),
        accept: async (ctx, _f, name) => {
          const cap = plugins.capabilityFor(name);
          if (cap.organ !== "hearing") throw new Unsupported(`'${path.extname(name)}' is not audio; /hear takes voice recordings. Send other files to /attach.`);
          return { maxBytes: plugins.capabilityFor(name, await organsOf(ctx.params.id)).maxBytes };
        },
      },
      responses: { 202: { description: "Received", schema: Joi.object({ status: Joi.valid("received").required(), id: Joi.string().required() }) }, ...NOT_YET },
      errors: [404, 409, 413, 415],
      handler: async () => notYet("Hearing (the mind)"),
    }),
    route({
      method: "post", path: "/api/persona/:id/attach", tag: "mind", kind: "live", params: idParams,
      summary: "Give her files (multipart `file`, one or more) and an optional caption",
      upload: {
        files: [{ name: "file", maxCount: 10, required: true, description: "Files to perceive" }],
        fields: Joi.object({ caption: Joi.string().max(10_000).allow("") }).unknown(false),
        accept: async (ctx, _f, name) => ({ maxBytes: plugins.capabilityFor(name, await organsOf(ctx.params.id)).maxBytes }),
      },
      responses: { 202: { description: "Received", schema: Joi.object({ status: Joi.valid("received").required(), id: Joi.string().required() }) }, ...NOT_YET },
      errors: [404, 409, 413, 415],
      handler: async () => notYet("Perceiving files (the mind)"),
    }),
    route({
      method: "post", path: "/api/persona/:id/feed", tag: "mind", kind: "live", params: idParams,
      summary: "Let her learn from past conversations (ChatGPT export .zip/.json, Claude export .json)",
      upload: {
        files: [{ name: "history", maxCount: 1, required: true, description: "The export" }],
        fields: Joi.object({ source: Joi.valid("chatgpt", "claude") }).unknown(false),
        accept: only([".zip", ".json"], "a ChatGPT or Claude export", 1024 ** 3),
      },
      responses: { ...NOT_YET },
      errors: [400, 404, 409, 413, 415],
      handler: async () => notYet("Learning from exports (feed)"),
    }),
    route({
      method: "post", path: "/api/persona/:id/pair", tag: "channels", kind: "live", params: idParams,
      summary: "Pair a channel with the code she sent there",
      body: Joi.object({ code: Joi.string().trim().min(1).max(40).required() }).unknown(false).required(),
      responses: { ...NOT_YET },
      errors: [400, 404, 409],
      handler: async () => notYet("Channel pairing"),
    }),
    route({
      method: "post", path: "/api/persona/:id/channels", tag: "channels", kind: "config", params: idParams,
      summary: "Add a channel (validated by its plugin)",
      body: Joi.object({ type: Joi.string().max(40).required(), credentials: Joi.object().pattern(Joi.string(), Joi.string().max(1000)).default({}) }).unknown(false).required(),
      responses: { ...NOT_YET },
      errors: [400, 404],
      handler: async () => notYet("Adding channels"),
    }),
    route({
      method: "post", path: "/api/persona/:id/channels/:type/remove", tag: "channels", kind: "config",
      params: idParams.keys({ type: Joi.string().max(40).required() }),
      summary: "Remove a channel and disconnect it",
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("Removing channels"),
    }),
    route({
      method: "get", path: "/api/persona/:id/knowledge", tag: "memory", kind: "config", params: idParams,
      summary: "Her memory files and learned meanings",
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("Reading her knowledge"),
    }),
    route({
      method: "post", path: "/api/persona/:id/knowledge", tag: "memory", kind: "config", params: idParams,
      summary: "Replace one memory file",
      body: Joi.object({
        key: Joi.valid("person", "traits", "persona_trait", "wishes", "struggles", "permissions", "notes", "context").required(),
        content: Joi.string().max(1_000_000).allow("").required(),
      }).unknown(false).required(),
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("Editing her knowledge"),
    }),
    route({
      method: "get", path: "/api/persona/:id/conversation", tag: "memory", kind: "config", params: idParams,
      summary: "Today's messages, or a past day's with `?date=YYYY-MM-DD`",
      query: Joi.object({ date }).unknown(false),
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("The conversation log"),
    }),
    route({
      method: "get", path: "/api/persona/:id/calendar", tag: "memory", kind: "config", params: idParams,
      summary: "History and destiny items in [start, end)",
      query: Joi.object({ start: when, end: when }).unknown(false),
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("The calendar"),
    }),
    route({
      method: "get", path: "/api/persona/:id/media/:file", tag: "memory", kind: "config",
      params: idParams.keys({ file: Joi.string().max(255).pattern(/^[^/\\]+$/).invalid(".", "..").required() }),
      summary: "A file she received",
      responses: { 200: { description: "The file", contentType: "application/octet-stream" }, ...NOT_YET },
      errors: [404],
      handler: async () => notYet("Her media store"),
    }),
    route({
      method: "get", path: "/api/persona/:id/diagnose", tag: "health", kind: "config", params: idParams,
      summary: "Status, running, phase, organ health, last faults, uptime grid",
      responses: { ...NOT_YET },
      errors: [404],
      handler: async () => notYet("Diagnosis"),
    }),
  ];
}
