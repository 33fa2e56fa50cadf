import Joi from "joi";
import { route, type Route } from "../route.js";
import { channelInput, channelView, idParams } from "../schemas.js";
import type { RouteDeps } from "./deps.js";

const T = "channels";
const typeParams = idParams.keys({ type: Joi.string().max(40).required() });

/** Her channels: listed with where each is, added, removed, and a chat paired with the code she sent there. */
export function channelRoutes({ channels }: RouteDeps): Route[] {
  return [
    route({
      method: "get", path: "/api/persona/:id/channels", tag: T, kind: "config", params: idParams,
      summary: "Her channels, with whether each is verified and where its connection is",
      description: "`state` is `connecting`, `connected`, `retrying` (with `retry_at` and the `detail` of the failure), `failed` (retrying cannot help: `detail` says why, e.g. a revoked token) or `disconnected` (she is not running).",
      responses: { 200: { description: "Channels", schema: Joi.object({ channels: Joi.array().items(channelView).required() }) } },
      errors: [404],
      handler: async ({ params }) => ({ body: { channels: await channels.list(params.id) } }),
    }),
    route({
      method: "post", path: "/api/persona/:id/channels", tag: T, kind: "config", params: idParams,
      summary: "Add a channel (its credentials checked by its plugin with the platform)",
      description:
        "Connected at once when she runs, without restarting her. Adding a type she already has replaces its credentials (the same account keeps its paired chats). " +
        "Credentials are kept in secrets.json only. A chat on the channel must then be paired: its first message gets a code for POST …/pair.",
      body: channelInput.required(),
      responses: { 201: { description: "Added", schema: Joi.object({ channel: channelView.required() }) } },
      errors: [400, 404],
      handler: async ({ params, body }) => ({ status: 201, body: { channel: await channels.add(params.id, body.type, body.credentials) } }),
    }),
    route({
      method: "post", path: "/api/persona/:id/channels/:type/remove", tag: T, kind: "config", params: typeParams,
      summary: "Remove a channel and disconnect it",
      description: "Disconnected at once; its credentials, paired chats and waiting words are removed.",
      responses: { 200: { description: "Removed", schema: Joi.object({ removed: Joi.string().required() }) } },
      errors: [400, 404],
      handler: async ({ params }) => {
        await channels.remove(params.id, params.type);
        return { body: { removed: params.type } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/pair", tag: T, kind: "live", params: idParams,
      summary: "Pair a chat with the code she sent there",
      description: "A message from a chat that is not hers yet is answered with an 8-character code, valid 10 minutes. Entering it here makes that chat hers. A wrong or expired code is a 400; five wrong codes in ten minutes, a 429.",
      body: Joi.object({ code: Joi.string().trim().min(1).max(40).required().example("K7M2PQ9D") }).unknown(false).required(),
      responses: { 200: { description: "Paired", schema: Joi.object({ channel: channelView.required(), chat: Joi.string().required() }) } },
      errors: [400, 404, 409, 429],
      handler: async ({ params, body }) => ({ body: await channels.pair(params.id, body.code) }),
    }),
  ];
}
