import { OrganFault, isStrictSchema, type ChatMessage } from "eternego/plugin";

/**
 * How a structured answer is asked for, strongest first: the server enforces the schema
 * (`json_schema`), the server only promises JSON (`json_object`), or the prompt asks and the
 * answer is extracted from whatever comes back (`prompt`).
 */
export type FormatLevel = "json_schema" | "json_object" | "prompt";

const WEAKER: Record<FormatLevel, FormatLevel | null> = { json_schema: "json_object", json_object: "prompt", prompt: null };

// What a server takes is a property of the server and the model, not of one Thinker: the
// daemon may build a new Thinker on every restart of her agent, and a downgrade must cost
// its one extra call only once per organ, not once per Thinker. Keyed by base and model
// (never the key). Bounded so a long-lived daemon trying many organs cannot grow it forever.
const learned = new Map<string, FormatLevel>();
const LEARNED_MAX = 256;

export function levelFor(base: string, model: string): FormatLevel {
  return learned.get(`${base} ${model}`) ?? "json_schema";
}

export function remember(base: string, model: string, level: FormatLevel): void {
  const key = `${base} ${model}`;
  learned.delete(key);
  learned.set(key, level);
  if (learned.size > LEARNED_MAX) learned.delete(learned.keys().next().value!);
}

/** The next weaker level when `err` is the server refusing this level's `response_format`; null otherwise. */
export function weakerAfter(level: FormatLevel, err: unknown): FormatLevel | null {
  if (!(err instanceof OrganFault) || err.kind !== "rejected") return null;
  if (err.httpStatus !== 400 && err.httpStatus !== 422) return null;
  return /response_format|json_schema|json_object|structured output|guided/i.test(err.message) ? WEAKER[level] : null;
}

// Schemas a server refused in strict mode (a keyword strict mode does not take): asked for
// without `strict` from then on. Weak, so a schema the mind drops is forgotten with it.
const strictRefused = new WeakSet<object>();

/** True when `err` is the server refusing this schema in strict mode (not json_schema itself). */
export function strictRefusal(err: unknown, schema: Record<string, unknown>): boolean {
  if (!(err instanceof OrganFault) || err.kind !== "rejected" || err.httpStatus !== 400) return false;
  if (strictRefused.has(schema) || !isStrictSchema(schema) || !/invalid schema/i.test(err.message)) return false;
  strictRefused.add(schema);
  return true;
}

/** A name the API accepts for a schema (`^[a-zA-Z0-9_-]{1,64}$`), from its title when it has one. */
function schemaName(schema: Record<string, unknown>): string {
  const title = typeof schema.title === "string" ? schema.title.replace(/[^a-zA-Z0-9_-]+/g, "_").slice(0, 64) : "";
  return title || "answer";
}

/** The `response_format` field for a level, or nothing. */
export function responseFormat(level: FormatLevel, schema: Record<string, unknown>): Record<string, unknown> {
  if (level === "json_schema") {
    const strict = !strictRefused.has(schema) && isStrictSchema(schema);
    return { response_format: { type: "json_schema", json_schema: { name: schemaName(schema), schema, strict } } };
  }
  if (level === "json_object") return { response_format: { type: "json_object" } };
  return {};
}

/**
 * The messages for a level. When the server does not enforce the schema, the model has to
 * read it: it goes into the system prompt (OpenAI's json_object mode also insists that the
 * word "JSON" appears in the messages). It is added to the first system message rather than
 * as a new one at the end, because many chat templates refuse a system message after the
 * conversation has started.
 */
export function withInstructions(level: FormatLevel, schema: Record<string, unknown>, messages: ChatMessage[]): ChatMessage[] {
  if (level === "json_schema") return messages;
  const ask = `Answer with only one JSON value, no prose and no code fence, that fits this JSON schema:\n${JSON.stringify(schema)}`;
  const first = messages[0];
  if (first?.role === "system") return [{ ...first, content: `${first.content}\n\n${ask}` }, ...messages.slice(1)];
  return [{ role: "system", content: ask }, ...messages];
}
