import { lineReader } from "eternego/plugin";

/**
 * A push parser for newline-delimited JSON, Ollama's streaming format: feed it bytes as
 * they arrive and it calls `onLine` with each complete line, parsed, in order. Blank lines
 * are skipped; a line that is not JSON calls `onBad` with its first characters (Ollama
 * never sends one, so the caller treats it as a protocol fault). `end()` delivers a last
 * line left without its newline.
 */
export function ndjsonParser(onLine: (value: unknown) => void, onBad: (head: string) => void): { feed(bytes: Uint8Array): void; end(): void } {
  return lineReader((raw) => {
    const text = raw.trim();
    if (!text) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return onBad(text.slice(0, 80));
    }
    onLine(value);
  });
}
