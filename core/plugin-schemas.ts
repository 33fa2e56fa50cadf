import Joi from "joi";
import semver from "semver";
import { ORGAN_ROLES } from "./api/types.js";

// Descriptors are checked before any of their code runs beyond import. Unknown keys are
// refused so a misspelt field is a loud error, not a silently ignored one.
const name = Joi.string().pattern(/^[a-z0-9][a-z0-9-]{0,39}$/).required().messages({
  "string.pattern.base": "{{#label}} must be lower-case letters, digits and dashes (at most 40), like 'my-plugin'",
});
const version = Joi.string().pattern(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/).required().messages({
  "string.pattern.base": "{{#label}} must be a semantic version like '1.0.0'",
});
const fn = Joi.function();
/** Which Eternego versions a plugin is built for: a semver range like `^0.1.0`. */
const eternego = Joi.string()
  .max(100)
  .custom((v: string, h) => (semver.validRange(v) ? v : h.error("range.invalid")))
  .messages({ "range.invalid": "{{#label}} must be a semver range of Eternego versions, like '^0.1.0'" });

export const modelSchema = Joi.object({
  kind: Joi.valid("model").required(),
  name,
  version,
  eternego,
  title: Joi.string().min(1).max(80).required(),
  defaultUrl: Joi.string().uri({ scheme: ["http", "https"] }).required(),
  needsKey: Joi.boolean().required(),
  roles: Joi.array().items(Joi.valid(...ORGAN_ROLES)).min(1).unique().required(),
  presets: Joi.array().items(
    Joi.object({
      name: Joi.string().pattern(/^[a-z0-9][a-z0-9-]{0,39}$/).required(),
      title: Joi.string().min(1).max(80).required(),
      url: Joi.string().uri({ scheme: ["http", "https"] }).required(),
      needsKey: Joi.boolean().required(),
    }).unknown(false),
  ).unique("name"),
  prepare: fn.required(),
  think: fn,
  see: fn,
  transcribe: fn,
})
  .unknown(false)
  .custom((d: { roles: string[]; think?: unknown; see?: unknown; transcribe?: unknown }, helpers) => {
    // A declared role with nothing to fill it would pass prepare and fail at her first thought.
    const needs: Record<string, "think" | "see" | "transcribe"> = { thinking: "think", frontier: "think", vision: "see", hearing: "transcribe" };
    for (const role of d.roles) {
      const factory = needs[role]!;
      if (typeof d[factory] !== "function") return helpers.message({ custom: `declares the '${role}' role but has no '${factory}' function` });
    }
    return d;
  });

export const perceptionSchema = Joi.object({
  kind: Joi.valid("perception").required(),
  name,
  version,
  eternego,
  title: Joi.string().max(80),
  extensions: Joi.array()
    .items(Joi.string().pattern(/^\.[a-z0-9]{1,10}$/).messages({ "string.pattern.base": "{{#label}} must be lower-case with the dot, like '.png'" }))
    .min(1)
    .unique()
    .required(),
  mimeTypes: Joi.array().items(Joi.string().pattern(/^[\w.+-]+\/[\w.+-]+$/)),
  organ: Joi.valid(...ORGAN_ROLES, null).required(),
  maxBytes: Joi.number().integer().min(1).required(),
  sniff: fn,
  perceive: fn.required(),
}).unknown(false);

export const channelSchema = Joi.object({
  kind: Joi.valid("channel").required(),
  name,
  version,
  eternego,
  title: Joi.string().min(1).max(80).required(),
  credentials: Joi.array()
    .items(
      Joi.object({
        key: Joi.string().pattern(/^[a-z][a-z0-9_]*$/).required(),
        label: Joi.string().required(),
        secret: Joi.boolean().required(),
        required: Joi.boolean().required(),
      }).unknown(false),
    )
    .unique("key")
    .required(),
  maxText: Joi.number().integer().min(16).required(),
  pairing: Joi.boolean(),
  always: Joi.boolean(),
  validate: fn.required(),
  connect: fn.required(),
}).unknown(false);

export const descriptorSchemas = { model: modelSchema, perception: perceptionSchema, channel: channelSchema } as const;
