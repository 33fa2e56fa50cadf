import { OrganFault } from "eternego/plugin";
import type { Server } from "./server.js";

/** The names a llama-server answers to: its `--alias`, and its model file with and without `.gguf`. */
function namesOf(props: Record<string, unknown>): string[] {
  const names: string[] = [];
  if (typeof props.model_alias === "string") names.push(props.model_alias);
  if (typeof props.model_path === "string") {
    const file = props.model_path.split(/[\\/]/).pop()!;
    names.push(file, file.replace(/\.gguf$/i, ""));
  }
  return names;
}

/**
 * The server is up, its model is loaded, and it is the model the organ names:
 * `GET /health` (503 while loading), then `GET /props`. One llama-server serves one model,
 * so a different name is a mistake worth a clear 400, not a silent swap.
 */
export async function prepare(server: Server): Promise<void> {
  const { spec, target } = server;
  await server.get("/health");
  const props = await server.get("/props");
  const names = namesOf(props);
  if (!names.length) return; // an old build that does not say: taken on trust
  if (!names.some((n) => n.toLowerCase() === spec.model.toLowerCase())) {
    throw new OrganFault(
      "model",
      target,
      null,
      `this llama-server serves '${names[0]}', not '${spec.model}' — set the organ's model to '${names[0]}', or restart llama-server with the model you want (llama-server -m path/to/model.gguf).`,
    );
  }
}
