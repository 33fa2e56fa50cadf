import { OrganFault, answerWithSchema, type ChatMessage, type Thinker, type TokenUsage } from "eternego/plugin";
import type { Server } from "./server.js";

/** The longest answer asked for, in tokens. */
const N_PREDICT = 2048;

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * The thinking role: the server renders the conversation with the model's own chat
 * template (`POST /apply-template`), then completes it (`POST /completion`). A schema goes
 * in `json_schema`, which llama.cpp turns into a grammar the model cannot leave;
 * `answerWithSchema` still checks the answer and asks once more when it does not fit.
 */
export function thinker(server: Server): Thinker {
  const { target, ctx } = server;
  return {
    think(req) {
      const call = async (messages: ChatMessage[]) => {
        // The cache flag means nothing here: `cache_prompt` reuses any matching prefix by itself.
        const rendered = await server.post("/apply-template", { messages: messages.map((m) => ({ role: m.role, content: m.content })) });
        if (typeof rendered.prompt !== "string") throw new OrganFault("malformed", target, 200, "answered /apply-template without a prompt — is this llama-server recent enough (2025 or later)?");
        const done = await server.post("/completion", {
          prompt: rendered.prompt,
          n_predict: N_PREDICT,
          cache_prompt: true,
          stream: false,
          ...(req.schema ? { json_schema: req.schema } : {}),
        });
        if (typeof done.content !== "string") throw new OrganFault("malformed", target, 200, "answered /completion without content.");
        const usage: TokenUsage = { input: count(done.tokens_evaluated), output: count(done.tokens_predicted) };
        ctx.usage(usage);
        // No streaming here: onDelta is optional, and a plugin may leave it unused.
        return { text: done.content, usage };
      };
      return answerWithSchema(req, call, target);
    },
  };
}
