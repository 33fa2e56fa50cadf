import fs from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { InboundAttachment, InboundMessage } from "eternego/plugin";
import { seg, type Homeserver } from "./homeserver.js";

/** A room event as `/sync` gives it (only what this plugin reads). */
export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: {
    msgtype?: string;
    body?: string;
    filename?: string;
    url?: string;
    info?: { size?: number };
    "m.relates_to"?: { rel_type?: string };
    "org.matrix.msc3245.voice"?: unknown;
  };
}

const TEXT = new Set(["m.text", "m.notice", "m.emote"]);
const FILES = new Set(["m.image", "m.file", "m.audio", "m.video"]);

/**
 * A reply's body starts with the message it answers, quoted ("> <@a:b> what was said", then a
 * blank line): she gets what was written, not the quote.
 */
export function withoutReplyFallback(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith(">")) i++;
  if (i === 0 || lines[i] !== "") return body;
  return lines.slice(i + 1).join("\n");
}

/**
 * A room event as a message for her, or null when it is not one: only `m.room.message` from
 * someone else (her own echoes come back through sync too), not an edit of an earlier one
 * (that would be a second message), text or a file.
 */
export function inbound(hs: Homeserver, roomId: string, ev: RoomEvent, me: string): InboundMessage | null {
  if (ev.type !== "m.room.message" || ev.sender === me || !ev.event_id) return null;
  const c = ev.content ?? {};
  if (c["m.relates_to"]?.rel_type === "m.replace") return null;
  const base = { id: ev.event_id, chat: roomId, from: ev.sender };
  if (TEXT.has(c.msgtype ?? "") && typeof c.body === "string") return { ...base, text: withoutReplyFallback(c.body) };
  if (FILES.has(c.msgtype ?? "") && typeof c.url === "string" && c.url.startsWith("mxc://")) {
    const name = c.filename ?? c.body ?? "file";
    // With `filename`, `body` is a caption the person wrote (Matrix 1.10); without it, `body` is the name.
    const caption = c.filename && c.body && c.body !== c.filename ? c.body : "";
    return { ...base, text: caption, attachments: [attachment(hs, c.url, name, c.msgtype === "m.audio" && c["org.matrix.msc3245.voice"] !== undefined, c.info?.size)] };
  }
  return null;
}

/** A file in a room: fetched only if the daemon wants it, through the authenticated media API. */
function attachment(hs: Homeserver, mxc: string, name: string, voice: boolean, size: number | undefined): InboundAttachment {
  const [server = "", mediaId = ""] = mxc.slice("mxc://".length).split("/");
  return {
    name,
    kind: voice ? "voice" : "file",
    ...(typeof size === "number" ? { size } : {}),
    async download(to, maxBytes) {
      const res = await hs.stream(`/_matrix/client/v1/media/download/${seg(server)}/${seg(mediaId)}`);
      const out = fs.createWriteStream(to, { mode: 0o600 });
      let got = 0;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          got += chunk.length;
          if (got > maxBytes) throw new Error(`'${name}' is larger than ${maxBytes} bytes`);
          if (!out.write(chunk)) await once(out, "drain");
        }
      } finally {
        out.end();
        await finished(out).catch(() => {});
      }
    },
  };
}
