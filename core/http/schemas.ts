import Joi from "joi";
import { AGENT_STATES, ORGAN_ROLES, PERSONA_STATUSES } from "../api/types.js";

// Request and response schemas shared by several routes. The OpenAPI document is derived
// from these same objects, so the docs cannot drift from what is validated.

/** A persona's id as a client may send it: any short string (what is no persona is a 404, not a 422). */
export const personaId = Joi.string().max(64).description("The persona's id (a UUID)");

export const idParams = Joi.object({ id: personaId.required() });

/** A message for her, on `read` and `chat:send` alike. */
export const messageText = Joi.string().min(1).max(100_000).description("What the person says to her");

/** `chat:send`'s payload: the same message as `read`, with whom it is for. */
export const chatSend = Joi.object({ persona: personaId.required(), message: messageText.required() }).unknown(false).required();

export const organSpec = Joi.object({
  provider: Joi.string().max(40).required().description("A model plugin name, see GET /api/config/providers").example("ollama"),
  model: Joi.string().max(200).required().example("llama3.2"),
  url: Joi.string().uri({ scheme: ["http", "https"] }).max(500).description("Base URL; the provider's default when omitted"),
  api_key: Joi.string().max(500).description("Secret; stored in secrets.json only, never shown again"),
}).unknown(false);

/** Her organs as create and migrate take them: a thinking organ, and the others if she has them. */
export const organsInput = Joi.object({
  thinking: organSpec.required(),
  vision: organSpec,
  hearing: organSpec,
  frontier: organSpec,
}).unknown(false);

const credentials = Joi.object().pattern(Joi.string().max(40), Joi.string().max(1000)).max(20);

export const channelInput = Joi.object({
  type: Joi.string().max(40).required().example("telegram"),
  credentials: credentials.default({}),
}).unknown(false);

export const detail = Joi.object({ detail: Joi.string().required() }).label("Error");
/** The /v1 surface's errors, in OpenAI's shape. */
export const openaiErrorBody = Joi.object({
  error: Joi.object({
    message: Joi.string().required(),
    type: Joi.string().required().example("invalid_request_error"),
    code: Joi.string().allow(null).required().example("model_not_found"),
    param: Joi.string().allow(null).required(),
  }).required(),
}).label("OpenAIError");
export const fieldErrors = Joi.object({
  detail: Joi.array()
    .items(
      Joi.object({
        loc: Joi.array().items(Joi.alternatives().try(Joi.string(), Joi.number().integer())).required(),
        msg: Joi.string().required(),
        type: Joi.string().required(),
      }).label("FieldError"),
    )
    .required(),
}).label("ValidationError");

const organView = Joi.object({
  provider: Joi.string().required(),
  model: Joi.string().required(),
  url: Joi.string().required(),
  has_key: Joi.boolean().required(),
}).label("OrganView");

export const channelView = Joi.object({
  type: Joi.string().required(),
  name: Joi.string().allow("").required(),
  verified: Joi.boolean().required().description("Whether a chat on it is hers (paired); always true where no pairing is needed"),
  state: Joi.valid("connecting", "connected", "retrying", "failed", "disconnected").required(),
  detail: Joi.string().allow(null).required().description("Why it is retrying or failed"),
  retry_at: Joi.string().allow(null).required().description("When it tries again, while retrying (ISO)"),
}).label("ChannelView");

export const personaView = Joi.object({
  id: Joi.string().guid().required(),
  name: Joi.string().required(),
  birthday: Joi.string().required().description("YYYY-MM-DD"),
  status: Joi.valid(...PERSONA_STATUSES).required(),
  status_reason: Joi.string().allow(null).required().description("Why she is sick (null otherwise)"),
  running: Joi.boolean().required(),
  state: Joi.valid(...AGENT_STATES).required(),
  phase: Joi.valid("morning", "day", "night", null).required(),
  organs: Joi.object(Object.fromEntries(ORGAN_ROLES.map((r) => [r, organView]))).required(),
  channels: Joi.array().items(channelView).required(),
}).label("PersonaView");

export const personaReply = Joi.object({ persona: personaView.required() });

export const capability = Joi.object({
  extension: Joi.string().required(),
  plugin: Joi.string().required(),
  organ: Joi.valid(...ORGAN_ROLES, null).required(),
  max_bytes: Joi.number().integer().required(),
  mime_types: Joi.array().items(Joi.string()).required(),
  available: Joi.boolean().description("Only in a persona's list: whether she has the organ it needs"),
}).label("Capability");
