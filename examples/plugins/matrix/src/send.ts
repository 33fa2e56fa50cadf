import { Invalid } from "eternego/plugin";
import { MatrixFault, seg, type Homeserver } from "./homeserver.js";

const SEND_TIMEOUT_MS = 30_000;
/** How long "is typing" shows in the room (the daemon shows it again every few seconds while she thinks). */
const TYPING_MS = 6_000;

/** Why a send failed, as the outbox reads it: `Invalid` when the room will never take it (she is not in it), so it is dropped. */
function sendError(err: unknown, roomId: string): Error {
  if (!(err instanceof MatrixFault)) return err instanceof Error ? err : new Error(String(err));
  if (err.status === 403 || (err.status === 404 && err.errcode === "M_NOT_FOUND")) return new Invalid(`Matrix refused a message to room ${roomId}: ${err.message}`);
  // A revoked token (401) is not the message's fault: it waits, and the sync loop ends the connection.
  return err;
}

/**
 * Her words into a room: `PUT …/send/m.room.message/{txnId}`. The homeserver stores a
 * transaction id once per access token, and the daemon gives every try of one message the
 * same `ref`: a send that reached the homeserver but whose answer was lost is tried again
 * with the same id, and she says it once.
 */
export function sender(hs: Homeserver, me: string) {
  return {
    async send(chat: string, text: string, ref: string): Promise<void> {
      try {
        await hs.call("PUT", `/_matrix/client/v3/rooms/${seg(chat)}/send/m.room.message/${seg(`eternego.${ref}`)}`, { body: { msgtype: "m.text", body: text }, timeoutMs: SEND_TIMEOUT_MS });
      } catch (err) {
        throw sendError(err, chat);
      }
    },
    async typing(chat: string): Promise<void> {
      await hs.call("PUT", `/_matrix/client/v3/rooms/${seg(chat)}/typing/${seg(me)}`, { body: { typing: true, timeout: TYPING_MS }, timeoutMs: 10_000 });
    },
  };
}
