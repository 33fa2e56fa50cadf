import { OrganFault, type OrganRole } from "eternego/plugin";
import type { Api } from "./api.js";
import { listed } from "./names.js";
import { pull } from "./pull.js";

/** The capability (`/api/show`) a role needs from the model. */
const NEEDS: Record<OrganRole, { capability: string; why: string } | null> = {
  thinking: { capability: "completion", why: "it cannot chat (an embedding model?) — pick a chat model such as llama3.2 or qwen3" },
  frontier: { capability: "completion", why: "it cannot chat (an embedding model?) — pick a chat model such as llama3.2 or qwen3" },
  vision: { capability: "vision", why: "it cannot see images — pick a vision model such as llava, llama3.2-vision or gemma3" },
  hearing: null,
};

const WRONG_URL = "nothing Ollama-like answers /api/tags — the url should be the server itself, like http://localhost:11434 (without /v1 or /api)";

/**
 * Reachable, model present (pulled when missing, with progress pushed), and able to fill
 * the role: `GET /api/tags`, then `POST /api/pull` if need be, then `POST /api/show`.
 */
export async function prepare(api: Api): Promise<void> {
  const { spec, target, ctx } = api;
  const res = await api.get("/api/tags", WRONG_URL);
  const tags = (await api.json(res, "/api/tags")) as { models?: { name?: unknown; model?: unknown }[] };
  if (!Array.isArray(tags?.models)) {
    throw new OrganFault("malformed", target, res.status, "answered /api/tags without a `models` list — is the url an Ollama server (usually http://localhost:11434)?");
  }
  const names = tags.models.flatMap((m) => [m?.name, m?.model]).filter((n): n is string => typeof n === "string");
  if (!listed(spec.model, names)) await pull(api);

  const need = NEEDS[ctx.role];
  if (!need) return;
  const shown = await api.post("/api/show", { model: spec.model }, `model '${spec.model}' not found — run \`ollama pull ${spec.model}\``);
  const info = (await api.json(shown, "/api/show")) as { capabilities?: unknown };
  // An older Ollama lists no capabilities; then the model is taken on trust.
  if (!Array.isArray(info?.capabilities)) return;
  if (!info.capabilities.includes(need.capability)) {
    throw new OrganFault("model", target, null, `model '${spec.model}' cannot fill the '${ctx.role}' organ: ${need.why}.`);
  }
}
