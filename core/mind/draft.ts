import crypto from "node:crypto";
import { thinkFilter } from "../api/think-filter.js";
import { sayStream } from "./say-stream.js";

export interface DraftEvents {
  delta(draft: string, text: string): void;
  withdrawn(draft: string): void;
}

/**
 * Her words while the thinking organ still streams them: a draft the person watches grow
 * (`<think>` blocks and JSON never in it, only her `say`). It ends one of two ways: her
 * message completes it (`settle` gives the id to put on that message), or it is withdrawn
 * — the answer was asked for again, failed, or said nothing — so no word she never said
 * stays on anyone's screen.
 */
export class Draft {
  private id: string | null = null;
  private push!: (text: string) => void;

  constructor(private readonly events: DraftEvents) {
    this.reset();
  }

  private reset(): void {
    const say = sayStream((text) => {
      this.id ??= crypto.randomUUID();
      this.events.delta(this.id, text);
    });
    const filter = thinkFilter(say);
    this.push = (text) => filter.push(text);
  }

  /** For `ThinkRequest.onDelta`. */
  readonly onDelta = (text: string): void => this.push(text);

  /** For `ThinkRequest.onDiscard`: what streamed is withdrawn, and what comes next is a new draft. */
  readonly onDiscard = (): void => {
    this.withdraw();
    this.reset();
  };

  /** Nothing of it is said: withdrawn, if anything streamed. */
  withdraw(): void {
    if (this.id) this.events.withdrawn(this.id);
    this.id = null;
  }

  /** Her message says it: the id of the draft the message replaces (null when nothing streamed). */
  settle(): string | null {
    const id = this.id;
    this.id = null;
    return id;
  }
}
