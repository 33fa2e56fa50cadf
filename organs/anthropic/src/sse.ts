import { BodyTooLarge, lineReader, MAX_ANSWER_BYTES } from "eternego/plugin";

/**
 * A server-sent events reader: bytes in, `(event, data)` out, one call per event. Lines end
 * with `\n` (a `\r` before it is dropped); `data` lines of one event are joined with `\n`;
 * comments (`:`) and unknown fields are skipped, as the SSE specification says.
 */
export function sseParser(onEvent: (event: string, data: string) => void): { feed(bytes: Uint8Array): void; end(): void } {
  let event = "";
  let data: string[] = [];
  let size = 0; // of the event being read: one that never ends is refused like a line that never ends

  const line = (raw: string) => {
    const l = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (l === "") {
      if (data.length) {
        const [e, d] = [event || "message", data.join("\n")];
        event = "";
        data = [];
        size = 0;
        onEvent(e, d);
      }
      event = "";
      return;
    }
    if (l.startsWith(":")) return;
    const colon = l.indexOf(":");
    const field = colon < 0 ? l : l.slice(0, colon);
    const value = colon < 0 ? "" : l.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") {
      data.push(value);
      if ((size += value.length) > MAX_ANSWER_BYTES) throw new BodyTooLarge(MAX_ANSWER_BYTES);
    }
  };

  const lines = lineReader(line);
  return {
    feed: lines.feed,
    end() {
      lines.end();
      line("");
    },
  };
}
