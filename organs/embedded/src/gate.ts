/**
 * How many answers the engine computes at once, across every model and persona of the daemon:
 * on a small machine a second answer computed beside the first only slows both. Calls beyond
 * the bound wait their turn in order; `onWait` hears how many are ahead when one has to.
 */
export class Gate {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly bound: () => number) {}

  /** How many answers are being computed and how many wait. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  async run<T>(work: () => Promise<T>, onWait: (ahead: number) => void, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.bound()) {
      onWait(this.queue.length + this.running);
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener("abort", quit);
          resolve();
        };
        const quit = () => {
          const i = this.queue.indexOf(go);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal!.reason);
        };
        if (signal?.aborted) return quit();
        signal?.addEventListener("abort", quit, { once: true });
        this.queue.push(go);
      });
    } else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so no newcomer slips in between.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
