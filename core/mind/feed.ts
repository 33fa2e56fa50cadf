import type { Thinker } from "../api/plugin.js";
import type { FedConversation, FedExport } from "../feed-exports.js";
import { MEMORY_FILES } from "./memory-files.js";
import type { Memory, MemoryKey } from "./memory.js";

/** The files an export teaches her about: who the person is, not who she is. */
const FEED_KEYS = ["person", "traits", "wishes", "struggles"] as const satisfies readonly MemoryKey[];
/** Characters of past conversation per thinking call. */
const CHUNK_CHARS = 24_000;
/** At most this many calls for one export: the most recent conversations are read first. */
const MAX_CHUNKS = 40;

export interface FeedSummary {
  source: "chatgpt" | "claude";
  conversations: number;
  messages: number;
  /** Conversations she read (the most recent first, up to what fits in MAX_CHUNKS calls). */
  read: number;
  updated: MemoryKey[];
}

const FEED_SCHEMA = {
  type: "object",
  properties: Object.fromEntries(FEED_KEYS.map((k) => [k, { type: "string", description: `The whole new content of ${MEMORY_FILES[k][0]}` }])),
  required: [...FEED_KEYS],
  additionalProperties: false,
};

function render(c: FedConversation): string {
  const lines = c.messages.map((m) => (m.from === "person" ? `Person: ${m.text}` : `Assistant: ${m.text.length > 400 ? m.text.slice(0, 400) + " …" : m.text}`));
  return `### ${c.title || "Untitled"}${c.started ? ` (${c.started.slice(0, 10)})` : ""}\n${lines.join("\n")}`;
}

/** Newest conversations first, packed into chunks of about CHUNK_CHARS. */
function chunks(exp: FedExport): { texts: string[]; read: number } {
  const ordered = [...exp.conversations].sort((a, b) => (b.started ?? "").localeCompare(a.started ?? ""));
  const texts: string[] = [];
  let current = "";
  let read = 0;
  for (const c of ordered) {
    const text = render(c).slice(0, CHUNK_CHARS);
    if (current && current.length + text.length > CHUNK_CHARS) {
      texts.push(current);
      current = "";
      if (texts.length === MAX_CHUNKS) break;
    }
    current += (current ? "\n\n" : "") + text;
    read++;
  }
  if (current && texts.length < MAX_CHUNKS) texts.push(current);
  return { texts, read };
}

/**
 * She learns the person from past conversations with another assistant: each chunk is read
 * against what she knows so far and her files come back curated. Nothing is written until
 * every chunk is read, so a failure halfway leaves her files as they were.
 */
export async function learnFromExport(exp: FedExport, name: string, memory: Memory, thinker: Thinker, progress: (done: number, total: number) => void): Promise<FeedSummary> {
  const before = await memory.readAll();
  const files: Record<string, string> = Object.fromEntries(FEED_KEYS.map((k) => [k, before[k]]));
  const { texts, read } = chunks(exp);
  progress(0, texts.length);
  for (const [i, text] of texts.entries()) {
    const answer = await thinker.think({
      schema: FEED_SCHEMA,
      messages: [
        {
          role: "system",
          content:
            `You are ${name}. The person has given you their past conversations with another assistant so you can know them. ` +
            "Read them against what you already know and give back each file whole: keep what is true, add what these conversations show about the person " +
            "(facts, traits, wishes, struggles), say nothing twice, stay short and concrete. Only the person's words tell you about them. Answer as JSON.",
        },
        { role: "user", content: `${FEED_KEYS.map((k) => `## ${MEMORY_FILES[k][0]}\n${files[k]!.trim() || "(empty)"}`).join("\n\n")}\n\n## Past conversations (${exp.source})\n${text}` },
      ],
    });
    const json = (answer.json ?? {}) as Record<string, unknown>;
    for (const k of FEED_KEYS) {
      const v = json[k];
      if (typeof v === "string" && v.trim()) files[k] = v.trim().startsWith("# ") ? v.trim() + "\n" : `# ${MEMORY_FILES[k][1]}\n\n${v.trim()}\n`;
    }
    progress(i + 1, texts.length);
  }
  const updated: MemoryKey[] = [];
  for (const k of FEED_KEYS) {
    if (files[k] === before[k]) continue;
    // An edit the person made while she read keeps the person's words.
    if ((await memory.edit(k, (now) => (now === before[k] ? files[k]! : now))).changed) updated.push(k);
  }
  return {
    source: exp.source,
    conversations: exp.conversations.length,
    messages: exp.conversations.reduce((n, c) => n + c.messages.length, 0),
    read,
    updated,
  };
}
