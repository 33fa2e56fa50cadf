import { OrganFault } from "eternego/plugin";
import type { Api } from "./api.js";
import { remotePresetOf } from "./presets.js";

const SHOWN = 8;

/** Edit distance between two short strings (model names), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length]!;
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.toLowerCase() === b[i]!.toLowerCase()) i++;
  return i;
}

/**
 * The listed models most like the one asked for, nearest first: few edits, and a long
 * shared start (model families share prefixes: `gpt-4o`, `gpt-4o-mini`). Routers list ids
 * with a vendor prefix (`openai/gpt-4o`), so the part after the last `/` counts as well.
 */
export function closest(model: string, ids: string[]): string[] {
  const score = (name: string) => distance(model, name) - sharedPrefix(model, name) / 2;
  const near = (id: string) => Math.min(score(id), score(id.slice(id.lastIndexOf("/") + 1)));
  return ids
    .map((id) => [id, near(id)] as const)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, SHOWN)
    .map(([id]) => id);
}

/** `model` or its `:latest` form (Ollama's OpenAI endpoint lists tags in full). */
const listed = (model: string, ids: string[]) => ids.includes(model) || (!model.includes(":") && ids.includes(`${model}:latest`));

/**
 * Reachable, key accepted, model listed: one `GET {base}/models`. It answers 401 for a bad
 * key on every hosted service, so no chat call (and no cost) is needed to prove the key.
 */
export async function prepare(api: Api): Promise<void> {
  const { spec, target, base } = api;
  const preset = remotePresetOf(base);
  if (preset && !spec.api_key) {
    throw new OrganFault("auth", target, null, `${preset.title} needs an api_key and none was given — add the key from your ${preset.title} account.`);
  }
  const res = await api.get("/models", `nothing OpenAI-compatible answers ${base}/models — the url should be the API base, usually ending in /v1 (like ${preset?.url ?? "http://localhost:1234/v1"})`);
  const body = (await api.json(res, "/models")) as { data?: { id?: unknown }[] };
  if (!Array.isArray(body?.data)) {
    throw new OrganFault("malformed", target, res.status, "answered /models without a `data` list — is the url an OpenAI-compatible API base (usually ending in /v1)?");
  }
  const ids = body.data.map((m) => m?.id).filter((id): id is string => typeof id === "string");
  // Some servers (llama.cpp builds, proxies) list nothing yet serve whatever they loaded.
  if (!ids.length) {
    api.ctx.log.warn("the server lists no models; taking the model name on trust", { model: spec.model, url: base });
    return;
  }
  if (listed(spec.model, ids)) return;
  const few = closest(spec.model, ids);
  const more = ids.length > few.length ? ` (and ${ids.length - few.length} more)` : "";
  throw new OrganFault("model", target, null, `model '${spec.model}' not found at ${base} — pick one of: ${few.join(", ")}${more}.`);
}
