import { NotFound } from "./api/errors.js";
import { Memory } from "./mind/memory.js";

/**
 * Who may touch her folder when: any number of writes at once (each file has its own
 * order), or one piece of work on the whole folder (delete, a diary, a restore) with no
 * write in progress. Work on the whole folder waits for the writes in progress and holds
 * new ones until it is done, so it never sees a file half written nor removes a folder
 * under a write. Once she is gone, every write is a 404.
 */
export class FolderGate {
  private writers = 0;
  private drained: (() => void) | null = null;
  private whole: Promise<void> | null = null;
  gone = false;

  constructor(private readonly id: string) {}

  private missing(): NotFound {
    return new NotFound(`No persona with id '${this.id}' (she was deleted).`);
  }

  /** Runs one write; waits while work on the whole folder is in progress. */
  async write<T>(work: () => Promise<T>): Promise<T> {
    while (this.whole) await this.whole;
    if (this.gone) throw this.missing();
    this.writers++;
    try {
      return await work();
    } finally {
      if (--this.writers === 0) this.drained?.();
    }
  }

  /** Runs work on the whole folder once every write in progress is done, holding new ones until it ends. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.whole) await this.whole;
    if (this.gone) throw this.missing();
    let release!: () => void;
    this.whole = new Promise<void>((r) => (release = r));
    try {
      if (this.writers > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = null;
      return await work();
    } finally {
      this.whole = null;
      release();
    }
  }
}

/**
 * Her one place in the daemon: the single `Memory` of her home folder that the routes, the
 * mind, her night and her diary all share, the gate every write of hers passes, and her
 * lifecycle — transitions (start, stop, restart, update, delete…) run one at a time, in the
 * order they were asked for, so two calls can never leave her half there.
 */
export class PersonaOwner {
  readonly gate: FolderGate;
  readonly memory: Memory;
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    home: string,
  ) {
    this.gate = new FolderGate(id);
    this.memory = new Memory(home, this.gate);
  }

  /** Runs a lifecycle or config change after those asked for before it. */
  transition<T>(work: () => Promise<T>): Promise<T> {
    const next = this.lane.then(work, work);
    this.lane = next.catch(() => {});
    return next;
  }
}
