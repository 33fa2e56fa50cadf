import fs from "node:fs/promises";
import os from "node:os";
import { OrganFault, type OrganTarget } from "eternego/plugin";
import type { Llama } from "node-llama-cpp";
import type { Library } from "./engine.js";

/** What a model file is, once checked: enough to tell a changed file from the one checked. */
export interface FileStamp {
  file: string;
  size: number;
  mtimeMs: number;
}

const GB = 1024 ** 3;
const gb = (n: number) => (n < GB ? `${Math.ceil(n / 1024 ** 2)} MB` : `${(n / GB).toFixed(n < 10 * GB ? 1 : 0)} GB`);
const FIX = "give the path of a .gguf model file, or a URL or hf:<user>/<repo>/<file>.gguf reference to fetch one";

/** The first bytes of a file that is not a model, as a person would recognise them. */
function looksLike(head: Buffer): string {
  const text = head.toString("latin1");
  if (/^\s*<(!doctype|html)/i.test(text)) return "it is an HTML page — was the link a web page rather than the file itself?";
  if (/^\s*[{[]/.test(text)) return "it is JSON text";
  if (head.subarray(0, 2).toString("latin1") === "PK") return "it is a zip archive";
  if (/^[\x20-\x7e\s]{4}/.test(text)) return `it begins with the text ${JSON.stringify(text.slice(0, 16))}`;
  return `it begins with the bytes ${head.subarray(0, 4).toString("hex")}, not "GGUF"`;
}

/**
 * The file is there, is a file, and is a GGUF (its magic and version). Reads its first bytes; needs no
 * engine. Throws a `model` fault naming the path and the reason.
 */
export async function checkFile(file: string, target: OrganTarget): Promise<FileStamp> {
  const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") throw new OrganFault("model", target, null, `there is no file at ${file} — ${FIX}.`);
    throw new OrganFault("model", target, null, `${file} cannot be read (${err.code ?? err.message}) — check its permissions.`);
  });
  if (!st.isFile()) throw new OrganFault("model", target, null, `${file} is a folder, not a model file — ${FIX}.`);
  const head = Buffer.alloc(Math.min(64, st.size));
  const h = await fs.open(file, "r").catch((err: NodeJS.ErrnoException) => {
    throw new OrganFault("model", target, null, `${file} cannot be read (${err.code ?? err.message}) — check its permissions.`);
  });
  try {
    await h.read(head, 0, head.length, 0);
  } finally {
    await h.close();
  }
  if (st.size < 8 || head.subarray(0, 4).toString("latin1") !== "GGUF") {
    throw new OrganFault("model", target, null, `${file} is not a GGUF model (${st.size < 8 ? `it is only ${st.size} bytes` : looksLike(head)}) — ${FIX}.`);
  }
  const version = head.readUInt32LE(4);
  if (version < 2 || version > 3) throw new OrganFault("model", target, null, `${file} is GGUF version ${version}, which this engine does not read (it reads versions 2 and 3).`);
  return { file, size: st.size, mtimeMs: st.mtimeMs };
}

/** What the header says about a model: its architecture, how much memory it needs, how much context it was trained for. */
export interface Inspection {
  architecture: string;
  trainContext: number;
  /** The context a session gets: the settings' bound, or less when the model was trained for less. */
  contextSize: number;
  /** Bytes of memory the weights and one session's context take, estimated. */
  needs: number;
}

/**
 * Reads the GGUF header with the engine's parser (JavaScript only: nothing native runs on
 * the file yet) and checks what can be checked before loading: llama.cpp knows the
 * architecture, the machine has the memory, and the file holds every byte its tensors need
 * (a download that stopped early). `loadedElsewhere`: the weights are already in memory for
 * another persona, so only her context has to fit.
 */
export async function inspect(lib: Library, llama: Llama, stamp: FileStamp, contextBound: number, target: OrganTarget, loadedElsewhere: boolean): Promise<Inspection> {
  const { file, size } = stamp;
  let info: Awaited<ReturnType<Library["readGgufFileInfo"]>>;
  try {
    info = await lib.readGgufFileInfo(file, { logWarnings: false, sourceType: "filesystem" });
  } catch (err) {
    throw new OrganFault("model", target, null, `${file} is a damaged GGUF file: its header cannot be read (${(err as Error).message.split("\n")[0]}) — fetch or copy it again.`, { cause: err });
  }
  let insights: Awaited<ReturnType<Library["GgufInsights"]["from"]>>;
  try {
    insights = await lib.GgufInsights.from(info, llama);
  } catch (err) {
    throw new OrganFault("model", target, null, `${file} is a damaged GGUF file: its tensors cannot be measured (${(err as Error).message.split("\n")[0]}) — fetch or copy it again.`, { cause: err });
  }
  const architecture = String(info.metadata?.general?.architecture ?? "unknown");
  if (!insights.isSupportedByLlamaCpp) {
    throw new OrganFault("model", target, null, `${file} is a '${architecture}' model, which this llama.cpp does not run — choose a model of an architecture it knows (llama, qwen2, qwen3, gemma, phi3, mistral…).`);
  }
  const trainContext = insights.trainContextSize ?? contextBound;
  const contextSize = Math.max(256, Math.min(contextBound, trainContext));
  const weights = insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam;
  const session = insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: 0, sequences: 1 }).cpuRam;
  const needs = (loadedElsewhere ? 0 : weights) + session;
  if (needs > os.totalmem()) {
    throw new OrganFault("model", target, null, `${file} is too big for this machine's memory: it needs about ${gb(needs)} (${gb(weights)} of weights and ${gb(session)} for a ${contextSize}-token context), and the machine has ${gb(os.totalmem())} — choose a smaller model or a smaller quantization (Q4_K_M), or set ETERNEGO_EMBEDDED_CONTEXT lower.`);
  }
  if (needs > os.freemem()) {
    throw new OrganFault("model", target, null, `${file} does not fit in the memory free now: it needs about ${gb(needs)}, and ${gb(os.freemem())} of ${gb(os.totalmem())} are free — close something, or choose a smaller model or quantization.`);
  }
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  if (tensors.length) {
    const first = tensors[0]!;
    const dataStart = Number(BigInt(first.fileOffset) - BigInt(first.offset));
    const expected = dataStart + insights.modelSize;
    if (size < expected) {
      throw new OrganFault("model", target, null, `${file} is truncated: it has ${size} of the ${expected} bytes its header describes — the copy or download stopped early; fetch or copy it again.`);
    }
  }
  return { architecture, trainContext, contextSize, needs };
}
