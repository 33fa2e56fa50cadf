import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { OrganFault, type OrganTarget } from "./organ-fault.js";
import type { ChatMessage, ThinkRequest, ThinkResult } from "./plugin.js";

// ajv is CJS with an `export default` typing; createRequire keeps it callable under NodeNext.
const require = createRequire(import.meta.url);
const Ajv: typeof import("ajv").default = require("ajv");
const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Finds the first JSON value a model meant to give, tolerating code fences, `<think>`
 * blocks and prose around it. Returns `undefined` when there is none.
 *
 * @example
 * extractJson('Sure! ```json\n{"say": "hi"}\n```') // → { say: "hi" }
 */
export function extractJson(text: string): unknown {
  const clean = text.replace(/<think>[\s\S]*?<\/think>/g, "").trim();
  try {
    return JSON.parse(clean);
  } catch {
    // not bare JSON: look inside
  }
  for (let start = clean.search(/[{[]/); start >= 0; start = nextOpen(clean, start + 1)) {
    const end = matchingClose(clean, start);
    if (end < 0) continue;
    try {
      return JSON.parse(clean.slice(start, end + 1));
    } catch {
      // that bracket did not start a JSON value; try the next one
    }
  }
  return undefined;
}

function nextOpen(s: string, from: number): number {
  const i = s.slice(from).search(/[{[]/);
  return i < 0 ? -1 : from + i;
}

/** Index of the bracket closing the one at `start`, skipping brackets inside strings. */
function matchingClose(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Checks a value against a JSON schema; returns a readable list of problems, or null when it fits. */
export function schemaProblems(schema: Record<string, unknown>, value: unknown): string | null {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return null;
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "(root)"} ${e.message}`).join("; ");
}

/** One call to the provider with the messages given; the plugin supplies it. */
export type ThinkCall = (messages: ChatMessage[]) => Promise<ThinkResult>;

const add = (a?: ThinkResult["usage"], b?: ThinkResult["usage"]) =>
  a || b ? { input: (a?.input ?? 0) + (b?.input ?? 0), output: (a?.output ?? 0) + (b?.output ?? 0) } : undefined;

/**
 * Turns a provider's answer into schema-valid JSON: the answer's own JSON when the provider
 * enforced the schema, else JSON extracted from fenced or prose-wrapped text. When that
 * still does not fit, asks once more quoting the problems (after telling `req.onDiscard` that
 * what streamed of the first answer is dropped); a second miss is a `malformed` organ fault
 * (the caller decides what to do), never a crash.
 *
 * @example
 * const result = await answerWithSchema(req, (messages) => callProvider(messages), target);
 */
export async function answerWithSchema(req: ThinkRequest, call: ThinkCall, target: OrganTarget): Promise<ThinkResult> {
  const first = await call(req.messages);
  if (!req.schema) return first;
  const judge = (r: ThinkResult) => {
    const value = r.json !== undefined ? r.json : extractJson(r.text);
    const problems = value === undefined ? "the answer contained no JSON" : schemaProblems(req.schema!, value);
    return { value, problems };
  };
  const a = judge(first);
  if (!a.problems) return { ...first, json: a.value };
  req.onDiscard?.();
  const second = await call([
    ...req.messages,
    { role: "assistant", content: first.text },
    { role: "user", content: `That answer does not fit the required JSON schema: ${a.problems}. Answer again with only one JSON value that fits the schema.` },
  ]);
  const b = judge(second);
  if (!b.problems) return { ...second, json: b.value, usage: add(first.usage, second.usage) };
  throw new OrganFault("malformed", target, null, `answered twice without JSON that fits the schema (${b.problems}).`);
}

/**
 * Whether a provider's strict mode (OpenAI's structured outputs, Anthropic's strict tools)
 * can take this schema: every object closed (`additionalProperties: false`) and every
 * property required, all the way down. A schema that is not is asked for best effort.
 *
 * @example
 * isStrictSchema({ type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false }) // → true
 */
export function isStrictSchema(schema: unknown): boolean {
  if (!schema || typeof schema !== "object") return true;
  const s = schema as Record<string, unknown>;
  const props = s.properties && typeof s.properties === "object" ? (s.properties as Record<string, unknown>) : null;
  const isObject = s.type === "object" || (Array.isArray(s.type) && s.type.includes("object")) || props;
  if (isObject) {
    if (s.additionalProperties !== false) return false;
    const required = Array.isArray(s.required) ? s.required : [];
    if (props && !Object.keys(props).every((k) => required.includes(k))) return false;
  }
  const subs = [
    ...Object.values(props ?? {}),
    s.items,
    ...(Array.isArray(s.anyOf) ? s.anyOf : []),
    ...Object.values((s.$defs ?? s.definitions ?? {}) as Record<string, unknown>),
  ];
  return subs.every(isStrictSchema);
}
