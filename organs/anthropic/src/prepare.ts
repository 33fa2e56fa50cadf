import { OrganFault } from "eternego/plugin";
import type { Api } from "./api.js";

interface ModelInfo {
  id?: unknown;
  lifecycle?: unknown;
  retires_at?: unknown;
  capabilities?: { image_input?: { supported?: unknown } } | null;
}

const notFound = (model: string) => `model '${model}' not found — see the model list in the Anthropic console`;

/** After a 404, the models this key can use, to name in the fault (none when that fails too). */
async function choices(api: Api): Promise<string[]> {
  try {
    const res = await api.get("/v1/models?limit=100");
    const list = (await api.json(res, "/v1/models")) as { data?: { id?: unknown }[] };
    return (list?.data ?? []).map((m) => m?.id).filter((id): id is string => typeof id === "string");
  } catch {
    return [];
  }
}

/**
 * The key is accepted and the model is there, fit for the role: `GET /v1/models/{model}`
 * (401 → the key was refused; 404 → the model is not there, with the models the key can
 * use). A retired model is refused; a deprecated one is logged; a vision organ needs a
 * model that takes images.
 */
export async function prepare(api: Api): Promise<void> {
  const { spec, target, ctx } = api;
  let res: Response;
  try {
    res = await api.get(`/v1/models/${encodeURIComponent(spec.model)}`, notFound(spec.model));
  } catch (err) {
    if (!(err instanceof OrganFault) || err.kind !== "model") throw err;
    const ids = await choices(api);
    if (!ids.length) throw err;
    const some = ids.slice(0, 8).join(", ") + (ids.length > 8 ? ", …" : "");
    throw new OrganFault("model", target, 404, `404 from ${api.host}: ${notFound(spec.model)} (this key can use: ${some}).`);
  }
  const info = (await api.json(res, `/v1/models/${spec.model}`)) as ModelInfo;
  if (!info || typeof info.id !== "string") {
    throw new OrganFault("malformed", target, res.status, `answered /v1/models/${spec.model} without a model — is the url the Anthropic API (https://api.anthropic.com)?`);
  }
  if (info.lifecycle === "retired") {
    throw new OrganFault("model", target, null, `model '${spec.model}' is retired and answers no more — pick a current model from the Anthropic console.`);
  }
  if (info.lifecycle === "deprecated") {
    ctx.log.warn("the model is deprecated and will be retired; pick a current one soon", { model: spec.model, retires_at: info.retires_at });
  }
  if (ctx.role === "vision" && info.capabilities?.image_input?.supported === false) {
    throw new OrganFault("model", target, null, `model '${spec.model}' cannot fill the 'vision' organ: it takes no images — pick a model that does.`);
  }
}
