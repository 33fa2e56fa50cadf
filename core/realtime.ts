import type http from "node:http";
import { Server } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "./api/events.js";
import { EternegoError } from "./api/errors.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { Config } from "./config.js";
import type { EventBus } from "./event-bus.js";
import { guardRequest, sameToken } from "./http/guards.js";
import type { PersonaStore } from "./persona-store.js";

export type Realtime = Server<ClientToServerEvents, ServerToClientEvents>;

const room = (id: string) => `persona:${id}`;

function failure(err: unknown) {
  if (err instanceof EternegoError) return { ok: false as const, status: err.status, detail: err.message };
  return { ok: false as const, status: 500, detail: `${(err as Error)?.name ?? "Error"}: request failed` };
}

/**
 * socket.io on the daemon's own server. The handshake passes the same browser defences as
 * HTTP. `persona:changed` goes to everyone; a persona's other events go to her room, which
 * a client joins with `persona:watch`.
 */
export function attachRealtime(server: http.Server, deps: { config: Config; bus: EventBus; store: PersonaStore; agents: AgentRegistry }): Realtime {
  const { config, bus, store, agents } = deps;
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

  io.on("connection", (socket) => {
    socket.on("persona:watch", async (id, ack) => {
      try {
        await store.get(String(id));
        await socket.join(room(String(id)));
        ack?.({ ok: true, data: { watching: String(id) } });
      } catch (err) {
        ack?.(failure(err));
      }
    });
    socket.on("persona:unwatch", async (id, ack) => {
      await socket.leave(room(String(id)));
      ack?.({ ok: true, data: { watching: null } });
    });
    socket.on("chat:send", async (req, ack) => {
      if (typeof ack !== "function") return;
      try {
        await store.get(String(req?.persona));
        const agent = agents.get(String(req.persona));
        const message = req.message;
        if (typeof message !== "string" || !message.trim() || message.length > 100_000) {
          return ack({ ok: false, status: 422, detail: [{ loc: ["message"], msg: '"message" must be a non-empty string of at most 100000 characters', type: "string.base" }] });
        }
        const entry = await agent.read(message, "web");
        ack({ ok: true, data: { status: "received", id: entry.id } });
      } catch (err) {
        ack(failure(err));
      }
    });
  });

  bus.on("persona:changed", (e) => io.emit("persona:changed", e));
  bus.on("organ:progress", (e) => (e.persona ? io.to(room(e.persona)).emit("organ:progress", e) : io.emit("organ:progress", e)));
  bus.on("chat:message", (e) => io.to(room(e.persona)).emit("chat:message", e));
  bus.on("chat:delta", (e) => io.to(room(e.persona)).emit("chat:delta", e));
  bus.on("mind:activity", (e) => io.to(room(e.persona)).emit("mind:activity", e));
  bus.on("feed:progress", (e) => io.to(room(e.persona)).emit("feed:progress", e));
  bus.on("organ:fault", (e) => io.to(room(e.persona)).emit("organ:fault", e));
  bus.on("channel:state", (e) => io.to(room(e.persona)).emit("channel:state", e));
  return io;
}
