import { BodyTooLarge, lineReader, MAX_ANSWER_BYTES } from "eternego/plugin";

/**
 * A push parser for server-sent events: feed it bytes as they arrive, and it calls `onData`
 * with the `data` of each complete event, in order. Events end at a blank line; several
 * `data:` lines in one event are joined with "\n" (the SSE rule); comments (`: keep-alive`)
 * and other fields are skipped. `end()` delivers a last event left without its blank line.
 * Push rather than an async generator: the first delta reaches the caller without a
 * promise hop per event.
 */
export function sseParser(onData: (data: string) => void): { feed(bytes: Uint8Array): void; end(): void } {
  let data: string[] = [];
  let size = 0; // of the event being read: one that never ends is refused like a line that never ends
  const lines = lineReader((raw) => {
    const l = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (l === "") {
      if (data.length) onData(data.join("\n"));
      data = [];
      size = 0;
    } else if (l.startsWith("data:")) {
      data.push(l.slice(l[5] === " " ? 6 : 5));
      if ((size += l.length) > MAX_ANSWER_BYTES) throw new BodyTooLarge(MAX_ANSWER_BYTES);
    }
  });
  return {
    feed: lines.feed,
    end() {
      lines.end();
      if (data.length) onData(data.join("\n"));
      data = [];
    },
  };
}
