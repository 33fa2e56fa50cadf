import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Agent, AgentKit, TRANSITIONS } from "./agent.js";
import { Logger } from "./logger.js";
import { NotRunning } from "./api/errors.js";
import type { AgentState } from "./api/types.js";
import type { PersonaRecord } from "./persona-store.js";

/**
 * The registry of running agents: one per persona at most, each with a lifecycle state.
 * Starts and stops of one persona are serialised so two requests cannot race her.
 */
@injectable()
export class AgentRegistry {
  private readonly agents = new Map<string, Agent>();
  private readonly states = new Map<string, AgentState>();
  private readonly reasons = new Map<string, string>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kit: AgentKit,
    @inject(Logger) private readonly log: Logger,
  ) {}

  state(id: string): AgentState {
    return this.states.get(id) ?? "stopped";
  }

  /** Why the last start or stop failed, if it did. */
  failure(id: string): string | null {
    return this.reasons.get(id) ?? null;
  }

  running(id: string): boolean {
    return this.state(id) === "running";
  }

  /** The live agent, or `NotRunning` (409) telling how to start her. */
  get(id: string): Agent {
    const a = this.agents.get(id);
    if (!a || !this.running(id)) {
      throw new NotRunning(`Persona ${id} is not running (state: ${this.state(id)}). Start her with POST /api/persona/${id}/start.`);
    }
    return a;
  }

  /** Where a channel of hers is, while she runs (null when she does not, or it is not connected). */
  channel(id: string, type: string) {
    return this.running(id) ? (this.agents.get(id)?.links?.view(type) ?? null) : null;
  }

  count(): number {
    return this.agents.size;
  }

  private serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => {});
    this.queues.set(id, tail);
    void tail.then(() => this.queues.get(id) === tail && this.queues.delete(id));
    return next;
  }

  private move(id: string, to: AgentState): void {
    const from = this.state(id);
    if (!TRANSITIONS[from].includes(to)) throw new Error(`agent ${id}: illegal transition ${from} → ${to}`);
    if (to === "stopped") this.states.delete(id);
    else this.states.set(id, to);
    this.onState?.(id, to);
  }

  /** Called on every state change; the persona service turns it into `persona:changed`. */
  onState?: (id: string, state: AgentState) => void;

  /** Starts her agent; resolves to false when she was already running. */
  start(persona: PersonaRecord): Promise<boolean> {
    return this.serial(persona.id, async () => {
      if (this.agents.has(persona.id)) return false;
      const { memory } = await this.kit.store.owner(persona.id);
      this.move(persona.id, "starting");
      const agent = new Agent(persona, this.kit, memory);
      try {
        await agent.start();
      } catch (err) {
        // What had started already (her heart, channels connected, an engine model held) stops with her.
        await agent.stop().catch((e: Error) => this.log.warn({ persona: persona.id }, `Stopping what had started of her failed: ${e.message}`));
        this.reasons.set(persona.id, err instanceof Error ? err.message : String(err));
        this.move(persona.id, "failed");
        throw err;
      }
      this.reasons.delete(persona.id);
      this.agents.set(persona.id, agent);
      this.move(persona.id, "running");
      this.log.info({ persona: persona.id }, `${persona.name} is running`);
      return true;
    });
  }

  /** Stops her agent if there is one. Never touches her persisted status. */
  stop(id: string): Promise<void> {
    return this.serial(id, async () => {
      const agent = this.agents.get(id);
      if (!agent) {
        if (this.state(id) === "failed") this.move(id, "stopped");
        return;
      }
      this.move(id, "stopping");
      this.agents.delete(id);
      try {
        await agent.stop();
        this.move(id, "stopped");
      } catch (err) {
        this.reasons.set(id, err instanceof Error ? err.message : String(err));
        this.move(id, "failed");
      }
      this.log.info({ persona: id }, `${agent.persona.name} stopped`);
    });
  }

  /** Stops every agent, in reverse order of start. */
  async stopAll(): Promise<void> {
    for (const id of [...this.agents.keys()].reverse()) await this.stop(id);
  }

  uptime(id: string): number | null {
    const a = this.agents.get(id);
    return a ? Date.now() - a.startedAt : null;
  }

  phase(id: string) {
    return this.running(id) ? this.agents.get(id)!.phase : null;
  }
}
