import { OrganFault, answerWithSchema, thinkFilter, type ChatMessage, type ModelContext, type OrganSpec, type Thinker, type ThinkResult, type TokenUsage } from "eternego/plugin";
import type { ChatHistoryItem, Llama, LlamaChat, LlamaContext, LlamaGrammar } from "node-llama-cpp";
import { Gate } from "./gate.js";
import { hold, release, type Loaded } from "./models.js";
import { load, plan, type Plan } from "./open.js";
import { toGrammarSchema } from "./schema.js";
import { settings } from "./settings.js";

/** Sampling temperature: varied enough to sound alive, low enough for small models to keep to the point. */
const TEMPERATURE = 0.7;

/** One bound for the whole daemon: every embedded answer, whatever the model, takes a turn here. */
const gate = new Gate(() => settings().parallel);

/** Grammars per schema object (the mind's schemas are constants) and engine; null: the grammar cannot say it. */
const grammars = new WeakMap<object, Promise<LlamaGrammar | null>>();
function grammarFor(llama: Llama, schema: Record<string, unknown>): Promise<LlamaGrammar | null> {
  let g = grammars.get(schema);
  if (!g) {
    const gbnf = toGrammarSchema(schema);
    g = gbnf ? llama.createGrammarForJsonSchema(gbnf as never).catch(() => null) : Promise.resolve(null);
    grammars.set(schema, g);
  }
  return g;
}

/** Her messages as node-llama-cpp's chat history, ending with the answer to write. */
function history(messages: ChatMessage[], schemaInPrompt: Record<string, unknown> | null): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = messages.map((m) =>
    m.role === "assistant" ? { type: "model", response: [m.content] } : m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content },
  );
  if (schemaInPrompt) items.unshift({ type: "system", text: `Answer with one JSON value that fits this JSON schema:\n${JSON.stringify(schemaInPrompt)}` });
  items.push({ type: "model", response: [] });
  return items;
}

/** Her session on a loaded model: her own context (and so her own cache of her prompt's prefix). */
interface Session {
  loaded: Loaded;
  context: LlamaContext;
  chat: LlamaChat;
}

/**
 * The thinking role, in the daemon itself. The organ holds the model from the moment she
 * starts (loading it if no other persona has it) until she stops; her first thought opens
 * her own context on it. Each call takes a turn at the engine's gate; the model's own chat
 * template shapes the prompt; a schema becomes a grammar, so the answer is JSON of that
 * shape token by token; the words stream through the same `<think>` filter as every
 * provider's; the tokens it read and wrote go to `ctx.usage`.
 */
export function thinker(spec: OrganSpec, ctx: ModelContext): Thinker {
  const me = {};
  let planned: Plan | null = null;
  let held: Promise<Loaded> | null = null;
  let session: Promise<Session> | null = null;
  let closed = false;

  // What failed is tried again at her next thought (the file may be fixed by then).
  const retried = <T>(p: Promise<T>, forget: () => void): Promise<T> => (p.catch(forget), p);

  // Stopped: the same abort every provider's cut-off call gives.
  const stopped = () => Promise.reject(ctx.signal?.reason ?? new DOMException("she stopped", "AbortError"));

  /** Her hold on the model: shared with every organ naming the same file. */
  const model = (): Promise<Loaded> => {
    if (closed) return stopped();
    held ??= retried(
      (async () => {
        planned ??= plan(spec, ctx);
        const p = planned;
        return hold(p.file, me, () => load(p, ctx), ctx.log);
      })(),
      () => (held = null),
    );
    return held;
  };

  /** Her own context on it, opened at her first thought. */
  const open = (): Promise<Session> => {
    if (closed) return stopped();
    session ??= retried(
      (async () => {
        const loaded = await model();
        const p = planned!;
        let context: LlamaContext;
        try {
          context = await loaded.model.createContext({ contextSize: { min: Math.min(1024, loaded.contextSize), max: loaded.contextSize }, threads: p.s.threads, sequences: 1 });
        } catch (err) {
          throw new OrganFault("model", p.target, null, `there is not enough memory for her context on ${p.file} (${(err as Error).message.split("\n")[0]}) — set ETERNEGO_EMBEDDED_CONTEXT lower, or use a smaller model.`, { cause: err });
        }
        return { loaded, context, chat: new loaded.lib.LlamaChat({ contextSequence: context.getSequence() }) };
      })(),
      () => (session = null),
    );
    return session;
  };

  const close = async () => {
    closed = true;
    const s = await session?.catch(() => null);
    s?.chat.dispose();
    await s?.context.dispose();
    if (planned) await release(planned.file, me, ctx.log);
  };
  if (ctx.signal?.aborted) closed = true;
  else if (ctx.signal) {
    ctx.signal.addEventListener("abort", () => void close().catch((err) => ctx.log.warn(`closing her engine session failed: ${(err as Error).message}`)), { once: true });
    // She is running: the model is loaded now, so her first answer does not wait for it.
    queueMicrotask(() => void model().catch(() => {}));
  }

  const call = async (messages: ChatMessage[], schema: Record<string, unknown> | undefined, onDelta?: (t: string) => void): Promise<ThinkResult> => {
    const s = await open();
    const p = planned!;
    const llama = s.loaded.model.llama;
    const grammar = schema ? await grammarFor(llama, schema) : null;
    return gate.run(
      async () => {
        ctx.waiting?.(null);
        let text = "";
        const filter = thinkFilter((visible) => {
          text += visible;
          onDelta?.(visible);
        });
        const meter = s.chat.sequence.tokenMeter;
        const [input0, output0] = [meter.usedInputTokens, meter.usedOutputTokens];
        const maxTokens = Math.min(p.s.maxTokens, s.context.contextSize);
        let stop: string;
        try {
          const r = await s.chat.generateResponse(history(messages, schema && !grammar ? schema : null), {
            ...(grammar ? { grammar } : {}),
            maxTokens,
            temperature: TEMPERATURE,
            signal: ctx.signal,
            onTextChunk: (t) => filter.push(t),
          });
          stop = r.metadata.stopReason;
        } catch (err) {
          if (ctx.signal?.aborted) throw err;
          const why = (err as Error).message.split("\n")[0]!;
          // Her prompt and the answer outgrew her context, and what is left is her identity, which is not cut.
          if (/compress chat history/i.test(why)) {
            throw new OrganFault("rejected", p.target, null, `her prompt and answer do not fit her ${s.context.contextSize}-token context — set ETERNEGO_EMBEDDED_CONTEXT higher (this model was trained for ${s.loaded.trainContext} tokens).`, { cause: err });
          }
          throw new OrganFault("server", p.target, null, `llama.cpp failed mid-answer (${why}).`, { cause: err });
        }
        filter.end();
        const usage: TokenUsage = { input: meter.usedInputTokens - input0, output: meter.usedOutputTokens - output0 };
        ctx.usage(usage);
        if (stop === "maxTokens") ctx.log.warn(`the answer reached ${maxTokens} tokens and was cut (ETERNEGO_EMBEDDED_MAX_TOKENS, or her context)`, { file: p.file });
        return { text, usage };
      },
      (ahead) => {
        ctx.log.info(`waits for the embedded engine: ${ahead} answer${ahead === 1 ? "" : "s"} ahead (ETERNEGO_EMBEDDED_PARALLEL=${p.s.parallel})`, { file: p.file });
        ctx.progress({ status: `waiting for the embedded engine: ${ahead} answer${ahead === 1 ? "" : "s"} ahead` });
        ctx.waiting?.(`the embedded engine: ${ahead} answer${ahead === 1 ? "" : "s"} ahead (ETERNEGO_EMBEDDED_PARALLEL=${p.s.parallel})`);
      },
      ctx.signal,
    ).finally(() => ctx.waiting?.(null));
  };

  return {
    async think(req) {
      await open();
      return answerWithSchema(req, (messages) => call(messages, req.schema, req.onDelta), planned!.target);
    },
  };
}
