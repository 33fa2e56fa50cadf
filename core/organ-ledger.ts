import type { TokenUsage } from "./api/plugin.js";
import type { OrganRole } from "./api/types.js";

export interface OrganTally {
  calls: number;
  input: number;
  output: number;
  last_fault: { detail: string; status: number | null; time: string } | null;
  /** What a call of it waits for now (a busy engine), and since when. */
  waiting: { what: string; since: string } | null;
  /** How many of its calls had to wait. */
  waited: number;
}

/** Token usage and the last fault per persona and organ, kept in memory for diagnose. */
export class OrganLedger {
  private readonly tallies = new Map<string, OrganTally>();

  private tally(persona: string | null, role: OrganRole): OrganTally {
    const key = `${persona ?? "-"}:${role}`;
    let t = this.tallies.get(key);
    if (!t) this.tallies.set(key, (t = { calls: 0, input: 0, output: 0, last_fault: null, waiting: null, waited: 0 }));
    return t;
  }

  record(persona: string | null, role: OrganRole, u: TokenUsage): void {
    const t = this.tally(persona, role);
    t.calls++;
    t.input += u.input;
    t.output += u.output;
  }

  fault(persona: string | null, role: OrganRole, detail: string, status: number | null): void {
    this.tally(persona, role).last_fault = { detail, status, time: new Date().toISOString() };
  }

  waiting(persona: string | null, role: OrganRole, what: string | null): void {
    const t = this.tally(persona, role);
    if (what && !t.waiting) t.waited++;
    t.waiting = what ? { what, since: t.waiting?.since ?? new Date().toISOString() } : null;
  }

  of(persona: string, role: OrganRole): OrganTally {
    return { ...this.tally(persona, role) };
  }
}
