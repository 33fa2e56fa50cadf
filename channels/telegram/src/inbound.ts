import type { InboundAttachment, InboundMessage } from "eternego/plugin";
import { ApiFault, type BotApi } from "./bot-api.js";

/** The parts of the Bot API's objects this channel reads (https://core.telegram.org/bots/api#available-types). */
export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
}

interface TgFileRef {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
}

interface TgPhotoSize extends TgFileRef {
  width: number;
  height: number;
}

interface TgNamedFile extends TgFileRef {
  file_name?: string;
  mime_type?: string;
}

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: { id: number; type: string; title?: string; username?: string; first_name?: string };
  date: number;
  text?: string;
  caption?: string;
  photo?: TgPhotoSize[];
  voice?: TgNamedFile;
  audio?: TgNamedFile & { title?: string };
  document?: TgNamedFile;
  video?: TgNamedFile;
  video_note?: TgFileRef;
  animation?: TgNamedFile;
  sticker?: TgFileRef & { emoji?: string };
  location?: { latitude: number; longitude: number };
  venue?: { location: { latitude: number; longitude: number }; title: string; address: string };
  contact?: { phone_number: string; first_name: string; last_name?: string };
  poll?: { question: string; options: { text: string }[] };
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  [other: string]: unknown;
}

interface TgFile extends TgFileRef {
  file_path?: string;
}

/** What the Bot API lets a bot download (getFile refuses larger files: "file is too big"). */
const DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** The extension a MIME type usually has, for files that come without a name. */
const EXTENSIONS: Record<string, string> = {
  "audio/mpeg": ".mp3",
  "audio/mp4": ".m4a",
  "audio/x-m4a": ".m4a",
  "audio/ogg": ".ogg",
  "audio/opus": ".opus",
  "audio/flac": ".flac",
  "audio/x-flac": ".flac",
  "audio/wav": ".wav",
  "audio/x-wav": ".wav",
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/webp": ".webp",
  "image/gif": ".gif",
  "application/pdf": ".pdf",
  "text/plain": ".txt",
  "video/mp4": ".mp4",
};

/** A file name a sender chose, kept to its last part and to characters any file system takes. */
function safeName(name: string | undefined, fallback: string): string {
  const base = (name ?? "").split(/[/\\]/).pop()!.replace(/[\u0000-\u001f<>:"|?*]/g, "_").trim();
  return base && base !== "." && base !== ".." ? base.slice(-200) : fallback;
}

const nameOf = (f: TgNamedFile, kind: string, ext: string) => safeName(f.file_name, `${kind}-${f.file_unique_id}${EXTENSIONS[f.mime_type ?? ""] ?? ext}`);

/** Who sent a message, as the person would recognise them. */
function sender(m: TgMessage): string | undefined {
  const u = m.from;
  if (!u) return m.chat.title;
  return u.username ? `@${u.username}` : [u.first_name, u.last_name].filter(Boolean).join(" ") || undefined;
}

/** The things in a message that are not words or files, said in words she can take in. */
function described(m: TgMessage): string {
  if (m.sticker) return m.sticker.emoji ?? "";
  if (m.venue) return `(a place: ${m.venue.title}, ${m.venue.address} — ${m.venue.location.latitude}, ${m.venue.location.longitude})`;
  if (m.location) return `(a location: ${m.location.latitude}, ${m.location.longitude})`;
  if (m.contact) return `(a contact: ${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(" ")}, ${m.contact.phone_number})`;
  if (m.poll) return `(a poll: ${m.poll.question} — ${m.poll.options.map((o) => o.text).join(" / ")})`;
  return "";
}

/**
 * An update as the daemon takes it: a message from a person, its files to fetch when asked.
 * Null for what is not one (an edit, a button press, a member joining, a bot's message).
 */
export function inbound(update: TgUpdate, api: BotApi): InboundMessage | null {
  const m = update.message;
  if (!m || !m.chat || typeof m.message_id !== "number" || m.from?.is_bot) return null;
  const attachments: InboundAttachment[] = [];
  const file = (ref: TgFileRef, name: string, kind: "voice" | "file") =>
    attachments.push({ name, kind, ...(ref.file_size !== undefined ? { size: ref.file_size } : {}), download: (to, maxBytes) => fetchFile(api, ref, to, maxBytes) });
  if (m.photo?.length) {
    // Telegram sends a picture in several sizes; the largest is the picture.
    const largest = m.photo.reduce((a, b) => ((b.file_size ?? b.width * b.height) > (a.file_size ?? a.width * a.height) ? b : a));
    file(largest, `photo-${largest.file_unique_id}.jpg`, "file");
  }
  if (m.voice) file(m.voice, `voice-${m.voice.file_unique_id}.ogg`, "voice");
  if (m.audio) file(m.audio, nameOf(m.audio, "audio", ".mp3"), "file");
  if (m.document) file(m.document, nameOf(m.document, "document", ""), "file");
  if (m.video) file(m.video, nameOf(m.video, "video", ".mp4"), "file");
  if (m.animation && !m.document) file(m.animation, nameOf(m.animation, "animation", ".mp4"), "file");
  if (m.video_note) file(m.video_note, `video-note-${m.video_note.file_unique_id}.mp4`, "file");
  const text = m.text ?? m.caption ?? described(m);
  if (!text.trim() && !attachments.length) return null;
  const from = sender(m);
  return { id: String(m.message_id), chat: String(m.chat.id), ...(from ? { from } : {}), text, ...(attachments.length ? { attachments } : {}) };
}

/**
 * `getFile`, then the file itself, streamed to `to`: at most `maxBytes` of it. Not cut off when
 * the channel closes: a file that failed is answered as one she could not fetch, and the
 * message is then taken — while a download that finishes lets her stop the usual way (the
 * message not taken, so it comes again).
 */
async function fetchFile(api: BotApi, ref: TgFileRef, to: string, maxBytes: number): Promise<void> {
  const limit = Math.min(maxBytes, DOWNLOAD_LIMIT);
  if (ref.file_size !== undefined && ref.file_size > limit) throw tooLarge(ref.file_size, maxBytes);
  let f: TgFile;
  try {
    f = await api.call<TgFile>("getFile", { file_id: ref.file_id }, { timeoutMs: 30_000 });
  } catch (err) {
    if (err instanceof ApiFault) throw new Error(`Telegram would not give the file (${err.message})`);
    throw err;
  }
  if (!f?.file_path) throw new Error("Telegram gave no path to download the file from");
  if (f.file_size !== undefined && f.file_size > maxBytes) throw tooLarge(f.file_size, maxBytes);
  await api.download(f.file_path, to, maxBytes, { timeoutMs: 120_000 });
}

const sizeOf = (n: number) => (n < 1024 ? `${n} bytes` : n < 1024 ** 2 ? `${Math.round((n / 1024) * 10) / 10} KB` : `${Math.round((n / 1024 ** 2) * 10) / 10} MB`);

function tooLarge(size: number, maxBytes: number): Error {
  return new Error(
    size > DOWNLOAD_LIMIT && maxBytes > DOWNLOAD_LIMIT ? `it is ${sizeOf(size)}, and Telegram lets bots fetch files of ${sizeOf(DOWNLOAD_LIMIT)} at most` : `it is ${sizeOf(size)}, more than the ${sizeOf(maxBytes)} she takes`,
  );
}
