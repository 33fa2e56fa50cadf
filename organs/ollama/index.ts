import { defineModel, Invalid, type OrganSpec, type ModelContext } from "../../core/api/index.js";

const TIMEOUT_MS = 10_000;

function where(spec: OrganSpec, ctx: ModelContext): string {
  return `Organ '${ctx.role}' (ollama, ${spec.model}) at ${spec.url}`;
}

async function call(spec: OrganSpec, ctx: ModelContext, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${spec.url}${path}`, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    const why = cause === "ECONNREFUSED" ? "connection refused" : cause === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : cause === "ENOTFOUND" ? "the host name does not resolve" : String(cause);
    throw new Invalid(`${where(spec, ctx)} is not reachable: ${why}. Start Ollama (\`ollama serve\`) or fix the url.`);
  }
}

/** Ollama's native API. Thinking, vision and (for now) nothing else; think/see arrive with the organs issue. */
export default defineModel({
  name: "ollama",
  version: "0.1.0",
  title: "Ollama (local)",
  defaultUrl: "http://localhost:11434",
  needsKey: false,
  roles: ["thinking", "vision", "frontier"],

  async prepare(spec, ctx) {
    const res = await call(spec, ctx, "/api/tags");
    if (!res.ok) throw new Invalid(`${where(spec, ctx)} answered ${res.status} to /api/tags; is that really an Ollama server?`);
    const body = (await res.json().catch(() => ({}))) as { models?: { name: string }[] };
    const want = spec.model.includes(":") ? spec.model : `${spec.model}:latest`;
    if (!body.models?.some((m) => m.name === want || m.name === spec.model)) {
      throw new Invalid(`${where(spec, ctx)}: model '${spec.model}' not found — run \`ollama pull ${spec.model}\`.`);
    }
  },
});
