import fsp from "node:fs/promises";
import yauzl from "yauzl";
import { Invalid } from "./api/errors.js";

export interface FedMessage {
  from: "person" | "assistant";
  text: string;
  /** ISO time, when the export says. */
  time: string | null;
}

export interface FedConversation {
  title: string;
  /** ISO time, when the export says. */
  started: string | null;
  messages: FedMessage[];
}

export interface FedExport {
  source: "chatgpt" | "claude";
  conversations: FedConversation[];
}

type Source = FedExport["source"];

/**
 * The most of conversations.json read, on disk or unpacked from a zip: a bomb stops here, not in
 * memory. It is read into one buffer but never decoded as one string (V8 caps strings just under
 * 512 Mi characters); each conversation is decoded and parsed on its own.
 */
export const MAX_JSON_BYTES = 512 * 1024 ** 2;
/** The most entries a zip may list. A real export has thousands (images, voice clips); millions only slow the scan down. */
export const MAX_ZIP_ENTRIES = 250_000;

const MiB = (n: number) => `${Math.round(n / 1024 ** 2)} MiB`;
const HOW = "Upload the .zip your ChatGPT or Claude data export gave you, or the conversations.json inside it.";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** ChatGPT writes epoch seconds, Claude ISO strings; an ISO string is kept as written. */
function iso(v: unknown): string | null {
  if (typeof v === "number" && Number.isFinite(v)) {
    const d = new Date(v * 1000);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return /^\d{4}-\d\d-\d\dT/.test(v) ? v : new Date(v).toISOString();
  return null;
}

// ---------------------------------------------------------------- reading the bytes

type Entry = yauzl.Entry;

/** The name an entry claims, or null when it is a folder or would climb out of the archive (`../`, `/etc/…`, `C:/…`). */
function safeName(entry: Entry): string | null {
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
  if (name.endsWith("/") || yauzl.validateFileName(name) !== null) return null;
  return name;
}

/**
 * `conversations.json` out of a zip, found through the central directory (the zip's own index)
 * and inflated in memory: nothing from the archive is ever written, so a hostile name has nowhere
 * to go, and no other entry is inflated at all.
 */
async function jsonFromZip(file: string, name: string): Promise<Buffer> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    throw new Invalid(`'${name}' is not a readable zip archive: it is damaged or cut short. Download the export again and upload the .zip as it came.`, { cause: err });
  }
  try {
    if (zip.entryCount > MAX_ZIP_ENTRIES) throw new Invalid(`'${name}' lists ${zip.entryCount} files; a chat export has far fewer (at most ${MAX_ZIP_ENTRIES} are read). ${HOW}`);
    let found: { entry: Entry; depth: number } | null = null;
    try {
      for await (const entry of zip.eachEntry()) {
        const entryName = safeName(entry);
        if (!entryName || entryName.startsWith("__MACOSX/")) continue;
        const parts = entryName.split("/");
        // The export may sit in a folder of its own; the shallowest conversations.json is the export's.
        if (parts.at(-1) === "conversations.json" && (!found || parts.length - 1 < found.depth)) found = { entry, depth: parts.length - 1 };
      }
    } catch (err) {
      throw new Invalid(`'${name}' is a damaged zip archive: its list of files cannot be read. Download the export again and upload the .zip as it came.`, { cause: err });
    }
    if (!found) throw new Invalid(`'${name}' has no conversations.json in it. ${HOW}`);
    return await inflate(zip, found.entry, name);
  } finally {
    zip.close();
  }
}

async function inflate(zip: yauzl.ZipFile, entry: Entry, name: string): Promise<Buffer> {
  if (entry.isEncrypted()) throw new Invalid(`conversations.json inside '${name}' is encrypted. Upload the export as it came, without a password.`);
  if (!entry.canDecodeFileData()) throw new Invalid(`conversations.json inside '${name}' is packed with a compression this daemon does not read (method ${entry.compressionMethod}). Zip it again with ordinary deflate, or upload conversations.json itself.`);
  // yauzl holds the stream to the size the directory declares (validateEntrySizes), so refusing on it up front is enough against a bomb.
  if (entry.uncompressedSize > MAX_JSON_BYTES) {
    throw new Invalid(`conversations.json inside '${name}' is larger than ${MiB(MAX_JSON_BYTES)} unpacked (${MiB(entry.uncompressedSize)}); that is more than is read from one export.`);
  }
  const out = Buffer.allocUnsafe(entry.uncompressedSize);
  let size = 0;
  try {
    const stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (size + chunk.length > out.length) throw new Error("more bytes than declared");
      chunk.copy(out, size);
      size += chunk.length;
    }
  } catch (err) {
    throw new Invalid(`conversations.json inside '${name}' is damaged and cannot be unpacked. Download the export again and upload the .zip as it came.`, { cause: err });
  }
  if (size !== out.length) throw new Invalid(`conversations.json inside '${name}' is cut short. Download the export again and upload the .zip as it came.`);
  return out;
}

async function readBytes(file: string, name: string): Promise<Buffer> {
  const fh = await fsp.open(file, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    // "PK" opens every zip (local header, or the end record of an empty one); no JSON text can start with it.
    if (head.toString("latin1") === "PK") return await jsonFromZip(file, name);
    if (/\.zip$/i.test(name)) throw new Invalid(`'${name}' is not a zip archive. ${HOW}`);
    if (size > MAX_JSON_BYTES) throw new Invalid(`'${name}' is larger than ${MiB(MAX_JSON_BYTES)} (${MiB(size)}); that is more than is read from one export.`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- the JSON list, one conversation at a time

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
function skipSpace(b: Buffer, i: number): number {
  while (isSpace(b[i])) i++;
  return i;
}

/**
 * Where the JSON value starting at `i` ends (exclusive), or -1 when the text ends first.
 * Only brackets outside strings are counted; JSON.parse checks the value itself. Bytes of
 * multi-byte UTF-8 characters are all ≥ 0x80, so they never look like brackets or quotes.
 */
function valueEnd(b: Buffer, i: number): number {
  let depth = 0;
  let inString = false;
  for (; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      if (--depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || isSpace(c))) return i;
  }
  return depth === 0 && !inString ? i : -1;
}

/**
 * The items of a top-level JSON list, parsed one by one: an export of a few hundred MB never
 * becomes one string and one object graph, only one conversation at a time.
 */
function* listItems(b: Buffer, name: string): Generator<unknown> {
  const notJson = (why: string, cause?: unknown) => new Invalid(`'${name}' is not JSON (${why}). ${HOW}`, { cause });
  let i = skipSpace(b, b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0);
  if (i === b.length) throw new Invalid(`'${name}' is empty. ${HOW}`);
  if (b[i] !== 0x5b) {
    let whole: unknown;
    try {
      whole = JSON.parse(b.toString("utf8", i));
    } catch (err) {
      throw notJson(`it does not start like JSON: ${JSON.stringify(b.toString("utf8", i, i + 12))}`, err);
    }
    throw new Invalid(`'${name}' is JSON, but ${isObj(whole) ? "an object" : `a ${typeof whole}`}, not a list of conversations: a ChatGPT or Claude conversations.json is a list. ${HOW}`);
  }
  i = skipSpace(b, i + 1);
  if (b[i] !== 0x5d) {
    for (;;) {
      const end = valueEnd(b, i);
      if (end < 0) throw notJson(`it is cut short at byte ${b.length}`);
      try {
        yield JSON.parse(b.toString("utf8", i, end));
      } catch (err) {
        throw notJson(`item at byte ${i} is malformed`, err);
      }
      i = skipSpace(b, end);
      if (b[i] === 0x5d) break;
      if (b[i] !== 0x2c) throw notJson(i === b.length ? `it is cut short at byte ${i}` : `unexpected ${JSON.stringify(String.fromCharCode(b[i]))} at byte ${i}`);
      i = skipSpace(b, i + 1);
    }
  }
  i = skipSpace(b, i + 1);
  if (i < b.length) throw notJson(`something follows the list at byte ${i}`);
}

// ---------------------------------------------------------------- the two shapes

/**
 * The branch that ends at `current_node`, oldest first. ChatGPT keeps every edit and regeneration
 * as a sibling branch; only the one the person last saw is what was said.
 */
function chatgptBranch(c: Obj): Obj[] {
  const mapping = c.mapping as Obj;
  const at = (id: unknown): Obj | null => (typeof id === "string" && Object.hasOwn(mapping, id) && isObj(mapping[id]) ? (mapping[id] as Obj) : null);
  let id: unknown = c.current_node;
  if (!at(id)) {
    // No usable current_node: from the root down, the newest child each time.
    id = Object.keys(mapping).find((k) => at(k) && !at(at(k)!.parent));
    for (const seen = new Set<unknown>(); at(id) && !seen.has(id); ) {
      seen.add(id);
      const kids = at(id)!.children;
      const newest = Array.isArray(kids) ? kids.at(-1) : undefined;
      if (!at(newest)) break;
      id = newest;
    }
  }
  const branch: Obj[] = [];
  for (const seen = new Set<unknown>(); at(id) && !seen.has(id); id = at(id)!.parent) {
    seen.add(id);
    branch.push(at(id)!);
  }
  return branch.reverse();
}

function chatgpt(c: Obj): FedConversation {
  const messages: FedMessage[] = [];
  for (const n of chatgptBranch(c)) {
    const m = n.message;
    if (!isObj(m) || !isObj(m.author) || !isObj(m.content)) continue;
    const role = m.author.role;
    if (role !== "user" && role !== "assistant") continue;
    if (isObj(m.metadata) && m.metadata.is_visually_hidden_from_conversation) continue;
    // multimodal_text is text with pictures among its parts; the pictures are objects and are left out.
    if (m.content.content_type !== "text" && m.content.content_type !== "multimodal_text") continue;
    const parts = Array.isArray(m.content.parts) ? m.content.parts.filter((p): p is string => typeof p === "string") : [];
    const text = parts.join("\n").trim();
    if (text) messages.push({ from: role === "user" ? "person" : "assistant", text, time: iso(m.create_time) });
  }
  return { title: typeof c.title === "string" ? c.title : "", started: iso(c.create_time), messages };
}

function claude(c: Obj): FedConversation {
  const messages: FedMessage[] = [];
  for (const m of c.chat_messages as unknown[]) {
    if (!isObj(m)) continue;
    const from = m.sender === "human" || m.sender === "user" ? "person" : m.sender === "assistant" ? "assistant" : null;
    if (!from) continue;
    let text = typeof m.text === "string" ? m.text.trim() : "";
    if (!text && Array.isArray(m.content)) {
      text = m.content
        .filter((b): b is Obj => isObj(b) && b.type === "text" && typeof b.text === "string")
        .map((b) => b.text as string)
        .join("\n")
        .trim();
    }
    if (text) messages.push({ from, text, time: iso(m.created_at) });
  }
  return { title: typeof c.name === "string" ? c.name : "", started: iso(c.created_at), messages };
}

function kindOf(c: unknown): Source | null {
  if (!isObj(c)) return null;
  if (isObj(c.mapping)) return "chatgpt";
  if (Array.isArray(c.chat_messages)) return "claude";
  return null;
}

/**
 * Reads a chat-history export: ChatGPT's (its `.zip`, or the `conversations.json` in it) or
 * Claude's (`conversations.json`, or a `.zip` holding it). The kind is read from the structure;
 * `source`, when given, must agree with it. Conversations with no text in them are left out.
 * Anything that is not such an export is an `Invalid` saying what was expected. Nothing is
 * written anywhere.
 *
 * @example
 * const { source, conversations } = await readExport(upload.path, "chatgpt-export.zip");
 */
export async function readExport(filePath: string, fileName: string, source?: Source): Promise<FedExport> {
  const bytes = await readBytes(filePath, fileName);
  let found: Source | null = null;
  let items = 0;
  const conversations: FedConversation[] = [];
  for (const item of listItems(bytes, fileName)) {
    items++;
    const kind = kindOf(item);
    if (!kind) continue;
    if (!found) {
      found = kind;
      if (source && source !== kind) {
        // The lower-case names are the values `source` takes, so the fix reads straight off the message.
        throw new Invalid(`'${fileName}' was sent as a ${source} export, but it looks like a ${kind} export. Send source=${kind}, or leave source out.`);
      }
    }
    if (kind !== found) continue;
    const c = kind === "chatgpt" ? chatgpt(item as Obj) : claude(item as Obj);
    if (c.messages.length) conversations.push(c);
  }
  if (!items) throw new Invalid(`'${fileName}' has no conversations in it: the list is empty.`);
  if (!found) throw new Invalid(`'${fileName}' is a list, but not of ChatGPT conversations (with 'mapping') or Claude conversations (with 'chat_messages'). ${HOW}`);
  if (!conversations.length) throw new Invalid(`'${fileName}' has no conversations with any text in them.`);
  return { source: found, conversations };
}
