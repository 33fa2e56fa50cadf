import fs from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { InboundAttachment, InboundMessage } from "eternego/plugin";
import { reasonOf } from "./rest.js";

/** The message flag Discord sets on a voice message (recorded in the app, not a file attached). */
const IS_VOICE_MESSAGE = 1 << 13;
/** DEFAULT and REPLY: what a person writes. Joins, pins and calls are the platform's own notices. */
const SPOKEN_TYPES = new Set([0, 19]);
const DOWNLOAD_TIMEOUT_MS = 60_000;

interface DiscordAttachment {
  id?: string;
  filename?: string;
  size?: number;
  url?: string;
  content_type?: string;
}

/**
 * A MESSAGE_CREATE as the core takes it, or null when it is not for her: only direct messages
 * (no `guild_id`), and never a bot's — herself included, since Discord sends her own
 * messages back to her too.
 */
export function inboundOf(d: any, self: string | null, signal: AbortSignal): InboundMessage | null {
  if (!d || typeof d !== "object" || typeof d.id !== "string" || typeof d.channel_id !== "string") return null;
  const author = d.author;
  if (d.guild_id || !author || author.bot || author.system || d.webhook_id || (self && author.id === self)) return null;
  if (!SPOKEN_TYPES.has(d.type ?? 0)) return null;
  const voice = ((d.flags ?? 0) & IS_VOICE_MESSAGE) !== 0;
  const attachments = (Array.isArray(d.attachments) ? (d.attachments as DiscordAttachment[]) : [])
    .filter((a) => typeof a?.filename === "string" && typeof a.url === "string")
    .map((a): InboundAttachment => ({
      name: a.filename!,
      kind: voice || /^audio\//i.test(a.content_type ?? "") ? "voice" : "file",
      ...(typeof a.size === "number" ? { size: a.size } : {}),
      download: (to, maxBytes) => download(a.url!, a.filename!, to, maxBytes, signal),
    }));
  return {
    id: d.id,
    chat: d.channel_id,
    ...(typeof author.username === "string" ? { from: author.username } : {}),
    text: typeof d.content === "string" ? d.content : "",
    ...(attachments.length ? { attachments } : {}),
  };
}

/**
 * An attachment from Discord's CDN into `to`, at most `maxBytes` of it. Attachment URLs are
 * signed and public: the bot token is never sent with them (it must not reach a CDN or
 * whatever host a URL names).
 */
async function download(url: string, name: string, to: string, maxBytes: number, signal: AbortSignal): Promise<void> {
  if (!/^https?:\/\//i.test(url)) throw new Error(`'${name}' has no http(s) address to fetch it from`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]) });
  } catch (err) {
    throw new Error(`Discord's CDN could not be reached for '${name}': ${reasonOf(err)}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`Discord's CDN answered ${res.status} for '${name}'`);
  }
  const told = Number(res.headers.get("content-length"));
  if (told > maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new Error(`'${name}' is ${told} bytes, more than the ${maxBytes} allowed`);
  }
  let got = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      done(got > maxBytes ? new Error(`'${name}' is more than the ${maxBytes} bytes allowed`) : null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), cap, fs.createWriteStream(to, { mode: 0o600 }));
  } catch (err) {
    await fs.promises.rm(to, { force: true });
    throw err instanceof Error && err.message.startsWith(`'${name}'`) ? err : new Error(`'${name}' could not be fetched from Discord's CDN: ${reasonOf(err)}`);
  }
}
