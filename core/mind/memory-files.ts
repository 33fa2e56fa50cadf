/** Her memory files, created with a heading so a person opening them knows what they are. */
export const MEMORY_FILES = {
  person: ["person.md", "What I know about the person"],
  traits: ["traits.md", "The person's traits"],
  persona_trait: ["persona-trait.md", "Who I am"],
  wishes: ["wishes.md", "The person's wishes"],
  struggles: ["struggles.md", "The person's struggles"],
  permissions: ["permissions.md", "What the person allows me to do"],
  notes: ["notes.md", "My notes"],
  context: ["context.md", "Hand-off from yesterday"],
} as const;
