import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { OrganFault, type OrganTarget } from "eternego/plugin";
import type { FileStamp } from "./gguf-file.js";

/*
 * llama.cpp meets a file it cannot use in two ways: an error node-llama-cpp hands back, or an
 * abort in native code (an uncaught C++ exception on a malformed vocabulary) that would take
 * the whole daemon, and every persona in it, down with it. So a file is first opened in a
 * short-lived child process: loaded, given a small context, asked for two tokens. Only a file
 * that survives that is loaded into the daemon. Once per file (and size and time) per daemon.
 */
const CHILD = `
const [entry, file, gpu] = process.argv.slice(1);
// node-llama-cpp tests its binary in a fork, which inherits execArgv: here, this very script (-e).
process.execArgv.splice(0);
const out = (o, code) => process.stdout.write(JSON.stringify(o) + "\\n", () => process.exit(code));
try {
  const { getLlama, LlamaChat, LlamaLogLevel } = await import(entry);
  const llama = await getLlama({ gpu: gpu === "metal" ? "metal" : false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  const chat = new LlamaChat({ contextSequence: context.getSequence() });
  await chat.generateResponse([{ type: "user", text: "Hello" }, { type: "model", response: [] }], { maxTokens: 2 });
  out({ ok: true, wrapper: chat.chatWrapper.wrapperName }, 0);
} catch (err) {
  out({ ok: false, error: String(err && err.message || err).split("\\n")[0] }, 1);
}`;

export interface ProbeResult {
  /** The chat wrapper node-llama-cpp chose from the file's template (ChatML, Llama 3, Jinja…). */
  wrapper: string;
}

const probed = new Map<string, Promise<ProbeResult>>();

/** Opens the file in a child process (see above); a refusal is a `model` fault naming the file and what llama.cpp said. */
export function probe(entry: string, stamp: FileStamp, target: OrganTarget, timeoutMs: number): Promise<ProbeResult> {
  const key = `${stamp.file}\0${stamp.size}\0${stamp.mtimeMs}`;
  let p = probed.get(key);
  if (!p) {
    p = run(entry, stamp.file, target, timeoutMs);
    probed.set(key, p);
    p.catch(() => probed.delete(key));
  }
  return p;
}

function run(entry: string, file: string, target: OrganTarget, timeoutMs: number): Promise<ProbeResult> {
  const gpu = process.platform === "darwin" && process.arch === "arm64" ? "metal" : "false";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(entry).href, file, gpu], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString("utf8")).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new OrganFault("rejected", target, null, `the engine could not be started to open ${file} (${err.message}).`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const said = (() => {
        try {
          return JSON.parse(stdout.trim().split("\n").pop() ?? "") as { ok: boolean; wrapper?: string; error?: string };
        } catch {
          return null;
        }
      })();
      if (said?.ok) return resolve({ wrapper: said.wrapper ?? "unknown" });
      const last = stderr.trim().split("\n").filter(Boolean).slice(-2).join(" / ").slice(0, 300);
      const why = said?.error
        ? `llama.cpp could not load it (${said.error})`
        : signal === "SIGKILL"
          ? `llama.cpp took longer than ${timeoutMs / 1000} s to load it`
          : `llama.cpp crashed loading it (${signal ?? `exit code ${code}`}${last ? `: ${last}` : ""})`;
      reject(new OrganFault("model", target, null, `${file} is a GGUF file the engine cannot run: ${why} — the file may be damaged or made for a newer llama.cpp; choose another model file.`));
    });
  });
}
