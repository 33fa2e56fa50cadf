import Joi from "joi";
import { ORGAN_ROLES, type OrganRole } from "../../api/types.js";
import type { Plugin } from "../../api/plugin.js";
import type { PluginRegistry } from "../../plugin-registry.js";
import { route, type Route } from "../route.js";
import { capability, idParams } from "../schemas.js";
import type { RouteDeps } from "./deps.js";

const T = "plugins";

/** What a plugin declares, as data (no code). */
function declares(p: Plugin): Record<string, unknown> {
  if (p.kind === "model") return { title: p.title, default_url: p.defaultUrl, needs_key: p.needsKey, roles: [...p.roles] };
  if (p.kind === "perception") return { extensions: [...p.extensions], mime_types: [...(p.mimeTypes ?? [])], organ: p.organ, max_bytes: p.maxBytes };
  return { title: p.title, credentials: p.credentials.map((c) => ({ ...c })), max_text: p.maxText, pairing: p.pairing !== false, always: p.always === true };
}

function capabilities(plugins: PluginRegistry, organs?: ReadonlySet<OrganRole>) {
  return [...plugins.capabilities.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([extension, p]) => ({
      extension,
      plugin: p.name,
      organ: p.organ,
      max_bytes: p.maxBytes,
      mime_types: [...(p.mimeTypes ?? [])],
      ...(organs ? { available: !p.organ || organs.has(p.organ) } : {}),
    }));
}

export function pluginRoutes({ plugins, store }: RouteDeps): Route[] {
  return [
    route({
      method: "get", path: "/api/config/providers", tag: T, kind: "config",
      summary: "Model plugins: title, default URL, whether a key is needed, and the organ roles each can fill",
      responses: {
        200: {
          description: "Providers by name",
          schema: Joi.object().pattern(
            Joi.string(),
            Joi.object({
              title: Joi.string().required(),
              url: Joi.string().required(),
              needs_key: Joi.boolean().required(),
              roles: Joi.array().items(Joi.valid(...ORGAN_ROLES)).required(),
              presets: Joi.array().items(Joi.object({ name: Joi.string().required(), title: Joi.string().required(), url: Joi.string().required(), needs_key: Joi.boolean().required() }).label("Preset")).required(),
            }).label("Provider"),
          ),
        },
      },
      errors: [],
      handler: async () => ({
        body: Object.fromEntries(
          [...plugins.models.values()].map((p) => [
            p.name,
            {
              title: p.title,
              url: p.defaultUrl,
              needs_key: p.needsKey,
              roles: [...p.roles],
              presets: (p.presets ?? []).map((x) => ({ name: x.name, title: x.title, url: x.url, needs_key: x.needsKey })),
            },
          ]),
        ),
      }),
    }),
    route({
      method: "get", path: "/api/plugins", tag: T, kind: "config",
      summary: "Every plugin found, loaded or failed (with why), and what each declares",
      responses: {
        200: {
          description: "Plugins",
          schema: Joi.object({
            plugins: Joi.array().items(
              Joi.object({
                kind: Joi.valid("model", "perception", "channel", null).required(),
                name: Joi.string().required(),
                version: Joi.string().allow(null).required(),
                builtin: Joi.boolean().required(),
                state: Joi.valid("loaded", "failed").required(),
                error: Joi.string().allow(null).required(),
                declares: Joi.object().allow(null).required(),
              }).label("PluginInfo"),
            ).required(),
          }),
        },
      },
      errors: [],
      handler: async () => ({
        body: {
          plugins: plugins.records.map((r) => ({
            kind: r.kind, name: r.name, version: r.version, builtin: r.builtin, state: r.state, error: r.error,
            declares: r.plugin ? declares(r.plugin) : null,
          })),
        },
      }),
    }),
    route({
      method: "get", path: "/api/capabilities", tag: T, kind: "config",
      summary: "Which file extensions can be perceived, by which plugin, needing which organ",
      responses: { 200: { description: "Capabilities", schema: Joi.object({ capabilities: Joi.array().items(capability).required() }) } },
      errors: [],
      handler: async () => ({ body: { capabilities: capabilities(plugins) } }),
    }),
    route({
      method: "get", path: "/api/persona/:id/capabilities", tag: T, kind: "config", params: idParams,
      summary: "The same for her: `available` tells whether she has the organ each needs",
      responses: { 200: { description: "Capabilities", schema: Joi.object({ capabilities: Joi.array().items(capability).required() }) } },
      errors: [404],
      handler: async ({ params }) => {
        const rec = await store.get(params.id);
        return { body: { capabilities: capabilities(plugins, new Set(Object.keys(rec.organs) as OrganRole[])) } };
      },
    }),
  ];
}
