import Joi from "joi";
import { route, type Route } from "../route.js";
import { idParams } from "../schemas.js";
import { notYet, type RouteDeps } from "./deps.js";

// Routes whose behaviour belongs to later work. Their schemas and checks are real (404,
// 409, 413, 415, 422 all answer as documented); past the checks they answer 501 naming
// what is missing, never a made-up result.

const NOT_YET = { 501: { description: "Valid, but the capability behind this route is not built yet" } };

export function laterRoutes(_deps: RouteDeps): Route[] {
  return [
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
  ];
}
