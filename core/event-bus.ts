import { EventEmitter } from "node:events";
import type { BusEvents } from "./api/events.js";

/**
 * The daemon's in-process bus. Names and payloads come from the one declared map, so an
 * undeclared event fails to compile. The realtime layer forwards it to socket.io.
 */
export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit<K extends keyof BusEvents>(name: K, payload: BusEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof BusEvents>(name: K, fn: (payload: BusEvents[K]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }
}
