// Her knowledge as `GET /api/persona/{id}/knowledge` gives it, and how the dashboard names it.

/** Her memory files, in the order the screen lists them: what she knows of the person first, then of herself. */
export const MEMORY_KEYS = ["person", "traits", "wishes", "struggles", "permissions", "persona_trait", "notes", "context"] as const;
export type MemoryKey = (typeof MEMORY_KEYS)[number];

export type MeaningSource = "frontier" | "self" | "person";

/** A learned procedure for a kind of moment (`meanings/<name>.md`). */
export interface Meaning {
  name: string;
  intention: string;
  body: string;
  source: MeaningSource;
}

export interface Knowledge {
  memory: Record<MemoryKey, string>;
  meanings: Meaning[];
}

export interface MemoryFileText {
  /** Its title, as a person would say it. */
  title: string;
  /** The file in her home folder. */
  file: string;
  /** What it is for. */
  about: string;
  group: "you" | "her";
}

/** How each file is named on the screen; `name` is hers, so the titles read as sentences about her. */
export function memoryText(key: MemoryKey, name: string): MemoryFileText {
  switch (key) {
    case "person":
      return { title: `What ${name} knows about you`, file: "person.md", about: `Facts about you that ${name} keeps: who you are, the people and things in your life.`, group: "you" };
    case "traits":
      return { title: "Your traits", file: "traits.md", about: `How ${name} sees you: your character, your habits, how you like to be spoken to.`, group: "you" };
    case "wishes":
      return { title: "Your wishes", file: "wishes.md", about: "What you hope for and are working towards.", group: "you" };
    case "struggles":
      return { title: "Your struggles", file: "struggles.md", about: "What weighs on you, so she can be gentle with it.", group: "you" };
    case "permissions":
      return { title: `What you allow ${name} to do`, file: "permissions.md", about: "What she may do without asking, and what she must ask about first.", group: "you" };
    case "persona_trait":
      return { title: `Who ${name} is`, file: "persona-trait.md", about: `${name}'s own character: how she speaks, what she cares about.`, group: "her" };
    case "notes":
      return { title: `${name}'s notes`, file: "notes.md", about: "What she wrote down to remember.", group: "her" };
    case "context":
      return { title: "Hand-off from yesterday", file: "context.md", about: "The short note her last night left for today: where things stand.", group: "her" };
  }
}

export function isMemoryKey(k: string | null): k is MemoryKey {
  return (MEMORY_KEYS as readonly string[]).includes(k ?? "");
}

/** Who wrote a meaning, in words. */
export function sourceText(source: MeaningSource, name: string): string {
  if (source === "frontier") return "Learned from her frontier organ";
  if (source === "person") return "Written by you";
  return `Written by ${name} herself`;
}

/** A meaning's name as the daemon takes it (the same rule as its schema): `write-a-haiku`. */
export const MEANING_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** `"Write a Haiku!"` → `"write-a-haiku"`: a name to suggest when the typed one will not do. */
export function slug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

/** Why a meaning name will not do, or null when it will. */
export function meaningNameProblem(name: string): string | null {
  if (!name) return "Give it a name, like write-a-haiku.";
  if (MEANING_NAME.test(name)) return null;
  const better = slug(name);
  return `Use lower-case letters, digits and dashes (at most 64), starting with a letter or digit${better && better !== name ? ` — for example ${better}` : ", like write-a-haiku"}.`;
}

// The events of the knowledge screen, added to the dashboard's typed map beside the screen that sends them.
declare module "./events.js" {
  interface DashboardEvents {
    /** A memory file was saved: what the daemon stored. */
    "et-knowledge-saved": { key: MemoryKey; content: string };
    /** The file being edited has (or no longer has) changes not saved. */
    "et-knowledge-dirty": { dirty: boolean };
  }
}

declare global {
  interface HTMLElementEventMap {
    "et-knowledge-saved": CustomEvent<{ key: MemoryKey; content: string }>;
    "et-knowledge-dirty": CustomEvent<{ dirty: boolean }>;
  }
}
