import type { ChatMessage, Thinker } from "../api/plugin.js";
import { MEMORY_FILES } from "./memory-files.js";
import type { ConversationEntry, Memory, MemoryKey } from "./memory.js";

/** The files her night rewrites: curated whole, never appended to. Notes stay hers to keep by day. */
export const NIGHT_KEYS = ["person", "traits", "persona_trait", "wishes", "struggles", "permissions", "context"] as const satisfies readonly MemoryKey[];

export interface NightSummary {
  /** The day that was archived (`YYYY-MM-DD`), or null when nothing was said. */
  archived: string | null;
  messages: number;
  /** The memory files she rewrote. */
  updated: MemoryKey[];
  /** Her own words about the day. */
  summary: string;
  /** Her diary, written after the night (or why it was not). */
  diary?: { created: string; bytes: number } | { skipped: string };
}

const NIGHT_SCHEMA = {
  type: "object",
  properties: {
    ...Object.fromEntries(NIGHT_KEYS.map((k) => [k, { type: "string", description: `The whole new content of ${MEMORY_FILES[k][0]}` }])),
    summary: { type: "string", description: "Two or three sentences about the day, in your own voice." },
  },
  required: [...NIGHT_KEYS, "summary"],
  additionalProperties: false,
};

function transcript(entries: ConversationEntry[], name: string): string {
  return entries
    .map((e) => {
      const perceived = (e.perceived ?? []).map((p) => ` (${p.kind} ${p.media}: ${p.text.slice(0, 2000)})`).join("");
      return `${e.from === "persona" ? name : "Person"}: ${e.text}${perceived}`;
    })
    .join("\n")
    .slice(-80_000);
}

/** Keeps the file's heading so a person opening it still knows what it is. */
function withHeading(key: MemoryKey, content: string): string {
  const text = content.trim();
  return text.startsWith("# ") ? text + "\n" : `# ${MEMORY_FILES[key][1]}\n\n${text}\n`;
}

/**
 * Her night: one thinking call reads the day against what she already knows and gives back
 * each memory file whole — curated, so what is no longer true goes and nothing is said
 * twice — and a hand-off for tomorrow. The files are written, then the day is archived.
 * A file she gives back empty is kept as it was rather than wiped, and a file the person
 * edited while she was thinking keeps the person's edit.
 */
export async function consolidate(name: string, memory: Memory, thinker: Thinker, nightfall: Date = new Date()): Promise<NightSummary> {
  const day = (await memory.conversation()).filter((e) => new Date(e.time) < nightfall);
  if (!day.length) return { archived: null, messages: 0, updated: [], summary: "A quiet day: nothing was said." };
  const files = await memory.readAll();
  const messages: ChatMessage[] = [
    {
      role: "system",
      content:
        `You are ${name}, at night, reflecting on the day before you sleep. Rewrite each of your memory files whole: ` +
        "keep what is still true, add what the day taught you, drop what is no longer true, say nothing twice, stay short and concrete. " +
        "`context` is a short hand-off to yourself for tomorrow: what is open, what to follow up. Answer as JSON.",
    },
    { role: "user", content: NIGHT_KEYS.map((k) => `## ${MEMORY_FILES[k][0]}\n${files[k].trim() || "(empty)"}`).join("\n\n") + `\n\n## Today\n${transcript(day, name)}` },
  ];
  const answer = await thinker.think({ messages, schema: NIGHT_SCHEMA });
  const json = (answer.json ?? {}) as Record<string, unknown>;
  const updated: MemoryKey[] = [];
  for (const key of NIGHT_KEYS) {
    const content = json[key];
    if (typeof content !== "string" || !content.trim()) continue;
    const next = withHeading(key, content);
    if (next === files[key]) continue;
    // Her night read the file before it thought; an edit the person made since wins.
    if ((await memory.edit(key, (now) => (now === files[key] ? next : now))).changed) updated.push(key);
  }
  const archived = await memory.archiveDay(name, nightfall);
  return { archived, messages: day.length, updated, summary: typeof json.summary === "string" ? json.summary.trim() : "" };
}
