import { Invalid, Unauthorized, type ChannelContext } from "eternego/plugin";
import { MatrixFault, seg, type Homeserver } from "./homeserver.js";
import { inbound, type RoomEvent } from "./inbound.js";

/** How long one `/sync` waits on the homeserver for news (ms). */
export const SYNC_WAIT_MS = 30_000;
/** How long past its own wait a `/sync` may stay silent before the connection is taken for dead. */
const SYNC_GRACE_MS = 20_000;
/** The longest 429 wait honoured inside the loop; a longer one is left to the daemon's backoff. */
const MAX_WAIT_MS = 60_000;

/** What she needs of a sync: room messages and invitations; not presence, receipts, account data or room state. */
export const FILTER = JSON.stringify({
  presence: { not_types: ["*"] },
  account_data: { not_types: ["*"] },
  room: {
    timeline: { types: ["m.room.message", "m.room.encrypted"], limit: 50 },
    state: { not_types: ["*"] },
    ephemeral: { not_types: ["*"] },
    account_data: { not_types: ["*"] },
  },
});

interface SyncReply {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: RoomEvent[] } }>;
    invite?: Record<string, unknown>;
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });

/**
 * Why the connection cannot go on, as the daemon reads it: `Unauthorized` when the token is
 * no longer good (signed out, deactivated: trying again cannot help), a plain Error when it may.
 */
export function ending(err: unknown, hs: Homeserver): Error {
  if (!(err instanceof MatrixFault)) return err instanceof Error ? err : new Error(String(err));
  if (err.status === 401) {
    return new Unauthorized(`Channel 'matrix': ${hs.base} no longer takes the access token (${err.errcode ?? "401"}) — the session it belongs to was signed out. Add the channel again with a new token.`);
  }
  if (err.status === 403 && err.errcode === "M_USER_DEACTIVATED") return new Invalid(`Channel 'matrix': the account was deactivated on ${hs.base}.`);
  return err;
}

/**
 * Her rooms, by long-polling `/sync`. The `next_batch` kept for her moves on only once every
 * message of a batch was taken by the daemon (`ctx.receive` resolved), so a batch not wholly
 * taken (she stopped, the daemon went down) comes again from where it was, and the daemon's
 * record of handled event ids keeps a message from being taken twice.
 *
 * The very first sync (nothing kept) only marks where she begins: what was said in her rooms
 * before the channel was added is history, not messages to her. Invitations are accepted;
 * a room she joins is hers to answer only once its chat is paired.
 */
export async function listen(hs: Homeserver, me: string, ctx: ChannelContext, signal: AbortSignal): Promise<void> {
  let since = ctx.stored.get<string>("next_batch");
  const warned = new Set<string>();
  while (!signal.aborted) {
    const first = since === undefined;
    let batch: SyncReply;
    try {
      batch = await hs.call<SyncReply>("GET", "/_matrix/client/v3/sync", {
        query: { filter: FILTER, timeout: String(first ? 0 : SYNC_WAIT_MS), since },
        signal,
        timeoutMs: SYNC_WAIT_MS + SYNC_GRACE_MS,
        // A sync catching up many busy rooms is larger than any other answer: refused below this,
        // it would be refused again on every try (its `since` never moves on).
        maxBytes: 128 * 1024 * 1024,
      });
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof MatrixFault && err.status === 429 && (err.retryAfterMs ?? 0) <= MAX_WAIT_MS) {
        await sleep(err.retryAfterMs ?? 5_000, signal);
        continue;
      }
      throw ending(err, hs);
    }
    if (typeof batch?.next_batch !== "string") throw new Error(`${hs.base} answered /sync without a next_batch — is it a Matrix homeserver?`);
    for (const roomId of Object.keys(batch.rooms?.invite ?? {})) await accept(hs, roomId, ctx, signal);
    if (!first) {
      for (const [roomId, room] of Object.entries(batch.rooms?.join ?? {})) {
        for (const ev of room.timeline?.events ?? []) {
          if (ev.type === "m.room.encrypted" && ev.sender !== me && !warned.has(roomId)) {
            warned.add(roomId);
            ctx.log.warn(`Room ${roomId} is end-to-end encrypted, which this plugin cannot read: talk with her in an unencrypted room.`);
          }
          const msg = inbound(hs, roomId, ev, me);
          if (msg) await ctx.receive(msg);
        }
      }
    }
    since = batch.next_batch;
    await ctx.stored.set("next_batch", since);
  }
}

/** Joins a room she was invited to; one that cannot be joined is logged and left. */
async function accept(hs: Homeserver, roomId: string, ctx: ChannelContext, signal: AbortSignal): Promise<void> {
  try {
    await hs.call("POST", `/_matrix/client/v3/rooms/${seg(roomId)}/join`, { body: {}, signal });
    ctx.log.info(`Joined room ${roomId}, which she was invited to.`);
  } catch (err) {
    if (signal.aborted) return;
    ctx.log.warn(`Could not join room ${roomId}: ${(err as Error).message}`);
  }
}
