const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * Keeps a reasoning model's thoughts out of her words. Models like qwen3 and deepseek-r1
 * (on Ollama without its `think` option, on llama.cpp, vLLM or any OpenAI-compatible
 * server) begin their answer with a `<think>…</think>` block in the content itself. The filter takes content chunks as they stream and hands
 * on only what follows that block, without the whitespace that opens the answer; a tag
 * cut across two chunks is still recognised. Text that does not begin with `<think>`
 * passes through as it is (after its leading whitespace).
 *
 * @example
 * let text = "";
 * const filter = thinkFilter((visible) => { text += visible; req.onDelta?.(visible); });
 * for (const piece of streamedContent) filter.push(piece);
 * filter.end();
 */
export function thinkFilter(onVisible: (text: string) => void): { push(chunk: string): void; end(): void } {
  let state: "start" | "thinking" | "answer" = "start";
  let held = "";
  let started = false; // whether any visible text went out yet
  const emit = (text: string) => {
    const out = started ? text : text.trimStart();
    if (!out) return;
    started = true;
    onVisible(out);
  };
  return {
    push(chunk) {
      if (state === "answer") return emit(chunk);
      held += chunk;
      if (state === "start") {
        const head = held.trimStart();
        if (OPEN.startsWith(head)) return; // could still become "<think>"
        if (!head.startsWith(OPEN)) {
          state = "answer";
          const all = held;
          held = "";
          return emit(all);
        }
        state = "thinking";
        held = head.slice(OPEN.length);
      }
      const end = held.indexOf(CLOSE);
      if (end < 0) {
        held = held.slice(-(CLOSE.length - 1)); // enough to find a tag cut in two
        return;
      }
      state = "answer";
      const rest = held.slice(end + CLOSE.length);
      held = "";
      emit(rest);
    },
    end() {
      // A start that only looked like "<think>" was text after all; unfinished thoughts stay hidden.
      if (state === "start" && held) emit(held);
      held = "";
    },
  };
}


/**
 * A whole answer without its `<think>` block: what `thinkFilter` lets through.
 *
 * @example
 * withoutThoughts("<think>hmm</think>\n\nHello!") // → "Hello!"
 */
export function withoutThoughts(text: string): string {
  let out = "";
  const filter = thinkFilter((visible) => (out += visible));
  filter.push(text);
  filter.end();
  return out;
}
