import Joi from "joi";
import { NotFound } from "../../api/errors.js";
import type { PersonaRecord } from "../../persona-store.js";
import { route, type Route } from "../route.js";
import { notYet, type RouteDeps } from "./deps.js";

const T = "openai";

const model = (p: PersonaRecord) => ({ id: p.id, object: "model" as const, created: Math.floor(Date.parse(p.created_at) / 1000), owned_by: "eternego", name: p.name });
const modelSchema = Joi.object({
  id: Joi.string().required(),
  object: Joi.valid("model").required(),
  created: Joi.number().integer().required(),
  owned_by: Joi.string().required(),
  name: Joi.string().required(),
}).label("Model");

/** The OpenAI-compatible surface: every persona is a model, addressed by id or name. */
export function openaiRoutes({ store, agents }: RouteDeps): Route[] {
  const find = async (m: string) => {
    const all = await store.list();
    const p = all.find((x) => x.id === m) ?? all.find((x) => x.name.toLowerCase() === m.toLowerCase());
    if (!p) throw new NotFound(`No persona is called or has the id '${m}'; GET /v1/models lists them.`);
    return p;
  };
  return [
    route({
      method: "get", path: "/v1/models", tag: T, kind: "openai",
      summary: "Every persona, as a model",
      responses: { 200: { description: "Models", schema: Joi.object({ object: Joi.valid("list").required(), data: Joi.array().items(modelSchema).required() }) } },
      errors: [],
      handler: async () => ({ body: { object: "list", data: (await store.list()).map(model) } }),
    }),
    route({
      method: "post", path: "/v1/chat/completions", tag: T, kind: "openai",
      summary: "Talk to a persona with any OpenAI client; the last user message is read by her",
      body: Joi.object({
        model: Joi.string().max(100).required(),
        messages: Joi.array()
          .items(
            Joi.object({
              role: Joi.valid("system", "user", "assistant", "tool", "developer").required(),
              content: Joi.alternatives().try(Joi.string().allow(""), Joi.array().items(Joi.object().unknown(true)), null).required(),
            }).unknown(true),
          )
          .min(1)
          .required(),
        stream: Joi.boolean(),
      }).unknown(true).required(),
      responses: { 501: { description: "Valid, but chat completions are not built yet" } },
      errors: [404, 409],
      handler: async ({ body }) => {
        const p = await find(body.model);
        agents.get(p.id);
        return notYet("Chat completions over /v1");
      },
    }),
  ];
}
