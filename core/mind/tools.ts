import Joi from "joi";
import { localDate } from "./clock.js";
import { RECURRENCES, type Memory } from "./memory.js";

/** One tool call as her decision names it. */
export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
}

/**
 * A tool's arguments as the thinking organ is asked to give them: strict-mode JSON schema
 * (every property required, an optional one nullable, no other properties), so a provider
 * that enforces schemas (OpenAI strict, Anthropic strict tools, Ollama's grammar) can hold
 * her to it.
 */
type ArgsSchema = { type: "object"; properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: false };

const argsOf = (properties: Record<string, Record<string, unknown>>): ArgsSchema => ({ type: "object", properties, required: Object.keys(properties), additionalProperties: false });
const str = (description: string) => ({ type: "string", description });
const maybe = (description: string, extra: Record<string, unknown> = {}) => ({ type: ["string", "null"], description, ...extra });

interface Tool {
  /** One line for her prompt: what it does and the args it takes. */
  usage: string;
  /** The shape the organ answers in. */
  schema: ArgsSchema;
  /** What the arguments must be to run (lengths, real dates), checked after the shape. */
  args: Joi.ObjectSchema;
  /** Whether its result is something she needs to read before she is done (then the beat takes another step). */
  informs: boolean;
  run(memory: Memory, args: any): Promise<string>;
}

const text = Joi.string().trim().min(1).max(20_000);
const day = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/);

/** Her tools: every one of them exists and does what it says (no make-believe tools). */
export const TOOLS: Record<string, Tool> = {
  save_note: {
    usage: 'save_note {"text"}: add a line to your notes',
    schema: argsOf({ text: str("The line to add") }),
    args: Joi.object({ text: text.required() }),
    informs: false,
    async run(memory, { text }) {
      await memory.edit("notes", (notes) => `${notes.trimEnd()}\n- ${text.replace(/\n/g, " ")}\n`);
      return "Noted.";
    },
  },
  replace_notes: {
    usage: 'replace_notes {"text"}: rewrite your notes entirely (keep what still matters)',
    schema: argsOf({ text: str("Your whole notes, rewritten") }),
    args: Joi.object({ text: Joi.string().max(200_000).allow("").required() }),
    informs: false,
    async run(memory, { text }) {
      await memory.replace("notes", text);
      return "Notes rewritten.";
    },
  },
  remember_fact: {
    usage: 'remember_fact {"fact"}: keep a fact about the person in what you know of them',
    schema: argsOf({ fact: str("One fact about the person") }),
    args: Joi.object({ fact: text.required() }),
    informs: false,
    async run(memory, { fact }) {
      await memory.edit("person", (person) => `${person.trimEnd()}\n- ${fact.replace(/\n/g, " ")}\n`);
      return "Remembered.";
    },
  },
  set_reminder: {
    usage: `set_reminder {"text", "due" (ISO local time), "recurrence": ${RECURRENCES.join("|")} or null}: remind the person later`,
    schema: argsOf({
      text: str("What to remind the person of"),
      due: str("When, as an ISO local time like 2026-11-29T09:00:00"),
      recurrence: maybe("How often it comes back, or null for once", { enum: [...RECURRENCES, null] }),
    }),
    args: Joi.object({ text: text.required(), due: Joi.date().iso().required().raw(), recurrence: Joi.valid(...RECURRENCES, null) }),
    informs: false,
    async run(memory, a) {
      const r = await memory.setReminder(a);
      return `Reminder ${r.id} set for ${r.due}${r.recurrence ? `, ${r.recurrence}` : ""}.`;
    },
  },
  list_reminders: {
    usage: "list_reminders {}: the reminders that are set",
    schema: argsOf({}),
    args: Joi.object({}),
    informs: true,
    async run(memory) {
      const all = await memory.reminders();
      return all.length ? all.map((r) => `${r.id}: ${r.text} — ${r.due}${r.recurrence ? ` (${r.recurrence})` : ""}`).join("\n") : "No reminders are set.";
    },
  },
  cancel_reminder: {
    usage: 'cancel_reminder {"id"}: cancel a reminder (ids come from list_reminders)',
    schema: argsOf({ id: str("The reminder's id, from list_reminders") }),
    args: Joi.object({ id: Joi.string().max(64).required() }),
    informs: false,
    async run(memory, { id }) {
      return (await memory.cancelReminder(id)) ? `Reminder ${id} cancelled.` : `There is no reminder ${id}.`;
    },
  },
  recall_day: {
    usage: 'recall_day {"date" (YYYY-MM-DD)}: read the conversation of a past day',
    schema: argsOf({ date: str("The day, YYYY-MM-DD") }),
    args: Joi.object({ date: day.required() }),
    informs: true,
    async run(memory, { date }) {
      const entries = await memory.conversation(date);
      if (!entries.length) return `Nothing was said on ${date}.`;
      return entries.map((e) => `[${e.time.slice(11, 16)}] ${e.from}: ${e.text}`).join("\n").slice(-20_000);
    },
  },
  check_calendar: {
    usage: 'check_calendar {"start", "end" (YYYY-MM-DD, or null)}: days you talked and reminders in a range (default: the next 7 days)',
    schema: argsOf({ start: maybe("First day, YYYY-MM-DD, or null for today"), end: maybe("Last day, YYYY-MM-DD, or null for a week on") }),
    args: Joi.object({ start: day, end: day }),
    informs: true,
    async run(memory, a) {
      const start = a.start ?? localDate();
      const end = a.end ?? localDate(new Date(Date.now() + 7 * 86_400_000));
      const days = (await memory.days()).filter((d) => d >= start && d <= end);
      const due = (await memory.reminders()).filter((r) => localDate(new Date(r.due)) >= start && localDate(new Date(r.due)) <= end);
      const fired = (await memory.fired()).filter((r) => localDate(new Date(r.due)) >= start && localDate(new Date(r.due)) <= end);
      const lines = [
        ...days.map((d) => `${d}: you talked (recall_day to read it)`),
        ...fired.map((r) => `${r.due}: reminded "${r.text}"`),
        ...due.map((r) => `${r.due}: upcoming "${r.text}"${r.recurrence ? ` (${r.recurrence})` : ""}`),
      ];
      return lines.length ? lines.join("\n") : `Nothing between ${start} and ${end}.`;
    },
  },
};

/** Runs one call; a wrong name or wrong args is told back to her, never thrown. */
export async function runTool(memory: Memory, call: ToolCall): Promise<{ result: string; informs: boolean }> {
  const tool = TOOLS[call.name];
  if (!tool) return { result: `There is no tool '${call.name}'. Your tools: ${Object.keys(TOOLS).join(", ")}.`, informs: true };
  // A nullable argument given as null is one not given.
  const given = Object.fromEntries(Object.entries(call.args ?? {}).filter(([, v]) => v !== null));
  const { value, error } = tool.args.validate(given, { stripUnknown: true });
  if (error) return { result: `${call.name} was not run: ${error.message}.`, informs: true };
  try {
    return { result: await tool.run(memory, value), informs: tool.informs };
  } catch (err) {
    return { result: `${call.name} failed: ${(err as Error).message}`, informs: true };
  }
}
