import { defineChannel } from "eternego/plugin";

/**
 * The web: the dashboard and any HTTP or socket.io client of this daemon. Always there, on
 * every persona, needing no credentials and no pairing (whoever reaches the daemon is hers:
 * the daemon's own defences decide who that is). Her words reach pages through the daemon's
 * events, so there is nothing to send: the connection is up as long as the daemon is.
 */
export default defineChannel({
  name: "web",
  version: "1.0.0",
  title: "Web (the dashboard and HTTP)",
  credentials: [],
  maxText: 100_000,
  pairing: false,
  always: true,
  async validate() {
    return { name: "web" };
  },
  async connect(_credentials, ctx) {
    ctx.state("connected");
    return {
      async send() {},
      closed: new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
      async close() {},
    };
  },
});
