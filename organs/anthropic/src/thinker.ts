import { answerWithSchema, isStrictSchema, type ChatMessage, type Thinker } from "eternego/plugin";
import type { Api } from "./api.js";
import { ask, type ForcedTool } from "./messages.js";
import { toWire } from "./wire.js";

const TOOL = "answer";
const DESCRIPTION = "Give your answer through this tool. Its input is your whole answer, shaped exactly by the input schema.";

/**
 * A tool whose input is the answer. A tool's input must be an object, so a schema for
 * anything else (an array, a string) is wrapped as `{answer: …}` and unwrapped again.
 */
function answerTool(schema: Record<string, unknown>): { tool: ForcedTool; unwrap(input: unknown): unknown } {
  // A schema strict mode can take is sent strict, so the API itself holds her to it.
  const tool = (input_schema: Record<string, unknown>): ForcedTool => ({ name: TOOL, description: DESCRIPTION, input_schema, ...(isStrictSchema(input_schema) ? { strict: true } : {}) });
  if (schema.type === "object") return { tool: tool(schema), unwrap: (i) => i };
  const input_schema = { type: "object", properties: { answer: schema }, required: ["answer"], additionalProperties: false };
  return {
    tool: tool(input_schema),
    unwrap: (i) => (i && typeof i === "object" && "answer" in i ? (i as { answer: unknown }).answer : undefined),
  };
}

/**
 * The thinking role over `/v1/messages`. A schema becomes a forced tool (`tool_choice`
 * names it), so the model's answer is the tool's input, which the API keeps to the
 * schema's shape; `answerWithSchema` still checks it and, once, asks again quoting what
 * was wrong. Without a schema the answer is the text, streamed to `onDelta`.
 */
export function thinker(api: Api): Thinker {
  return {
    think(req) {
      const forced = req.schema ? answerTool(req.schema) : undefined;
      const call = async (messages: ChatMessage[]) => {
        const a = await ask(api, toWire(messages), { tool: forced?.tool, onDelta: req.onDelta });
        if (!forced) return { text: a.text, usage: a.usage };
        const json = a.toolInput === undefined ? undefined : forced.unwrap(a.toolInput);
        // The text is what she is quoted with if the answer is asked for again.
        return { text: a.toolJson || a.text, json, usage: a.usage };
      };
      return answerWithSchema(req, call, api.target);
    },
  };
}
