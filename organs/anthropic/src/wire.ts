import type { ChatMessage } from "eternego/plugin";

export interface TextBlock {
  type: "text";
  text: string;
  cache_control?: { type: "ephemeral" };
}

export interface ImageBlock {
  type: "image";
  source: { type: "base64"; media_type: string; data: string };
}

export interface WireMessage {
  role: "user" | "assistant";
  content: (TextBlock | ImageBlock)[];
}

/** A prompt as `/v1/messages` takes it: the system prompt apart, then alternating turns. */
export interface WirePrompt {
  system?: TextBlock[];
  messages: WireMessage[];
}

/** The API refuses a request with more `cache_control` blocks than this. */
const MAX_BREAKPOINTS = 4;

/**
 * What opens or closes a conversation that would otherwise start with her or end with
 * her: the API wants the person to speak first, and takes a conversation that ends with
 * her as an unfinished message to continue, while the mind asks for her next turn.
 */
export const OPENING = "(The conversation begins.)";
export const YOUR_TURN = "(Your turn.)";

/**
 * Her messages as the Messages API takes them:
 *
 * - the system messages before the conversation become the top-level `system` blocks, one
 *   block each; a system message inside the conversation goes into the person's turn where
 *   it stands (every model takes that; only the newest take a mid-conversation system role);
 * - the message marked `cache` (the end of her stable identity) carries
 *   `cache_control: {type: "ephemeral"}` on its block, so the prefix up to it is read from
 *   the prompt cache on the next call (at most the last 4 marks are kept);
 * - empty messages are left out (the API refuses them), a mark on one moving to the block
 *   before it; consecutive turns of one role become one turn with a block each;
 * - the conversation starts with the person and ends with the person (see `OPENING`).
 */
export function toWire(messages: readonly ChatMessage[]): WirePrompt {
  const blocks: { role: ChatMessage["role"]; leading: boolean; block: TextBlock }[] = [];
  let leading = true;
  let pendingMark = false;
  for (const m of messages) {
    if (m.role !== "system") leading = false;
    if (!m.content) {
      // An empty message has no block to mark: its mark goes to the last block before it.
      if (m.cache) {
        if (blocks.length) blocks.at(-1)!.block.cache_control = { type: "ephemeral" };
        else pendingMark = true;
      }
      continue;
    }
    const block: TextBlock = { type: "text", text: m.content };
    if (m.cache || pendingMark) block.cache_control = { type: "ephemeral" };
    pendingMark = false;
    blocks.push({ role: m.role, leading: m.role === "system" && leading, block });
  }

  const marked = blocks.filter((b) => b.block.cache_control);
  for (const b of marked.slice(0, Math.max(0, marked.length - MAX_BREAKPOINTS))) delete b.block.cache_control;

  const system = blocks.filter((b) => b.leading).map((b) => b.block);
  const turns: WireMessage[] = [];
  for (const b of blocks.filter((x) => !x.leading)) {
    const role = b.role === "assistant" ? "assistant" : "user";
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(b.block);
    else turns.push({ role, content: [b.block] });
  }
  if (turns[0]?.role !== "user") turns.unshift({ role: "user", content: [{ type: "text", text: OPENING }] });
  if (turns.at(-1)!.role === "assistant") turns.push({ role: "user", content: [{ type: "text", text: YOUR_TURN }] });
  return { ...(system.length ? { system } : {}), messages: turns };
}
