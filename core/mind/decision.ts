import { TOOLS, type ToolCall } from "./tools.js";

/** What one step of a beat decides: words for the person, tools to use, the kind of task at hand. */
export interface Decision {
  say: string;
  tools: ToolCall[];
  /** The kind of task this moment asks for, as a short slug (`write-a-haiku`), or "" for plain talk. */
  task: string;
}

/**
 * The JSON schema the thinking organ answers in. Kept small (local models follow small
 * schemas best) and strict: every object closed and every property required, each tool
 * call one of the tools with its own arguments, so a provider that enforces schemas holds
 * her to exactly what her mind can carry out.
 */
export const DECISION_SCHEMA = {
  type: "object",
  properties: {
    say: { type: "string", description: "What you say to the person now; empty to say nothing." },
    tools: {
      type: "array",
      description: "Tools to use now, in order; empty for none.",
      items: {
        anyOf: Object.entries(TOOLS).map(([name, tool]) => ({
          type: "object",
          properties: { name: { type: "string", enum: [name] }, args: tool.schema },
          required: ["name", "args"],
          additionalProperties: false,
        })),
      },
    },
    task: { type: "string", description: "A short slug for the kind of task asked of you (like write-a-haiku), or empty for plain conversation." },
  },
  required: ["say", "tools", "task"],
  additionalProperties: false,
} as const;

/** The answer as a Decision, tolerating the small liberties models take (missing arrays, nulls). */
export function toDecision(json: unknown): Decision {
  const o = (json && typeof json === "object" ? json : {}) as Record<string, unknown>;
  const tools = Array.isArray(o.tools)
    ? o.tools.filter((t): t is ToolCall => !!t && typeof t === "object" && typeof (t as ToolCall).name === "string").map((t) => ({ name: t.name, args: t.args && typeof t.args === "object" ? t.args : {} }))
    : [];
  return {
    say: typeof o.say === "string" ? o.say.trim() : "",
    tools,
    task: typeof o.task === "string" ? o.task.trim().toLowerCase() : "",
  };
}

/** The JSON schema of a lesson from the frontier organ. */
export const LESSON_SCHEMA = {
  type: "object",
  properties: {
    intention: { type: "string", description: "One sentence: what this kind of task is for." },
    lesson: { type: "string", description: "The lesson: how to do this kind of task well, in Markdown." },
    procedure: { type: "string", description: "A short procedure she can follow next time, in Markdown steps." },
  },
  required: ["intention", "lesson", "procedure"],
  additionalProperties: false,
} as const;
