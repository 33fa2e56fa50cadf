import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Unzip, UnzipInflate } from "fflate";
import { Invalid } from "./api/errors.js";

export interface FedMessage {
  from: "person" | "assistant";
  text: string;
  /** ISO time, when the export says. */
  time: string | null;
}

export interface FedConversation {
  title: string;
  started: string | null;
  messages: FedMessage[];
}

export interface FedExport {
  source: "chatgpt" | "claude";
  conversations: FedConversation[];
}

/** The most of conversations.json read out of an export (a bomb stops here, not in memory). */
export const MAX_JSON_BYTES = 512 * 1024 ** 2;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const iso = (v: unknown): string | null => {
  if (typeof v === "number" && Number.isFinite(v)) return new Date(v * 1000).toISOString();
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString();
  return null;
};

/** `conversations.json` out of a zip, read as a stream: only that entry is inflated, and only up to the cap. */
function jsonFromZip(file: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const stream = fs.createReadStream(file);
    const fail = (msg: string) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(new Invalid(msg));
    };
    const unzip = new Unzip();
    unzip.register(UnzipInflate);
    let found = false;
    const parts: Uint8Array[] = [];
    let size = 0;
    unzip.onfile = (entry) => {
      // The name is only compared, never used as a path: nothing from the archive touches the disk.
      if (found || entry.name.split(/[\\/]/).pop() !== "conversations.json") return;
      found = true;
      entry.ondata = (err, data, final) => {
        if (settled) return;
        if (err) return fail(`'${name}' is damaged: conversations.json inside it cannot be inflated (${err.message}).`);
        size += data.length;
        if (size > MAX_JSON_BYTES) return fail(`conversations.json inside '${name}' is larger than ${MAX_JSON_BYTES / 1024 ** 2} MiB unpacked; that is not a chat export this daemon reads.`);
        parts.push(data);
        if (final) {
          settled = true;
          stream.destroy();
          resolve(Buffer.concat(parts).toString("utf8"));
        }
      };
      entry.start();
    };
    stream.on("data", (chunk) => {
      try {
        unzip.push(chunk as Buffer);
      } catch (err) {
        fail(`'${name}' is not a readable zip archive (${(err as Error).message}).`);
      }
    });
    stream.on("error", (err) => fail(`'${name}' could not be read: ${err.message}`));
    stream.on("end", () => {
      try {
        unzip.push(new Uint8Array(0), true);
      } catch (err) {
        return fail(`'${name}' is not a readable zip archive (${(err as Error).message}).`);
      }
      if (!found) fail(`'${name}' has no conversations.json in it. Upload the .zip your ChatGPT or Claude data export gave you, or the conversations.json from inside it.`);
      else fail(`'${name}' ends before conversations.json inside it does: the archive is cut short.`);
    });
  });
}

async function readJsonText(file: string, name: string): Promise<string> {
  const fh = await fsp.open(file, "r");
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if (head.toString("latin1") === "PK\x03\x04") return await jsonFromZip(file, name);
    if (path.extname(name).toLowerCase() === ".zip") throw new Invalid(`'${name}' is not a zip archive. Upload the .zip your ChatGPT or Claude data export gave you.`);
    const { size } = await fh.stat();
    if (size > MAX_JSON_BYTES) throw new Invalid(`'${name}' is larger than ${MAX_JSON_BYTES / 1024 ** 2} MiB; that is not a chat export this daemon reads.`);
    return (await fh.readFile()).toString("utf8");
  } finally {
    await fh.close();
  }
}

/** ChatGPT: follow `current_node` back through `parent`, so edited and regenerated branches are not mixed in. */
function chatgpt(c: Obj): FedConversation {
  const mapping = isObj(c.mapping) ? c.mapping : {};
  const path: Obj[] = [];
  const seen = new Set<string>();
  let node = typeof c.current_node === "string" ? c.current_node : null;
  while (node && isObj(mapping[node]) && !seen.has(node)) {
    seen.add(node);
    const n = mapping[node] as Obj;
    path.unshift(n);
    node = typeof n.parent === "string" ? n.parent : null;
  }
  const messages: FedMessage[] = [];
  for (const n of path) {
    const m = n.message;
    if (!isObj(m) || !isObj(m.author) || !isObj(m.content)) continue;
    const role = m.author.role;
    if (role !== "user" && role !== "assistant") continue;
    if (isObj(m.metadata) && m.metadata.is_visually_hidden_from_conversation) continue;
    if (m.content.content_type !== "text" && m.content.content_type !== "multimodal_text") continue;
    const parts = Array.isArray(m.content.parts) ? m.content.parts.filter((p): p is string => typeof p === "string") : [];
    const text = parts.join("\n").trim();
    if (text) messages.push({ from: role === "user" ? "person" : "assistant", text, time: iso(m.create_time) });
  }
  return { title: typeof c.title === "string" ? c.title : "", started: iso(c.create_time), messages };
}

function claude(c: Obj): FedConversation {
  const messages: FedMessage[] = [];
  for (const m of Array.isArray(c.chat_messages) ? c.chat_messages : []) {
    if (!isObj(m) || (m.sender !== "human" && m.sender !== "assistant")) continue;
    let text = typeof m.text === "string" ? m.text.trim() : "";
    if (!text && Array.isArray(m.content)) {
      text = m.content.filter((b): b is Obj => isObj(b) && b.type === "text" && typeof b.text === "string").map((b) => b.text as string).join("\n").trim();
    }
    if (text) messages.push({ from: m.sender === "human" ? "person" : "assistant", text, time: iso(m.created_at) });
  }
  return { title: typeof c.name === "string" ? c.name : "", started: iso(c.created_at), messages };
}

function kindOf(c: unknown): "chatgpt" | "claude" | null {
  if (!isObj(c)) return null;
  if (isObj(c.mapping)) return "chatgpt";
  if (Array.isArray(c.chat_messages)) return "claude";
  return null;
}

/**
 * Reads a chat-history export: ChatGPT's (`.zip`, or the `conversations.json` in it) or
 * Claude's (`conversations.json`, or a `.zip` holding it). Anything else is an `Invalid`
 * whose message says what was expected. Nothing is written anywhere.
 */
export async function readExport(filePath: string, fileName: string, source?: "chatgpt" | "claude"): Promise<FedExport> {
  const text = await readJsonText(filePath, fileName);
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new Invalid(`'${fileName}' is not JSON (${(err as Error).message}). Upload conversations.json from a ChatGPT or Claude export, or the export's .zip.`);
  }
  if (!Array.isArray(data)) throw new Invalid(`'${fileName}' is JSON but not a list of conversations; a ChatGPT or Claude conversations.json is a list.`);
  if (!data.length) throw new Invalid(`'${fileName}' has no conversations in it.`);
  const kinds = new Set(data.map(kindOf));
  const found = kinds.has("chatgpt") ? "chatgpt" : kinds.has("claude") ? "claude" : null;
  if (!found) throw new Invalid(`'${fileName}' is a list, but not of ChatGPT conversations (with 'mapping') or Claude conversations (with 'chat_messages').`);
  if (source && source !== found) throw new Invalid(`'${fileName}' was sent as a ${source} export, but it looks like a ${found} export. Send source=${found}, or leave source out.`);
  const conversations = data.filter((c) => kindOf(c) === found).map((c) => (found === "chatgpt" ? chatgpt(c as Obj) : claude(c as Obj))).filter((c) => c.messages.length);
  if (!conversations.length) throw new Invalid(`'${fileName}' has no conversation with any text in it.`);
  return { source: found, conversations };
}
