// The OpenAI-compatible door against the native one: the same message, the same persona, the
// same fake organ, through `POST /v1/chat/completions` and through `POST /api/persona/:id/read?wait`,
// on a daemon in a child process; and how soon a streamed completion shows her first words.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { startFakeOllama } from "../test/fixtures/fake-ollama.js";
import { BIN, daemonEnv, freePort, median, percentile, postJson, spawnUntil200, tempHome } from "./lib.js";

export interface V1Result {
  readP50: number;
  v1P50: number;
  readP95: number;
  v1P95: number;
  ratio: number;
  firstChunkP50: number;
  wholeStreamP50: number;
  organStreamMs: number;
  samples: number;
}

const ROUNDS = 3;
const PER_ROUND = 60;

/** POSTs JSON and resolves with the time to the first SSE data line carrying content, and to the end. */
function streamed(url: string, body: unknown): Promise<{ first: number; whole: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1;
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        if (first < 0 && /"content":"[^"]/.test(d)) first = performance.now() - t0;
      });
      res.on("end", () => resolve({ first, whole: performance.now() - t0 }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

export async function v1Overhead(): Promise<V1Result> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  const home = tempHome();
  const port = await freePort();
  const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", daemonEnv(home));
  try {
    const api = `http://127.0.0.1:${port}`;
    const made = await postJson(`${api}/api/persona/create`, { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
    const id = made.body.persona.id as string;
    const answer = JSON.stringify({ say: "I hear you, and I am glad you wrote.", tools: [], task: "" });
    ollama.brain = () => answer;
    const read = () => postJson(`${api}/api/persona/${id}/read?wait=30`, { message: "hello there" });
    const v1 = () => postJson(`${api}/v1/chat/completions`, { model: id, messages: [{ role: "user", content: "hello there" }] });
    for (let i = 0; i < 10; i++) (await read(), await v1());
    const readMs: number[] = [];
    const v1Ms: number[] = [];
    const time = async (fn: () => Promise<{ status: number }>, into: number[]) => {
      const t0 = performance.now();
      const r = await fn();
      into.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`answered ${r.status}`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) await time(read, readMs);
      for (let i = 0; i < PER_ROUND; i++) await time(v1, v1Ms);
    }

    // Streaming: the organ streams her answer in 12 pieces 15 ms apart; the first words should
    // reach the client long before the last.
    const pieces = answer.match(/.{1,6}/g)!;
    ollama.brain = () => ({ chunks: pieces, delayMs: 15 });
    const firsts: number[] = [];
    const wholes: number[] = [];
    for (let i = 0; i < 15; i++) {
      const s = await streamed(`${api}/v1/chat/completions`, { model: id, stream: true, messages: [{ role: "user", content: "hello there" }] });
      firsts.push(s.first);
      wholes.push(s.whole);
    }
    return {
      readP50: median(readMs), v1P50: median(v1Ms), readP95: percentile(readMs, 95), v1P95: percentile(v1Ms, 95),
      ratio: median(v1Ms) / median(readMs),
      firstChunkP50: median(firsts), wholeStreamP50: median(wholes), organStreamMs: (pieces.length - 1) * 15,
      samples: readMs.length,
    };
  } finally {
    await d.stop();
    await ollama.close();
  }
}
