import type { Logger } from "../logger.js";
import { localTime } from "./clock.js";
import type { Memory } from "./memory.js";
import type { Mind } from "./mind.js";

/** Her daily routines; `sleep` is when her night starts (`HH:MM`, local). */
export interface Routines {
  sleep: string;
}

export const DEFAULT_ROUTINES: Routines = { sleep: "00:00" };

/** The next time after `from` that the clock shows `hhmm`. */
export function nextAt(hhmm: string, from: Date): Date {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  const at = new Date(from);
  at.setHours(h, m, 0, 0);
  if (at <= from) at.setDate(at.getDate() + 1);
  return at;
}

/**
 * Her heart: every beat fires due reminders (recurring ones are re-armed), starts a routine
 * whose time has come, and writes one line to `health.jsonl`. It never waits on her mind:
 * a long thought does not stop the clock.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private nextSleep: Date;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly mind: Mind,
    private readonly memory: Memory,
    private readonly routines: Routines,
    private readonly ms: number,
    private readonly log: Logger,
  ) {
    this.nextSleep = nextAt(routines.sleep, new Date());
  }

  start(): void {
    this.ticking = this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  async tick(now = new Date()): Promise<void> {
    try {
      for (const r of await this.memory.reminders()) {
        if (new Date(r.due) > now) continue;
        await this.memory.fire(r, now);
        this.mind.notice(`A reminder is due now (${localTime(new Date(r.due))}): "${r.text}". Tell the person.`);
      }
      if (now >= this.nextSleep) {
        this.nextSleep = nextAt(this.routines.sleep, now);
        void this.mind.sleep().catch((err) => this.log.warn({}, `Her night failed: ${(err as Error).message}`));
      }
      await this.memory.health({
        time: now.toISOString(),
        phase: this.mind.phase,
        inbox: this.mind.pending,
        thinking: this.mind.thinkingFault ? "fault" : "ok",
        ...(this.mind.thinkingFault ? { detail: this.mind.thinkingFault } : {}),
        ...(this.mind.trouble?.kind === "files" ? { trouble: this.mind.trouble.detail } : {}),
      });
    } catch (err) {
      this.log.error({}, `A heartbeat failed: ${(err as Error).message}`);
    }
  }
}
