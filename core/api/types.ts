/** The roles a model can fill in her body. `thinking` is required: it is her own voice. */
export const ORGAN_ROLES = ["thinking", "vision", "hearing", "frontier"] as const;
export type OrganRole = (typeof ORGAN_ROLES)[number];

/** What the person wants for her: serve her, let her rest, or (set by the daemon) she is sick. */
export const PERSONA_STATUSES = ["active", "hibernate", "sick"] as const;
export type PersonaStatus = (typeof PERSONA_STATUSES)[number];

/** Where a live agent is in its own lifecycle. */
export const AGENT_STATES = ["stopped", "starting", "running", "stopping", "failed"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** Where a running persona is in her day; `null` when she is not running. */
export type Phase = "morning" | "day" | "night";

/** A model bound to a role. `api_key` is a secret: it lives only in `secrets.json`. */
export interface OrganSpec {
  provider: string;
  model: string;
  url: string;
  api_key?: string;
}

/** An organ as anyone may see it: the key is replaced by whether there is one. */
export interface OrganView {
  provider: string;
  model: string;
  url: string;
  has_key: boolean;
}

/** Where a channel's connection is: `retrying` after a failure (with when), `failed` when retrying cannot help (with why). */
export type ChannelState = "connecting" | "connected" | "retrying" | "failed" | "disconnected";

export interface ChannelView {
  type: string;
  /** The account she is on it, as the platform names it. */
  name: string;
  /** Whether a chat on it is hers (paired); always true for a channel that needs no pairing. */
  verified: boolean;
  state: ChannelState;
  /** Why it is retrying or failed; null otherwise. */
  detail: string | null;
  /** When it tries again (ISO), while retrying; null otherwise. */
  retry_at: string | null;
}

/** The persona as the API shows her. Never contains a secret. */
export interface PersonaView {
  id: string;
  name: string;
  birthday: string;
  status: PersonaStatus;
  /** Why she is sick; null otherwise. */
  status_reason: string | null;
  running: boolean;
  state: AgentState;
  phase: Phase | null;
  organs: Partial<Record<OrganRole, OrganView>>;
  channels: ChannelView[];
}
