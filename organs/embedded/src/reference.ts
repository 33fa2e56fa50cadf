import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Invalid, type OrganRole } from "eternego/plugin";

/** Where an organ's model is: a file on this machine, or one to fetch once into the models folder. */
export type ModelRef = { kind: "file"; file: string } | { kind: "remote"; url: string; file: string };

const HF = /^hf:([\w.-]+)\/([\w.-]+)\/(.+\.gguf)$/i;

/**
 * Reads an organ's `model`:
 *
 * - a path to a `.gguf` file: absolute, `~/…`, or a bare name (`qwen.gguf`) that means a file
 *   in the models folder;
 * - `file:///…`;
 * - an `http(s)://` URL of a `.gguf` file, fetched once into the models folder;
 * - `hf:<user>/<repo>/<file>.gguf`: that file on the repository's main branch at Hugging Face.
 *
 * A fetched file's name is the URL's own file name plus a short hash of the whole URL, so two
 * personas naming one URL share one file, and two URLs never share a name.
 */
export function parseRef(model: string, modelsDir: string, role: OrganRole): ModelRef {
  const m = model.trim();
  const where = `Organ '${role}' (embedded, ${model})`;
  const hf = HF.exec(m);
  if (/^hf:/i.test(m) && !hf) {
    throw new Invalid(`${where}: a Hugging Face reference is hf:<user>/<repo>/<file>.gguf, like hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf.`);
  }
  if (hf) return remote(`https://huggingface.co/${hf[1]}/${hf[2]}/resolve/main/${hf[3]!.split("/").map(encodeURIComponent).join("/")}`, modelsDir, role);
  if (/^https?:\/\//i.test(m)) {
    try {
      new URL(m);
    } catch {
      throw new Invalid(`${where}: '${m}' is not a URL; give the link of a .gguf file, like https://huggingface.co/<user>/<repo>/resolve/main/<file>.gguf.`);
    }
    return remote(m, modelsDir, role);
  }
  if (/^file:/i.test(m)) return { kind: "file", file: fileURLToPath(m) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(m)) {
    throw new Invalid(`${where}: only a path, an http(s) URL or hf:<user>/<repo>/<file>.gguf names a model here.`);
  }
  if (m === "~" || m.startsWith("~/")) return { kind: "file", file: path.join(os.homedir(), m.slice(2)) };
  return { kind: "file", file: path.isAbsolute(m) ? path.normalize(m) : path.join(modelsDir, m) };
}

/** A model reference is shown wherever she is: one that carries a credential is refused (a key goes in api_key). */
function remote(url: string, modelsDir: string, role: OrganRole): ModelRef {
  const u = new URL(url);
  if (u.username || u.password || [...u.searchParams.keys()].some((k) => /key|token|secret|pass|auth|sig|credential/i.test(k))) {
    // The message leaves the URL out: it is the secret.
    throw new Invalid(`Organ '${role}' (embedded): the model's URL carries a credential, and the model reference is shown wherever she is. Give the token as api_key instead (it is sent as \`Authorization: Bearer\`, as Hugging Face takes it, and kept in secrets.json only).`);
  }
  const last = u.pathname.split("/").pop() || "model";
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // a stray % is kept as it is (and replaced below)
  }
  const base = name.replace(/[^\w.-]+/g, "_").replace(/\.gguf$/i, "") || "model";
  const hash = createHash("sha256").update(u.href).digest("hex").slice(0, 8);
  return { kind: "remote", url: u.href, file: path.join(modelsDir, `${base.slice(0, 120)}-${hash}.gguf`) };
}
