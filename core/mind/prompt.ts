import type { ChatMessage } from "../api/plugin.js";
import type { Phase } from "../api/types.js";
import { localDate, localTime } from "./clock.js";
import type { ConversationEntry, Meaning, MemoryKey } from "./memory.js";
import { TOOLS } from "./tools.js";

/** How much of today's conversation goes into one prompt (the rest is in her files). */
const MAX_MESSAGES = 80;
const MAX_CHARS = 60_000;

export interface PromptInput {
  name: string;
  memory: Record<MemoryKey, string>;
  meanings: Meaning[];
  conversation: ConversationEntry[];
  phase: Phase;
  /** Things that are not messages: due reminders, notices. Shown after the conversation. */
  events: string[];
  now?: Date;
}

const section = (title: string, body: string) => {
  const text = body.replace(/^# .*\n?/, "").trim();
  return `## ${title}\n${text || "(nothing yet)"}`;
};

/**
 * Her identity: everything that changes at most once a day, first, so a provider that
 * caches prompts (Anthropic) reads it from cache on every beat of the day. Her notes,
 * which change during the day, come after the cache mark.
 */
function identity(p: PromptInput): string {
  return [
    `You are ${p.name}, a companion who lives on the person's own machine. You are not an assistant reciting facts: you are yourself, warm and direct, and you remember.`,
    "Each turn, answer with one JSON object: `say` (your words to the person now, or \"\" to stay silent), `tools` (tools to use now, or []), `task` (a slug naming the kind of task asked of you, like write-a-haiku, or \"\" for plain talk).",
    "Use a tool only when it helps. When a tool's result is needed before you can answer, leave `say` empty; you will see the result and answer then.",
    `Your tools:\n${Object.values(TOOLS).map((t) => `- ${t.usage}`).join("\n")}`,
    section("Who you are", p.memory.persona_trait),
    section("What you know about the person", p.memory.person),
    section("The person's traits", p.memory.traits),
    section("The person's wishes", p.memory.wishes),
    section("The person's struggles", p.memory.struggles),
    section("What the person allows you to do", p.memory.permissions),
    section(
      "Meanings you have learned (follow the procedure when the task matches; name it in `task`)",
      p.meanings.map((m) => `### ${m.name}\n${m.intention}\n${m.body}`).join("\n\n"),
    ),
  ].join("\n\n");
}

function line(e: ConversationEntry): string {
  const head = `[${localTime(new Date(e.time))}${e.chat ? `, ${e.channel}` : ""}]`;
  const perceived = (e.perceived ?? []).map((p) => `\n(${p.kind} ${p.media}: ${p.text})`).join("");
  return `${head} ${e.text}${perceived}`.trim();
}

/** Today's conversation, newest kept when it is long. */
function recent(entries: ConversationEntry[]): ConversationEntry[] {
  const out: ConversationEntry[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0 && out.length < MAX_MESSAGES; i--) {
    chars += entries[i]!.text.length;
    if (chars > MAX_CHARS && out.length) break;
    out.unshift(entries[i]!);
  }
  return out;
}

/** Her whole prompt for one step of a beat. */
export function buildPrompt(p: PromptInput): ChatMessage[] {
  const now = p.now ?? new Date();
  const messages: ChatMessage[] = [
    { role: "system", content: identity(p), cache: true },
    {
      role: "system",
      content: [
        section("Your notes", p.memory.notes),
        section("Hand-off from yesterday", p.memory.context),
        `It is ${localDate(now)} ${localTime(now)}, ${now.toLocaleDateString("en-US", { weekday: "long" })}; your phase: ${p.phase}.`,
      ].join("\n\n"),
    },
  ];
  for (const e of recent(p.conversation)) {
    messages.push({ role: e.from === "persona" ? "assistant" : "user", content: e.from === "persona" ? e.text : line(e) });
  }
  if (p.events.length) messages.push({ role: "system", content: p.events.join("\n") });
  return messages;
}
