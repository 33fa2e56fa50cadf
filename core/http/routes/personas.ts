import Joi from "joi";
import { route, type Route } from "../route.js";
import { channelInput, channelView, idParams, organSpec, organsInput, personaReply, personaView } from "../schemas.js";
import type { RouteDeps } from "./deps.js";

const T = "personas";

export function personaRoutes({ personas }: RouteDeps): Route[] {
  return [
    route({
      method: "get", path: "/api/personas", tag: T, kind: "config",
      summary: "List every persona, oldest first",
      responses: { 200: { description: "The personas", schema: Joi.object({ personas: Joi.array().items(personaView).required() }) } },
      errors: [],
      handler: async () => ({ body: { personas: await personas.list() } }),
    }),
    route({
      method: "get", path: "/api/persona/:id", tag: T, kind: "config", params: idParams,
      summary: "One persona",
      responses: { 200: { description: "The persona", schema: personaReply } },
      errors: [404],
      handler: async ({ params }) => ({ body: { persona: await personas.get(params.id) } }),
    }),
    route({
      method: "post", path: "/api/persona/create", tag: T, kind: "lifecycle",
      summary: "Create a persona: prepare her organs, validate her channels, write her folder and start her",
      description: "The recovery phrase in the answer is shown once and never stored: it is the only way to restore her diary elsewhere.",
      body: Joi.object({
        name: Joi.string().trim().min(1).max(80).required().example("Ada"),
        organs: organsInput.required(),
        channels: Joi.array().items(channelInput).max(10),
      }).unknown(false).required(),
      responses: {
        201: {
          description: "Created and started",
          schema: Joi.object({
            persona: personaView.required(),
            recovery_phrase: Joi.string().required().description("24 BIP-39 words; shown once, never stored"),
          }),
        },
      },
      errors: [400],
      handler: async ({ body }) => ({ status: 201, body: await personas.create(body) }),
    }),
    route({
      method: "post", path: "/api/persona/:id/update", tag: T, kind: "config", params: idParams,
      summary: "Change her name, status or organs",
      description: "An organ omitted from `organs` is left alone; `null` removes an optional organ. An omitted `api_key` keeps the stored key for the same provider. Changed organs are prepared, and a running agent restarts with them.",
      body: Joi.object({
        name: Joi.string().trim().min(1).max(80),
        status: Joi.valid("active", "hibernate"),
        organs: Joi.object({
          thinking: organSpec,
          vision: organSpec.allow(null),
          hearing: organSpec.allow(null),
          frontier: organSpec.allow(null),
        }).unknown(false),
      }).min(1).unknown(false).required(),
      responses: { 200: { description: "The persona after the change", schema: personaReply } },
      errors: [400, 404],
      handler: async ({ params, body }) => ({ body: { persona: await personas.update(params.id, body) } }),
    }),
    route({
      method: "post", path: "/api/persona/:id/start", tag: T, kind: "lifecycle", params: idParams,
      summary: "Start her (status → active)",
      responses: { 200: { description: "Started, or already running", schema: Joi.object({ status: Joi.valid("started", "already running").required() }) } },
      errors: [400, 404],
      handler: async ({ params }) => ({ body: { status: await personas.start(params.id) } }),
    }),
    route({
      method: "post", path: "/api/persona/:id/stop", tag: T, kind: "lifecycle", params: idParams,
      summary: "Stop her and let her rest (status → hibernate); idempotent",
      responses: { 200: { description: "Stopped", schema: Joi.object({ status: Joi.valid("stopped").required() }) } },
      errors: [404],
      handler: async ({ params }) => {
        await personas.stop(params.id);
        return { body: { status: "stopped" } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/restart", tag: T, kind: "lifecycle", params: idParams,
      summary: "Stop and start her with the configuration on disk",
      responses: { 200: { description: "Restarted", schema: Joi.object({ status: Joi.valid("restarted").required() }) } },
      errors: [400, 404],
      handler: async ({ params }) => {
        await personas.restart(params.id);
        return { body: { status: "restarted" } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/delete", tag: T, kind: "lifecycle", params: idParams,
      summary: "Stop her and remove her whole folder",
      responses: { 200: { description: "Deleted", schema: Joi.object({ deleted: Joi.string().required() }) } },
      errors: [404],
      handler: async ({ params }) => {
        await personas.delete(params.id);
        return { body: { deleted: params.id } };
      },
    }),
  ];
}
