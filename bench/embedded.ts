// (l) The embedded engine: her thinking organ running a GGUF inside the daemon, against
// node-llama-cpp called directly on the same file in the same run.
//   1. plugin vs direct, in this process: the embedded plugin's Thinker against LlamaChat with
//      the same history, grammar, sampling and thread count, in alternating turns. Tokens per
//      second (decode: tokens after the first ÷ the time after it) and time to the first token.
//   2. threads: LlamaChat alone in a child process with 1 thread and with 2, a fixed number of
//      tokens each; the child's peak RSS (VmHWM).
//   3. through the daemon: a child daemon (bin/eternego.js) with a persona whose only organ is
//      this file; POST /read?wait, the first chat:delta on socket.io, her organ's tokens from
//      diagnose; the daemon's peak RSS. Its baseline is LlamaChat given a prompt of as many
//      tokens as hers and her decision schema: output tokens per second of the whole answer.
// The model is generated (random weights, no download): the figures are the engine's and the
// daemon's costs on this machine, not a real model's speed.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { ChatHistoryItem, LlamaChat, LlamaGrammar } from "node-llama-cpp";
import { io, type Socket } from "socket.io-client";
import type { ModelContext, OrganSpec } from "../core/api/index.js";
import type { ClientToServerEvents, ServerToClientEvents } from "../core/api/events.js";
import { DECISION_SCHEMA } from "../core/mind/decision.js";
import embedded from "../organs/embedded/index.js";
import { presence } from "../organs/embedded/src/engine.js";
import { toGrammarSchema } from "../organs/embedded/src/schema.js";
import { writeTinyGguf } from "../test/fixtures/gguf.js";
import { BIN, daemonEnv, freePort, median, spawnUntil200, tempHome } from "./lib.js";

export interface Rate {
  /** Output tokens per second, median over calls (decode only, or the whole answer: see each use). */
  tokensPerS: number;
  /** Time to the first token (or the first chat:delta), ms, median over calls. */
  ttftMs: number;
  calls: number;
  tokens: number;
}

export interface EmbeddedResult {
  model: { bytes: number; embedding: number; layers: number };
  /** Part 1: decode tokens/s and time to first token. */
  plugin: Rate;
  direct: Rate;
  /** direct tokens/s ÷ plugin tokens/s (above 1: the plugin is slower). */
  speedRatio: number;
  /** plugin time to first token ÷ direct. */
  ttftRatio: number;
  /** Part 2. */
  threads: { threads: number; tokensPerS: number; peakRssKiB: number }[];
  /** Part 3: whole-answer tokens/s, POST → first chat:delta; `readPerMessage`: prompt tokens read per message (her first prompt whole, then what is new). */
  daemon: Rate & { promptTokens: number; readPerMessage: number; thinkCalls: number; peakRssKiB: number };
  daemonBaseline: Rate & { readPerMessage: number };
  /** baseline tokens/s ÷ daemon tokens/s. */
  daemonRatio: number;
}

const EMBEDDING = 256;
const LAYERS = 4;
const ROUNDS = 6;
const PER_ROUND = 2;
const THREAD_TOKENS = 160;
const DAEMON_MESSAGES = 4;
const DEADLINE_MS = 60_000; // for each part
const MOOD = { type: "object", properties: { say: { type: "string" }, mood: { type: "string", enum: ["calm", "glad"] } }, required: ["say", "mood"], additionalProperties: false };
const SYSTEM = `You are Eve, a companion who lives on this machine. ${"Be brief and kind. ".repeat(12)}`;
const TEMPERATURE = 0.7; // the plugin's

type Sample = { ttftMs: number; tokens: number; ms: number };
type Library = typeof import("node-llama-cpp");

/** `whole`: tokens ÷ the whole time; otherwise tokens after the first ÷ the time after it. */
function rate(samples: Sample[], whole: boolean): Rate {
  return {
    tokensPerS: median(samples.map((s) => (whole ? s.tokens / s.ms : (s.tokens - 1) / Math.max(s.ms - s.ttftMs, 1e-3)) * 1000)),
    ttftMs: median(samples.map((s) => s.ttftMs)),
    calls: samples.length,
    tokens: samples.reduce((a, s) => a + s.tokens, 0),
  };
}

/** LlamaChat on its own context: the baseline, built as the plugin builds its session. */
async function directSession(lib: Library, file: string) {
  const llama = await lib.getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  // As the plugin makes hers: the default ETERNEGO_EMBEDDED_CONTEXT (8192), which is what this model was trained for.
  const context = await model.createContext({ contextSize: { min: 1024, max: 8192 }, threads: 1, sequences: 1 });
  const chat = new lib.LlamaChat({ contextSequence: context.getSequence() });
  const grammar = (schema: object) => llama.createGrammarForJsonSchema(toGrammarSchema(schema) as never);
  return {
    model,
    chat,
    grammar,
    async close() {
      chat.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

/** One answer from LlamaChat to `history` (which ends with the person's message). */
async function directCall(chat: LlamaChat, grammar: LlamaGrammar, history: ChatHistoryItem[]): Promise<Sample & { read: number; text: string }> {
  const meter = chat.sequence.tokenMeter;
  const before = meter.usedOutputTokens;
  const readBefore = meter.usedInputTokens;
  const start = performance.now();
  let first = 0;
  const r = await chat.generateResponse([...history, { type: "model", response: [] }], {
    grammar,
    maxTokens: Math.min(4096, chat.context.contextSize), // as the plugin bounds it
    temperature: TEMPERATURE,
    onTextChunk: () => (first ||= performance.now()),
  });
  const end = performance.now();
  return { ttftMs: first - start, tokens: meter.usedOutputTokens - before, ms: end - start, read: meter.usedInputTokens - readBefore, text: r.response };
}

/** Part 1: the plugin's Thinker and LlamaChat, in turns, on the same file. */
async function pluginVsDirect(file: string, direct: Awaited<ReturnType<typeof directSession>>): Promise<{ plugin: Sample[]; direct: Sample[] }> {
  const stop = new AbortController();
  let output = 0;
  const none = () => {};
  const ctx: ModelContext = { role: "thinking", log: { info: none, warn: none, error: none }, progress: none, usage: (u) => (output = u.output), timeoutMs: 60_000, signal: stop.signal };
  const spec: OrganSpec = { provider: "embedded", model: file, url: embedded.defaultUrl };
  const thinker = embedded.think!(spec, ctx);
  const grammar = await direct.grammar(MOOD);
  const plugin: Sample[] = [];
  const raw: Sample[] = [];
  const t0 = performance.now();
  let n = 0;
  try {
    for (let round = 0; round < ROUNDS && performance.now() - t0 < DEADLINE_MS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        const user = `Message ${++n}: how was your day?`;
        const start = performance.now();
        let first = 0;
        await thinker.think({ messages: [{ role: "system", content: SYSTEM }, { role: "user", content: user }], schema: MOOD, onDelta: () => (first ||= performance.now()) });
        plugin.push({ ttftMs: first - start, tokens: output, ms: performance.now() - start });
        raw.push(await directCall(direct.chat, grammar, [{ type: "system", text: SYSTEM }, { type: "user", text: user }]));
      }
    }
  } finally {
    stop.abort();
  }
  return { plugin, direct: raw };
}

/** Part 2: node-llama-cpp alone in a child, `threads` threads, a fixed number of tokens (no grammar: random weights never stop early). */
function threadsChild(entry: string, file: string, threads: number): Promise<{ tokensPerS: number; peakRssKiB: number }> {
  const code = `
    process.execArgv.splice(0); // node-llama-cpp forks to test its binary, inheriting execArgv (this -e)
    const [entry, file, threads, tokens] = process.argv.slice(1);
    const { getLlama, LlamaChat, LlamaLogLevel } = await import(entry);
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: Number(threads), logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: file });
    const context = await model.createContext({ contextSize: 1024, threads: Number(threads) });
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const meter = chat.sequence.tokenMeter;
    let first = 0;
    await chat.generateResponse([{ type: "user", text: "Tell me about your day." }, { type: "model", response: [] }], { maxTokens: Number(tokens), temperature: 0.7, onTextChunk: () => (first ||= performance.now()) });
    const end = performance.now();
    const hwm = Number(/^VmHWM:\\s+(\\d+)/m.exec((await import("node:fs")).readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
    process.stdout.write(JSON.stringify({ tokensPerS: (meter.usedOutputTokens - 1) / ((end - first) / 1000), peakRssKiB: hwm }) + "\\n", () => process.exit(0));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code, pathToFileURL(entry).href, file, String(threads), String(THREAD_TOKENS)], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    child.stderr.on("data", (b: Buffer) => (err += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
    child.on("close", (c) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!));
      } catch {
        reject(new Error(`the ${threads}-thread run failed (exit ${c}): ${err.slice(-500)}`));
      }
    });
  });
}

/** Part 3: a child daemon, a persona on the file, messages over HTTP, her words on socket.io. */
async function throughDaemon(file: string): Promise<EmbeddedResult["daemon"]> {
  const home = tempHome();
  const port = await freePort();
  const env = { ...daemonEnv(home), ETERNEGO_EMBEDDED_THREADS: "1", ETERNEGO_EMBEDDED_PARALLEL: "1" };
  const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", env, 20_000);
  const url = `http://127.0.0.1:${port}`;
  const post = async (p: string, body: unknown) => {
    const r = await fetch(url + p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await r.json()) as any;
    if (!r.ok) throw new Error(`POST ${p}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  type Tally = { calls: number; input_tokens: number; output_tokens: number };
  const diag = async (id: string): Promise<Tally> => ((await (await fetch(`${url}/api/persona/${id}/diagnose`)).json()) as any).organs.thinking;
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { reconnection: false, forceNew: true, transports: ["websocket"] });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once("connect_error", reject);
    socket.once("connect", () => resolve());
  });
  try {
    const created = await post("/api/persona/create", { name: "Eve", organs: { thinking: { provider: "embedded", model: file } } });
    const id: string = created.persona.id;
    await connected;
    await new Promise<void>((resolve) => socket.emit("persona:watch", id, () => resolve()));
    let first = 0;
    socket.on("chat:delta", () => (first ||= performance.now()));
    const samples: Sample[] = [];
    let promptTokens = 0;
    let calls = 0;
    let read = 0;
    const t0 = performance.now();
    for (let i = 0; i < DAEMON_MESSAGES && performance.now() - t0 < DEADLINE_MS; i++) {
      const before = await diag(id);
      first = 0;
      const start = performance.now();
      await post(`/api/persona/${id}/read?wait=120`, { message: `Message ${i + 1}: how was your day?` });
      const end = performance.now();
      const after = await diag(id);
      if (i === 0) promptTokens = Math.round((after.input_tokens - before.input_tokens) / Math.max(1, after.calls - before.calls));
      calls += after.calls - before.calls;
      read += after.input_tokens - before.input_tokens;
      // Her words stream as drafts only when she says something: a silent answer has no first delta.
      if (first) samples.push({ ttftMs: first - start, tokens: after.output_tokens - before.output_tokens, ms: end - start });
    }
    const peakRssKiB = Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${d.proc.pid}/status`, "utf8"))?.[1] ?? 0);
    return { ...rate(samples, true), promptTokens, readPerMessage: read / DAEMON_MESSAGES, thinkCalls: calls, peakRssKiB };
  } finally {
    socket.close();
    await d.stop();
  }
}

/** A system message of about `tokens` tokens for this model. */
function paddedSystem(direct: Awaited<ReturnType<typeof directSession>>, tokens: number): string {
  let text = SYSTEM;
  while (direct.model.tokenize(text).length < tokens) text += " Remember what the person told you, and be kind.";
  return text;
}

export async function embeddedBench(): Promise<EmbeddedResult> {
  const here = presence();
  if (!here.ok) throw new Error(`${here.why} — ${here.fix}`);
  const lib = (await import(pathToFileURL(here.entry).href)) as Library;
  const dir = tempHome();
  const model = writeTinyGguf({ dir, name: "bench", embedding: EMBEDDING, layers: LAYERS });
  const direct = await directSession(lib, model.path);
  try {
    const part1 = await pluginVsDirect(model.path, direct);
    const threads = [];
    for (const n of [1, 2]) threads.push({ threads: n, ...(await threadsChild(here.entry, model.path, n)) });
    const daemon = await throughDaemon(model.path);
    const system = paddedSystem(direct, daemon.promptTokens);
    const grammar = await direct.grammar(DECISION_SCHEMA);
    // Her prompt as the mind builds it: her identity, then the day's conversation, where her
    // earlier answers are her words (not the JSON they came in), so each beat reads them anew.
    const baseline: (Sample & { read: number })[] = [];
    const history: ChatHistoryItem[] = [{ type: "system", text: system }];
    for (let i = 0; i < DAEMON_MESSAGES; i++) {
      history.push({ type: "user", text: `Message ${i + 1}: how was your day?` });
      const answer = await directCall(direct.chat, grammar, history);
      baseline.push(answer);
      let say = "";
      try {
        say = String((JSON.parse(answer.text) as { say?: unknown }).say ?? "");
      } catch {
        // an answer cut short: nothing said
      }
      if (say) history.push({ type: "model", response: [say] });
    }
    const plugin = rate(part1.plugin, false);
    const raw = rate(part1.direct, false);
    const daemonBaseline = { ...rate(baseline, true), readPerMessage: baseline.reduce((a, b) => a + b.read, 0) / baseline.length };
    return {
      model: { bytes: model.bytes, embedding: EMBEDDING, layers: LAYERS },
      plugin,
      direct: raw,
      speedRatio: raw.tokensPerS / plugin.tokensPerS,
      ttftRatio: plugin.ttftMs / raw.ttftMs,
      threads,
      daemon,
      daemonBaseline,
      daemonRatio: daemonBaseline.tokensPerS / daemon.tokensPerS,
    };
  } finally {
    await direct.close();
  }
}
