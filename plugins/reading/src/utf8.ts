/**
 * Whether `head` (the first bytes of a file) is UTF-8 text: it decodes strictly (a byte
 * order mark is allowed) and holds no NUL byte, which text never does and binary nearly
 * always does. A character cut at the end of the head is not held against it.
 */
export function looksLikeUtf8Text(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The whole file as text; throws when any of it is not UTF-8 text. */
export function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a leading BOM
  } catch {
    throw new Error("it is not UTF-8 text throughout; save it as UTF-8 and send it again.");
  }
  if (text.includes("\0")) throw new Error("it holds binary data (NUL bytes), not text.");
  return text;
}
