import type http from "node:http";
import { Server } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "./api/events.js";
import type Joi from "joi";
import type { AgentRegistry } from "./agent-registry.js";
import type { Config } from "./config.js";
import type { EventBus } from "./event-bus.js";
import { renderError } from "./http/errors.js";
import { guardRequest, sameToken } from "./http/guards.js";
import { chatSend, personaId } from "./http/schemas.js";
import { check } from "./http/validation.js";
import type { KnownSecrets } from "./known-secrets.js";
import type { Logger } from "./logger.js";
import type { PersonaStore } from "./persona-store.js";
import type { PluginRegistry } from "./plugin-registry.js";

export type Realtime = Server<ClientToServerEvents, ServerToClientEvents>;

const room = (id: string) => `persona:${id}`;

export interface RealtimeDeps {
  config: Config;
  bus: EventBus;
  store: PersonaStore;
  agents: AgentRegistry;
  secrets: KnownSecrets;
  log: Logger;
  plugins: PluginRegistry;
}

/**
 * socket.io on the daemon's own server. The handshake passes the same browser defences as
 * HTTP; every client event is validated by the same joi schemas as its HTTP twin and its
 * errors are rendered by the same renderer, so an ack looks like an HTTP answer. An event
 * sent without an ack is still carried out. `persona:changed` goes to everyone; a persona's
 * other events go to her room, which a client joins with `persona:watch`.
 */
export function attachRealtime(server: http.Server, deps: RealtimeDeps): Realtime {
  const { config, bus, store, agents, secrets, log } = deps;
  const io: Realtime = new Server(server, {
    serveClient: false,
    cors: { origin: false },
    allowRequest: (req, cb) => {
      // A handshake is treated as state-changing: a foreign page must not open one.
      const err = config.token ? null : guardRequest(config, req, true);
      cb(err ? err.message : null, !err);
    },
  });
  io.use((socket, next) => {
    if (!config.token) return next();
    const header = /^Bearer\s+(.+)$/i.exec(socket.handshake.headers.authorization ?? "")?.[1];
    const given = (socket.handshake.auth as { token?: string })?.token ?? header ?? "";
    next(sameToken(String(given), config.token) ? undefined : new Error("This daemon requires a token: connect with auth: { token }."));
  });

  /** One client event: validated, carried out, acknowledged (when the client asked) with data or the rendered error. */
  const on = <T, R>(event: string, schema: Joi.Schema, run: (payload: T) => Promise<R>, first?: (payload: unknown) => Promise<void>) =>
    async (payload: unknown, ack?: unknown) => {
      const reply = typeof ack === "function" ? (ack as (r: unknown) => void) : () => {};
      try {
        // As on HTTP: 404 and 409 come before anything about the rest of the payload.
        await first?.(payload);
        reply({ ok: true, data: await run(check<T>(schema, payload, "payload")) });
      } catch (err) {
        const { status, detail } = renderError(err, secrets, log, { method: "socket", path: event });
        reply({ ok: false, status, detail });
      }
    };

  io.on("connection", (socket) => {
    socket.on("persona:watch", on<string, { watching: string }>("persona:watch", personaId.required(), async (id) => {
      await store.get(id);
      await socket.join(room(id));
      return { watching: id };
    }));
    socket.on("persona:unwatch", on<string, { watching: null }>("persona:unwatch", personaId.required(), async (id) => {
      await socket.leave(room(id));
      return { watching: null };
    }));
    const live = async (payload: unknown) => {
      const id = (payload as { persona?: unknown } | null)?.persona;
      if (typeof id !== "string") return;
      await store.get(id);
      agents.get(id);
    };
    socket.on("chat:send", on<{ persona: string; message: string }, { status: "received"; id: string }>("chat:send", chatSend, async ({ persona, message }) => {
      const entry = await agents.get(persona).read(message, deps.plugins.home.name);
      return { status: "received", id: entry.id };
    }, live));
  });

  bus.on("persona:changed", (e) => io.emit("persona:changed", e));
  bus.on("organ:progress", (e) => (e.persona ? io.to(room(e.persona)).emit("organ:progress", e) : io.emit("organ:progress", e)));
  bus.on("chat:message", (e) => io.to(room(e.persona)).emit("chat:message", e));
  bus.on("chat:delta", (e) => io.to(room(e.persona)).emit("chat:delta", e));
  bus.on("chat:withdrawn", (e) => io.to(room(e.persona)).emit("chat:withdrawn", e));
  bus.on("mind:activity", (e) => io.to(room(e.persona)).emit("mind:activity", e));
  bus.on("feed:progress", (e) => io.to(room(e.persona)).emit("feed:progress", e));
  bus.on("organ:fault", (e) => io.to(room(e.persona)).emit("organ:fault", e));
  bus.on("channel:state", (e) => io.to(room(e.persona)).emit("channel:state", e));
  return io;
}
