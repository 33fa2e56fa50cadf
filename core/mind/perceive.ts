import fs from "node:fs/promises";
import path from "node:path";
import { Invalid, isEternegoError } from "../api/errors.js";
import { isOrganFault } from "../api/organ-fault.js";
import type { PerceptionContext, PerceptionPlugin } from "../api/plugin.js";
import type { Memory } from "./memory.js";

/** The first bytes a perception's `sniff` is shown (enough for every common magic number). */
const HEAD = 4100;

export interface Received {
  name: string;
  path: string;
  mimeType: string;
  size: number;
}

export interface Perceived {
  kind: string;
  media: string;
  text: string;
}

async function head(file: string): Promise<Uint8Array> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(HEAD);
    const { bytesRead } = await fh.read(buf, 0, HEAD, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * One received file through its perception: its content must match its extension (400
 * otherwise), it is kept under `media/`, and the plugin turns it into what she perceives.
 * A file that cannot be perceived is not kept. An organ fault is thrown on as it is, for
 * the mind to decide what it means.
 */
export async function perceiveFile(file: Received, cap: PerceptionPlugin, ctx: PerceptionContext, memory: Memory): Promise<Perceived> {
  const ext = path.extname(file.name).toLowerCase();
  if (cap.sniff && !cap.sniff(await head(file.path))) {
    throw new Invalid(`'${file.name}' is not a ${ext} file: its content does not match its extension. Send the file with its real extension.`);
  }
  const media = await memory.keepMedia(file.path, file.name);
  const stored = memory.mediaPath(media);
  try {
    const percept = await cap.perceive({ name: file.name, extension: ext, mimeType: file.mimeType, path: stored, size: file.size }, ctx);
    return { kind: cap.name, media, text: percept.text.trim() };
  } catch (err) {
    await memory.dropMedia(media);
    // An organ's fault is the mind's to judge; a plugin's deliberate refusal (its own copy of the API included) keeps its status.
    if (isOrganFault(err) || isEternegoError(err)) throw err;
    throw new Invalid(`'${file.name}' could not be perceived by '${cap.name}': ${(err as Error).message}`);
  }
}
