import { OrganFault, type OrganProgress } from "eternego/plugin";
import type { Api } from "./api.js";

/** Ollama's words for "the registry has no such model". */
const NO_SUCH_MODEL = /file does not exist|not found|manifest unknown|no such/i;

/**
 * Pulls the model with a streamed `POST /api/pull`, pushing each progress line to
 * `ctx.progress` as it comes (`pulling manifest`, `pulling <digest>` with bytes, `verifying
 * sha256 digest`, `writing manifest`, `success`). A pull may run for many minutes; only
 * silence longer than the organ timeout ends it early.
 */
export async function pull(api: Api): Promise<void> {
  const { spec, target, ctx } = api;
  ctx.log.info("the model is not on the Ollama server; pulling it", { model: spec.model, url: target.url });
  let success = false;
  await api.stream("/api/pull", { model: spec.model, stream: true }, (line) => {
    if (line.error !== undefined) {
      const why = String(line.error).slice(0, 300);
      if (NO_SUCH_MODEL.test(why)) {
        throw new OrganFault("model", target, null, `model '${spec.model}' not found, and Ollama could not pull it (${why}) — check the name at https://ollama.com/library, then run \`ollama pull ${spec.model}\`.`);
      }
      throw new OrganFault("server", target, null, `model '${spec.model}' is not on the server and pulling it failed (${why}) — run \`ollama pull ${spec.model}\` to see why.`);
    }
    if (typeof line.status !== "string") return;
    const p: OrganProgress = { status: line.status };
    if (typeof line.completed === "number") p.completed = line.completed;
    if (typeof line.total === "number") p.total = line.total;
    ctx.progress(p);
    if (line.status === "success") success = true;
  });
  if (!success) {
    throw new OrganFault("malformed", target, 200, `the pull of '${spec.model}' ended without "success" — run \`ollama pull ${spec.model}\` to finish it.`);
  }
  ctx.log.info("pulled the model", { model: spec.model, url: target.url });
}
