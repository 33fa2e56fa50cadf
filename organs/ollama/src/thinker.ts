import { OrganFault, answerWithSchema, type ChatMessage, type Thinker } from "eternego/plugin";
import type { Api } from "./api.js";
import { chat, type WireMessage } from "./chat.js";

/** Servers (url + model) that refused a JSON schema as `format`: Ollama before 0.5 takes only "json". */
const schemaRefused = new Set<string>();

/** Ollama's wire messages: the cache flag has no Ollama counterpart (it reuses a matching prefix by itself). */
const wire = (messages: ChatMessage[]): WireMessage[] => messages.map((m) => ({ role: m.role, content: m.content }));

/** With only "json" to constrain it, the model has to be told the schema in words. */
function withSchemaInPrompt(messages: WireMessage[], schema: Record<string, unknown>): WireMessage[] {
  const note = `Answer with one JSON value that fits this JSON schema:\n${JSON.stringify(schema)}`;
  const [first, ...rest] = messages;
  if (first?.role === "system") return [{ ...first, content: `${first.content}\n\n${note}` }, ...rest];
  return [{ role: "system", content: note }, ...messages];
}

/** An old Ollama's refusal of an object `format` ("cannot unmarshal object … format of type string"). */
const refusesSchema = (err: unknown) => err instanceof OrganFault && err.kind === "rejected" && /format/i.test(err.message);

/**
 * The thinking role over `/api/chat`. A schema goes in `format`, where Ollama constrains
 * the model's decoding to it; a server too old for that gets `format: "json"` and the
 * schema in the prompt (remembered for the organ). `answerWithSchema` then checks the
 * answer and, once, asks again quoting what was wrong — so prose-wrapped JSON from a model
 * that ignored the constraint still works.
 */
export function thinker(api: Api): Thinker {
  const key = `${api.target.url} ${api.spec.model}`;
  return {
    think(req) {
      const call = async (messages: ChatMessage[]) => {
        const onDelta = req.onDelta;
        if (!req.schema) return chat(api, wire(messages), { onDelta });
        if (!schemaRefused.has(key)) {
          try {
            return await chat(api, wire(messages), { format: req.schema, onDelta });
          } catch (err) {
            if (!refusesSchema(err)) throw err;
            api.ctx.log.info("this Ollama takes no JSON schema as format (before 0.5?); asking for \"json\" with the schema in the prompt from now on", { model: api.spec.model, url: api.target.url });
            schemaRefused.add(key);
          }
        }
        return chat(api, withSchemaInPrompt(wire(messages), req.schema), { format: "json", onDelta });
      };
      return answerWithSchema(req, call, api.target);
    },
  };
}
