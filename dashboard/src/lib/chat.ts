import type { ChatMessageEvent } from "eternego/plugin/shared";

/** One message as the chat shows it (a line of her conversation, or one pushed as it happens). */
export interface ChatEntry {
  id: string;
  time: string;
  from: "person" | "persona";
  channel: string;
  text: string;
  media?: string[];
  perceived?: { kind: string; media: string; text: string }[];
  /** A draft still streaming: her words so far, not yet said. */
  draft?: boolean;
}

/**
 * The conversation as the page holds it: messages by id (whatever way they came — fetched,
 * pushed, or sent from here — each is there once), in time order, and her drafts in progress.
 */
export class Conversation {
  private readonly byId = new Map<string, ChatEntry>();
  private readonly drafts = new Map<string, ChatEntry>();

  /** Adds or updates messages; a later copy (fetched after a reconnect) fills in what an earlier one lacked. */
  merge(entries: ChatEntry[]): void {
    for (const e of entries) this.byId.set(e.id, { ...this.byId.get(e.id), ...e });
  }

  /** A message pushed as `chat:message`; her message ends the draft it completes. */
  pushed(e: ChatMessageEvent): void {
    if (e.draft) this.drafts.delete(e.draft);
    this.merge([{ id: e.id, time: e.time, from: e.from, channel: e.channel, text: e.text, ...(e.media ? { media: e.media } : {}) }]);
  }

  delta(draft: string, text: string): void {
    const d = this.drafts.get(draft);
    if (d) d.text += text;
    else this.drafts.set(draft, { id: `draft-${draft}`, time: new Date().toISOString(), from: "persona", channel: "web", text, draft: true });
  }

  withdraw(draft: string): void {
    this.drafts.delete(draft);
  }

  /** Drafts vanish too when the page lost the link: their end was not seen. */
  clearDrafts(): void {
    this.drafts.clear();
  }

  get messages(): ChatEntry[] {
    return [...this.byId.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }

  get streaming(): ChatEntry[] {
    return [...this.drafts.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}
