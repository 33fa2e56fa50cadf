import { BodyTooLarge, MAX_ANSWER_BYTES } from "./body.js";

/**
 * Splits a byte stream into lines as the bytes arrive: `onLine` gets each complete line
 * (without its `\n`) in order, and `end()` hands over a last line left without one. The
 * base of every streaming format a provider speaks (NDJSON, server-sent events).
 *
 * @example
 * const lines = lineReader((l) => console.log(JSON.parse(l)));
 * for await (const chunk of res.body!) lines.feed(chunk);
 * lines.end();
 */
export function lineReader(onLine: (line: string) => void, maxLine = MAX_ANSWER_BYTES): { feed(bytes: Uint8Array): void; end(): void } {
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    feed(bytes) {
      buffer += decoder.decode(bytes, { stream: true });
      let start = 0;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n", start)) {
        onLine(buffer.slice(start, nl));
        start = nl + 1;
      }
      buffer = buffer.slice(start);
      // A line that never ends is refused, not kept growing (UTF-16 units: at most twice the bytes).
      if (buffer.length > maxLine) throw new BodyTooLarge(maxLine);
    },
    end() {
      const rest = buffer + decoder.decode();
      buffer = "";
      if (rest) onLine(rest);
    },
  };
}

/**
 * A silence timer for a streamed answer: it aborts `signal` when nothing has arrived for
 * `ms` (call `arm()` on every chunk), while a total time limit would cut off a long, healthy
 * answer. `signal` also follows the caller's `parent` signal; `silent()` tells the two apart.
 *
 * @example
 * const idle = idleTimer(ctx.timeoutMs, ctx.signal, "silent for 120 s");
 * try { const res = await fetch(url, { signal: idle.signal }); ... idle.arm(); ... } finally { idle.clear(); }
 */
export function idleTimer(ms: number, parent: AbortSignal | undefined, reason: string): { signal: AbortSignal; arm(): void; clear(): void; silent(): boolean } {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new DOMException(reason, "TimeoutError")), ms);
  };
  arm();
  return {
    signal: parent ? AbortSignal.any([idle.signal, parent]) : idle.signal,
    arm,
    clear: () => clearTimeout(timer),
    silent: () => idle.signal.aborted && !parent?.aborted,
  };
}
