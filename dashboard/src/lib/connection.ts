import { io, type Socket } from "socket.io-client";
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { ClientToServerEvents, ServerToClientEvents } from "eternego/plugin/shared";

/** How the page is tied to the daemon right now. */
export type LinkState = "connecting" | "online" | "reconnecting";

type Events = ServerToClientEvents;

/**
 * The page's one connection to the daemon: a single socket.io client, typed with the same
 * event maps as the server. It reconnects by itself with backoff and jitter (a daemon
 * restarting is the usual reason), says which state it is in, watches again the personas
 * that views watch, and after every reconnect asks each view to refetch what it shows —
 * events sent while the link was down are not replayed, so a view merges what it fetches
 * by id: nothing is missed, nothing is shown twice.
 */
export class Connection extends EventTarget {
  state: LinkState = "connecting";
  private readonly socket: Socket<Events, ClientToServerEvents>;
  private readonly watching = new Map<string, number>();
  private readonly resyncs = new Set<() => void>();
  private connectedOnce = false;

  constructor(url?: string) {
    super();
    this.socket = (url ? io(url, OPTIONS) : io(OPTIONS)) as Socket<Events, ClientToServerEvents>;
    this.socket.on("connect", () => {
      for (const id of this.watching.keys()) this.socket.emit("persona:watch", id);
      const again = this.connectedOnce;
      this.connectedOnce = true;
      this.set("online");
      if (again) for (const f of this.resyncs) f();
    });
    this.socket.on("disconnect", () => this.set("reconnecting"));
    this.socket.io.on("reconnect_attempt", () => this.set("reconnecting"));
  }

  private set(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new Event("state"));
  }

  /** Listens to one server event; returns how to stop. */
  on<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    this.socket.on(event, fn as never);
    return () => void this.socket.off(event, fn as never);
  }

  /** Joins a persona's room (counted: it is left when the last view watching her lets go). */
  watch(id: string): () => void {
    const n = this.watching.get(id) ?? 0;
    this.watching.set(id, n + 1);
    if (n === 0 && this.socket.connected) this.socket.emit("persona:watch", id);
    return () => {
      const left = (this.watching.get(id) ?? 1) - 1;
      if (left > 0) return void this.watching.set(id, left);
      this.watching.delete(id);
      if (this.socket.connected) this.socket.emit("persona:unwatch", id);
    };
  }

  /** Called after every reconnect: refetch what the view shows. */
  onResync(fn: () => void): () => void {
    this.resyncs.add(fn);
    return () => void this.resyncs.delete(fn);
  }
}

const OPTIONS = {
  // socket.io's own backoff: 0.5 s doubling to 5 s, each wait jittered by half.
  reconnectionDelay: 500,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
  transports: ["websocket", "polling"],
};

/**
 * Ties a component to the connection for as long as it is on the page: each subscription
 * made in `subscribe` is undone when the component leaves, and made again when it comes back.
 * The connection may reach the component after it joined the page (a screen fetched later is
 * given its properties at its first update), so it subscribes at the first update that has one.
 */
export class Subscriptions implements ReactiveController {
  private undo: (() => void)[] | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & { connection?: Connection | null },
    private readonly subscribe: (c: Connection) => (() => void)[],
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.host.connection && !this.undo) this.undo = this.subscribe(this.host.connection);
  }

  hostUpdate(): void {
    this.hostConnected();
  }

  hostDisconnected(): void {
    for (const u of this.undo ?? []) u();
    this.undo = null;
  }

  /** Subscribes again (the connection or what is watched changed). */
  renew(): void {
    this.hostDisconnected();
    this.hostConnected();
  }
}
