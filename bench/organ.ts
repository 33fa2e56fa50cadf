// (d) Organ overhead: think calls through the openai plugin's Thinker against the same
// request made with raw `fetch` to the same fake OpenAI server, in this process. The fake's
// own cost and the loopback are on both sides, so the ratio is what the plugin adds (request
// building, retries and timeouts armed, fault mapping, the JSON answer check).
// (e) Time to first streamed delta: the plugin's onDelta against raw fetch reading the SSE
// body until the first content delta.
import { performance } from "node:perf_hooks";
import { organRequest, targetOf, type ModelContext, type OrganSpec, type ThinkRequest } from "../core/api/index.js";
import openai from "../organs/openai/index.js";
import { startFakeOpenAI } from "../test/fixtures/fake-openai.js";
import { median } from "./lib.js";

export interface OrganOverhead {
  calls: number;
  pluginMs: number;
  rawMs: number;
  /** plugin time ÷ raw time in the same round, median over rounds. */
  ratio: number;
}

export interface OrganResult {
  plain: OrganOverhead & {
    /** The same call made with core's `organRequest` alone (timeout, retries armed, fault mapping) and JSON.parse. */
    toolkitMs: number;
    /** toolkit time ÷ raw time in the same round, median over rounds. */
    toolkitRatio: number;
  };
  schema: OrganOverhead;
  ttfd: { samples: number; chunks: number; gapMs: number; pluginMedianMs: number; rawMedianMs: number; ratio: number };
}

const CALLS = 300;
const WARMUP = 100;
const ROUNDS = 9;
const DEADLINE_MS = 10_000; // per measured run
const TTFD_SAMPLES = 60;
const CHUNKS = ["Good ", "morning, ", "Ada. ", "Slept ", "well?"];
const GAP_MS = 4; // between streamed chunks, so the first delta is clearly before the last

const KEY = "sk-bench-0123456789abcdef";
const SYSTEM = "You are Eve, a companion who lives on this machine. Be brief.";
const SCHEMA = { type: "object", properties: { say: { type: "string" } }, required: ["say"], additionalProperties: false };
const ANSWER = "Good morning, Ada. Slept well?";

function ctx(): ModelContext {
  const none = () => {};
  return { role: "thinking", log: { info: none, warn: none, error: none }, progress: none, usage: none, timeoutMs: 30_000 };
}

/** Runs `call` up to `n` times (stopping at the deadline); total ms and the count done. */
async function timed(n: number, call: () => Promise<void>): Promise<{ ms: number; done: number }> {
  const t0 = performance.now();
  let done = 0;
  while (done < n && performance.now() - t0 < DEADLINE_MS) {
    await call();
    done++;
  }
  return { ms: performance.now() - t0, done };
}

/**
 * Alternates the sides (the order reverses every round, so no side always follows another's
 * garbage). Per side: the best round's ms per call (noise only ever slows a round down).
 * Ratios: the median over rounds of each side's time ÷ the last side's time in the same
 * round, so drift between rounds (other work on the machine) cancels out.
 */
async function compare(...sides: (() => Promise<void>)[]): Promise<{ ms: number[]; ratios: number[] }> {
  for (const side of sides) await timed(WARMUP, side);
  const rounds: number[][] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = sides.map((_, j) => j);
    if (i % 2) order.reverse();
    const perCall: number[] = [];
    for (const j of order) {
      const x = await timed(CALLS, sides[j]!);
      perCall[j] = x.ms / x.done;
    }
    rounds.push(perCall);
  }
  const base = sides.length - 1;
  return {
    ms: sides.map((_, j) => Math.min(...rounds.map((r) => r[j]!))),
    ratios: sides.map((_, j) => median(rounds.map((r) => r[j]! / r[base]!))),
  };
}

export async function organ(): Promise<OrganResult> {
  const fake = await startFakeOpenAI({ apiKey: KEY, models: ["gpt-4o-mini"] });
  try {
    const base = `${fake.url}/v1`;
    const spec: OrganSpec = { provider: "openai", model: "gpt-4o-mini", url: base, api_key: KEY };
    const thinker = openai.think!(spec, ctx());
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const messages: ThinkRequest["messages"] = [{ role: "system", content: SYSTEM }, { role: "user", content: "Good morning!" }];
    const wire = messages.map((m) => ({ role: m.role, content: m.content }));
    const expect = (what: string, got: unknown, want: unknown) => {
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    };

    // (d) plain text answers. The raw side does per call what any hand-written client
    // must: serialise the body, POST it, parse the answer.
    const target = targetOf(spec, { role: "thinking" });
    const plainRun = await compare(
      async () => {
        fake.reply(ANSWER);
        expect("plugin", (await thinker.think({ messages })).text, ANSWER);
      },
      async () => {
        fake.reply(ANSWER);
        const init = { method: "POST", headers, body: JSON.stringify({ model: spec.model, messages: wire }) };
        const res = await organRequest(target, `${base}/chat/completions`, init, { timeoutMs: 30_000, secrets: [KEY] });
        const body = JSON.parse(await res.text()) as { choices: { message: { content: string } }[] };
        expect("toolkit", body.choices[0]!.message.content, ANSWER);
      },
      async () => {
        fake.reply(ANSWER);
        const res = await fetch(`${base}/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: spec.model, messages: wire }) });
        const body = (await res.json()) as { choices: { message: { content: string } }[] };
        expect("raw", body.choices[0]!.message.content, ANSWER);
      },
    );
    const [pluginMs, toolkitMs, rawMs] = plainRun.ms;
    const plain = { calls: CALLS, pluginMs: pluginMs!, toolkitMs: toolkitMs!, rawMs: rawMs!, ratio: plainRun.ratios[0]!, toolkitRatio: plainRun.ratios[1]! };

    // (d) schema answers: the raw side only parses the content, the plugin also checks it.
    const json = JSON.stringify({ say: ANSWER });
    const format = { type: "json_schema", json_schema: { name: "answer", schema: SCHEMA, strict: true } };
    const schemaRun = await compare(
      async () => {
        fake.reply(json);
        expect("plugin", (await thinker.think({ messages, schema: SCHEMA })).json, { say: ANSWER });
      },
      async () => {
        fake.reply(json);
        const res = await fetch(`${base}/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: spec.model, messages: wire, response_format: format }) });
        const body = (await res.json()) as { choices: { message: { content: string } }[] };
        expect("raw", JSON.parse(body.choices[0]!.message.content), { say: ANSWER });
      },
    );
    const schema = { calls: CALLS, pluginMs: schemaRun.ms[0]!, rawMs: schemaRun.ms[1]!, ratio: schemaRun.ratios[0]! };

    // (e) time to first streamed delta.
    const pluginTtfd = async (): Promise<number> => {
      fake.reply({ content: ANSWER, chunks: CHUNKS, delayMs: GAP_MS });
      const t0 = performance.now();
      let first = -1;
      const r = await thinker.think({ messages, onDelta: () => void (first < 0 && (first = performance.now() - t0)) });
      expect("plugin stream", r.text, ANSWER);
      return first;
    };
    const rawTtfd = async (): Promise<number> => {
      fake.reply({ content: ANSWER, chunks: CHUNKS, delayMs: GAP_MS });
      const t0 = performance.now();
      let first = -1;
      let text = "";
      const res = await fetch(`${base}/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: spec.model, messages: wire, stream: true, stream_options: { include_usage: true } }) });
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const bytes of res.body!) {
        buffer += decoder.decode(bytes, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          const delta = (JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content;
          if (delta) {
            if (first < 0) first = performance.now() - t0;
            text += delta;
          }
        }
      }
      expect("raw stream", text, ANSWER);
      return first;
    };
    for (let i = 0; i < 10; i++) {
      await pluginTtfd();
      await rawTtfd();
    }
    const p: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < TTFD_SAMPLES; i++) {
      p.push(await pluginTtfd());
      r.push(await rawTtfd());
    }
    const pm = median(p);
    const rm = median(r);
    return { plain, schema, ttfd: { samples: TTFD_SAMPLES, chunks: CHUNKS.length, gapMs: GAP_MS, pluginMedianMs: pm, rawMedianMs: rm, ratio: pm / rm } };
  } finally {
    await fake.close();
  }
}
