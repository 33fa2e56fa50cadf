import http from "node:http";
import type express from "express";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { PersonaService } from "./persona-service.js";
import { listenWithFallback } from "./port.js";
import { packageVersion } from "./version.js";
import { attachRealtime, type Realtime } from "./realtime.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { EventBus } from "./event-bus.js";
import type { PersonaStore } from "./persona-store.js";
import type { Route } from "./http/route.js";
import type { KnownSecrets } from "./known-secrets.js";
import type { PluginRegistry } from "./plugin-registry.js";

/** `failed`: it could not listen (every port taken, an address it cannot bind); nothing runs. */
export type DaemonPhase = "stopped" | "starting" | "started" | "stopping" | "failed";

export interface DaemonParts {
  config: Config;
  log: Logger;
  app: express.Express;
  personas: PersonaService;
  agents: AgentRegistry;
  store: PersonaStore;
  bus: EventBus;
  secrets: KnownSecrets;
  plugins: PluginRegistry;
  /** The route table the app serves (and the OpenAPI document describes). */
  routes: readonly Route[];
}

/**
 * The daemon's lifecycle: start loads her personas, starts the active ones and listens;
 * stop undoes it in reverse. Each step refuses to run from the wrong phase.
 */
export class Daemon {
  phase: DaemonPhase = "stopped";
  readonly server: http.Server;
  io: Realtime | null = null;
  port = 0;
  /** Set when the preferred port was taken and another was used. */
  fellBackFrom: number | null = null;

  constructor(readonly parts: DaemonParts) {
    this.server = http.createServer(parts.app);
    // Keep-alive sockets must not hold a stopping daemon open.
    this.server.keepAliveTimeout = 5_000;
    // What Node's own parser refuses (a request that is not HTTP, headers too large, a body
    // longer than its Content-Length says) is answered in the API's shape too.
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === "ECONNRESET") return void socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const detail = status === 431 ? "The request's headers are too large (at most 16 KiB in all)." : `The request is not valid HTTP (${err.code ?? "parse error"}).`;
      const body = JSON.stringify({ detail });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  get url(): string {
    const host = this.parts.config.host.includes(":") ? `[${this.parts.config.host}]` : this.parts.config.host;
    return `http://${host}:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.phase !== "stopped") throw new Error(`cannot start the daemon while it is ${this.phase}`);
    this.phase = "starting";
    const { config, personas, agents, store, bus, secrets, log } = this.parts;
    this.io = attachRealtime(this.server, { config, bus, store, agents, secrets, log, plugins: this.parts.plugins });
    // Boot before listening: a request served mid-boot would show active personas as
    // stopped, and a stop sent then would be undone by the boot still starting her.
    await personas.boot();
    try {
      this.port = await listenWithFallback(this.server, config.port, config.host);
    } catch (err) {
      await personas.shutdown();
      await new Promise<void>((resolve) => this.io?.close(() => resolve()));
      this.phase = "failed";
      this.parts.log.error({ host: config.host, port: config.port }, `Eternego could not listen: ${(err as Error).message}`);
      throw err;
    }
    if (config.port !== 0 && this.port !== config.port) this.fellBackFrom = config.port;
    this.phase = "started";
    this.parts.log.info({ url: this.url, home: config.home, version: packageVersion() }, `Eternego ${packageVersion()} started at ${this.url} (home ${config.home})`);
    return this;
  }

  /** Stops every agent (their statuses stay as they are), closes sockets and the server. */
  async stop(): Promise<void> {
    if (this.phase !== "started") return;
    this.phase = "stopping";
    // Stop taking requests first, so nothing can start an agent while they are being stopped.
    await new Promise<void>((resolve) => {
      this.io?.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.parts.personas.shutdown();
    this.parts.log.info({}, "Eternego stopped; every persona keeps her status for the next start");
    await new Promise<void>((resolve) => this.parts.log.flush(() => resolve()));
    this.phase = "stopped";
  }
}
