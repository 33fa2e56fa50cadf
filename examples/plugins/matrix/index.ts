import { defineChannel, Invalid } from "eternego/plugin";
import { MatrixFault, homeserver, type Homeserver } from "./src/homeserver.js";
import { sender } from "./src/send.js";
import { ending, listen } from "./src/sync.js";

/** Who the token is, or why not, in words a person can act on. */
async function whoami(hs: Homeserver, signal?: AbortSignal): Promise<string> {
  const me = await hs.call<{ user_id?: unknown }>("GET", "/_matrix/client/v3/account/whoami", { signal, timeoutMs: 15_000 });
  if (typeof me.user_id !== "string") throw new MatrixFault(200, null, `${hs.base} answered whoami without a user_id — is it a Matrix homeserver's client URL?`);
  return me.user_id;
}

/**
 * An example third-party channel plugin: Matrix, through the Client-Server API with an
 * account's access token. She is in rooms as that account: `/sync` long polling in (so
 * nothing needs to reach this machine from outside), `PUT …/send` out, each room a chat to
 * pair. Importing this file does nothing but build the descriptor.
 */
export default defineChannel({
  name: "matrix",
  version: "1.0.0",
  eternego: "^0.1.0",
  title: "Matrix",
  credentials: [
    { key: "homeserver", label: "Homeserver URL (e.g. https://matrix-client.matrix.org)", secret: false, required: true },
    { key: "token", label: "Access token of her account", secret: true, required: true },
  ],
  maxText: 16_000,

  async validate(credentials) {
    const hs = homeserver(credentials);
    try {
      return { name: await whoami(hs) };
    } catch (err) {
      if (!(err instanceof MatrixFault)) throw err;
      if (err.status === 401) {
        throw new Invalid(
          `Channel 'matrix': ${hs.base} refused the access token (${err.errcode ?? "401"}). Copy it again — in Element: Settings → Help & About → Access token — from a session that stays signed in (signing out revokes it).`,
        );
      }
      if (err.status === null) throw new Invalid(`Channel 'matrix': ${err.message}. Check the homeserver URL and this machine's connection.`);
      if (err.status === 404 || err.errcode === "M_UNRECOGNIZED" || err.status === 200) {
        throw new Invalid(`Channel 'matrix': ${hs.base} does not answer the Matrix client API (${err.message}). Give the homeserver's client URL, e.g. https://matrix-client.matrix.org for matrix.org.`);
      }
      throw new Invalid(`Channel 'matrix': ${err.message}`);
    }
  },

  async connect(credentials, ctx) {
    const hs = homeserver(credentials);
    let me: string;
    try {
      me = await whoami(hs, ctx.signal);
    } catch (err) {
      throw ending(err, hs);
    }
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, ctx.signal]);
    const closed = listen(hs, me, ctx, signal);
    // Nobody may be waiting on `closed` yet when it fails: kept from being an unhandled rejection.
    closed.catch(() => {});
    return {
      ...sender(hs, me),
      closed,
      async close() {
        stop.abort();
        await closed.catch(() => {});
      },
    };
  },
});
