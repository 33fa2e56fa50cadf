import type { AgentState, Phase } from "./api/types.js";
import type { PersonaRecord } from "./persona-store.js";

/**
 * A live persona in this daemon. The mind (inbox, beats, tools) arrives with its own
 * issue; until then an agent holds her configuration, her lifecycle state and her phase.
 */
export class Agent {
  readonly startedAt = Date.now();
  phase: Phase = "morning";

  constructor(readonly persona: PersonaRecord) {}

  async start(): Promise<void> {
    this.phase = "morning";
  }

  async stop(): Promise<void> {
    this.phase = "night";
  }
}

export type AgentFactory = (persona: PersonaRecord) => Agent;

/** The allowed transitions of an agent's lifecycle; anything else is a bug. */
export const TRANSITIONS: Record<AgentState, readonly AgentState[]> = {
  stopped: ["starting"],
  starting: ["running", "failed"],
  running: ["stopping"],
  stopping: ["stopped", "failed"],
  failed: ["starting", "stopped"],
};
