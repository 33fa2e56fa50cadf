import { MAX_ITEMS, MAX_STRING } from "./settings.js";

type Json = Record<string, unknown>;
const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);

/**
 * A JSON schema as node-llama-cpp's grammar takes it, or null when it cannot say it (then
 * the schema goes into the prompt and the answer is only checked). The grammar holds every
 * property of an object (in order), `oneOf` for `anyOf`, and a bound on every string and
 * array: `maxLength` and `maxItems` (the schema's own, or {@link MAX_STRING}/{@link MAX_ITEMS}),
 * so even a model that never means to stop — random weights, a looping small model — ends
 * its answer. What the grammar cannot hold (patterns, numeric ranges) is left to the check
 * of the answer against the real schema afterwards.
 */
export function toGrammarSchema(schema: unknown): Json | null {
  try {
    return convert(schema);
  } catch {
    return null;
  }
}

class Unsupported extends Error {}

function convert(schema: unknown): Json {
  if (schema === true || (schema && typeof schema === "object" && Object.keys(schema).length === 0)) throw new Unsupported("any value");
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) throw new Unsupported("not a schema");
  const s = schema as Json;
  const description = typeof s.description === "string" ? { description: s.description } : {};
  const defs = s.$defs && typeof s.$defs === "object" ? { $defs: Object.fromEntries(Object.entries(s.$defs as Json).map(([k, v]) => [k, convert(v)])) } : {};
  if (typeof s.$ref === "string") {
    if (!s.$ref.startsWith("#/$defs/")) throw new Unsupported("a $ref outside $defs");
    return { $ref: s.$ref, ...description, ...defs };
  }
  if ("const" in s) return { const: s.const, ...description };
  if (Array.isArray(s.enum)) return { enum: s.enum, ...description };
  const alternatives = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(alternatives)) return { oneOf: alternatives.map(convert), ...description, ...defs };
  if (Array.isArray(s.type)) {
    const types = s.type as string[];
    if (!types.every((t) => TYPES.has(t))) throw new Unsupported("an unknown type");
    if (types.length === 1) return convert({ ...s, type: types[0] });
    return { oneOf: types.map((t) => convert({ ...s, type: t, description: undefined })), ...description, ...defs };
  }
  switch (s.type) {
    case "string": {
      const max = typeof s.maxLength === "number" ? Math.min(s.maxLength, MAX_STRING) : MAX_STRING;
      const min = typeof s.minLength === "number" ? Math.min(s.minLength, max) : 0;
      return { type: "string", maxLength: max, ...(min ? { minLength: min } : {}), ...description };
    }
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type: s.type, ...description };
    case "array": {
      const max = typeof s.maxItems === "number" ? Math.min(s.maxItems, MAX_ITEMS) : MAX_ITEMS;
      const min = typeof s.minItems === "number" ? Math.min(s.minItems, max) : 0;
      return { type: "array", ...(s.items !== undefined ? { items: convert(s.items) } : {}), maxItems: max, ...(min ? { minItems: min } : {}), ...description, ...defs };
    }
    case "object": {
      const props = (s.properties ?? {}) as Json;
      if (s.additionalProperties !== undefined && s.additionalProperties !== false && Object.keys(props).length === 0) throw new Unsupported("a free-form object");
      return { type: "object", properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, convert(v)])), additionalProperties: false, ...description, ...defs };
    }
    default:
      throw new Unsupported("a schema without a type");
  }
}
