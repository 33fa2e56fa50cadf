// (f) Daemon overhead per message: a persona thinking with the ollama plugin against the
// fake Ollama, in this process, one message at a time. Two legs are timed on one clock:
// (1) POST /read sent → the fake's /api/chat handler entered (HTTP in, her conversation
// written, her prompt built from her files, the organ's request out), and (2) the fake's
// answer complete → her `chat:message` at a socket.io client (the stream parsed, the
// decision checked, her words written and pushed). The fake's own time sits between the
// legs and is on neither. Baseline: a bare express handler forwarding the same-sized chat
// request to the same fake with raw fetch, reading the NDJSON stream, and emitting on a bare
// socket.io server — the same two legs, with nothing kept.
// (g) 20 personas × 50 concurrent messages on one daemon (a child process, so its RSS is its
// own), the fake Ollama in this process: every message must be in her conversation exactly
// once and named in some answer of hers.
import "reflect-metadata";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import express from "express";
import { Server } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { buildDaemon } from "../core/bootstrap.js";
import { resolveConfig } from "../core/config.js";
import { startFakeOllama, type ChatRequest, type FakeOllama } from "../test/fixtures/fake-ollama.js";
import { BIN, daemonEnv, freePort, percentile, postJson, procKiB, sleep, spawnUntil200, tempHome } from "./lib.js";

const MODEL = "llama3.2";
const DAEMON_ENV = { ETERNEGO_QUIET: "1" };

/** Her decision JSON, as the fake model answers it. */
const decide = (say: string) => JSON.stringify({ say, tools: [], task: "" });
/** The last person message of a chat request, without the time stamp her prompt adds. */
function lastWords(req: ChatRequest): string {
  const m = [...(req.messages ?? [])].reverse().find((x) => x.role === "user");
  return (m?.content ?? "").replace(/^\[[^\]]*\]\s*/, "");
}
const echo = (req: ChatRequest) => decide(`echo ${lastWords(req)}`);

async function watcher(url: string, event: string, arg: string): Promise<Socket> {
  const socket = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  const ack = (await socket.timeout(5_000).emitWithAck(event, arg)) as { ok?: boolean };
  if (!ack?.ok) throw new Error(`${event} was refused: ${JSON.stringify(ack)}`);
  return socket;
}

async function createPersona(base: string, name: string, fakeUrl: string): Promise<string> {
  const r = await postJson(`${base}/api/persona/create`, { name, organs: { thinking: { provider: "ollama", model: MODEL, url: fakeUrl } } }, 30_000);
  if (r.status !== 201) throw new Error(`creating ${name} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.persona.id as string;
}

// ─── (f) ──────────────────────────────────────────────────────────────────────

export interface Legs {
  samples: number;
  /** leg 1 + leg 2, ms. */
  sumP50: number;
  sumP95: number;
  leg1P50: number;
  leg2P50: number;
  leg1P95: number;
  leg2P95: number;
  /** POST sent → her words at the client, fake included, ms. */
  totalP50: number;
}

export interface OverheadResult {
  daemon: Legs;
  bare: Legs;
  /** Daemon p50 of the sum ÷ baseline p50 of the sum. */
  ratio: number;
  /** Entries in her conversation at the end (her prompt takes the newest 80; the file is read whole every beat). */
  conversationLines: number;
  /** Bytes of the chat request body both sides send. */
  requestBytes: number;
}

const F_WARMUP = 60; // per side; also fills her conversation past the 80 messages a prompt takes
const F_ROUNDS = 3;
const F_PER_ROUND = 100;
const F_MESSAGE_MS = 10_000;
const F_DEADLINE_MS = 30_000; // per round and side

interface Sample {
  leg1: number;
  leg2: number;
  total: number;
}

/** A minimal forwarder: POST → fake /api/chat (streamed) → decision parsed → socket.io event + JSON answer. */
async function bareForwarder(fakeUrl: string, template: ChatRequest): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json());
  const server = http.createServer(app);
  const io = new Server(server, { serveClient: false, cors: { origin: false } });
  io.on("connection", (socket) => {
    socket.on("watch", async (room: string, ack?: (r: unknown) => void) => {
      await socket.join(String(room));
      ack?.({ ok: true });
    });
  });
  const head = template.messages.slice(0, -1);
  app.post("/read/:room", async (req, res, next) => {
    try {
      const id = crypto.randomUUID();
      const body = { ...template, messages: [...head, { role: "user", content: String(req.body.message) }] };
      const r = await fetch(`${fakeUrl}/api/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const decoder = new TextDecoder();
      let buffer = "";
      let content = "";
      for await (const bytes of r.body!) {
        buffer += decoder.decode(bytes, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) content += (JSON.parse(line) as { message?: { content?: string } }).message?.content ?? "";
        }
      }
      const say = String((JSON.parse(content) as { say: string }).say);
      const time = new Date().toISOString();
      const e = { persona: req.params.room, id: crypto.randomUUID(), from: "persona", channel: "web", text: say, time };
      io.to(req.params.room).emit("chat:message", e);
      res.json({ status: "answered", id, replies: [{ id: e.id, text: say, channel: "web", time }] });
    } catch (err) {
      next(err);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    close: async () => {
      await new Promise<void>((r) => io.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Sends messages one at a time to `readUrl` and times both legs of each against the fake and `socket`. */
function sender(fake: FakeOllama, readUrl: string, socket: Socket, label: string) {
  const waiting = new Map<string, (t: number) => void>();
  socket.on("chat:message", (e: { from: string; text: string }) => {
    const t = performance.now();
    if (e.from === "persona") waiting.get(e.text)?.(t);
  });
  let n = 0;
  const one = async (): Promise<Sample> => {
    const text = `${label} message ${n++}`;
    const want = `echo ${text}`;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<number>((resolve, reject) => {
      waiting.set(want, resolve);
      timer = setTimeout(() => reject(new Error(`${label}: no chat:message "${want}" within ${F_MESSAGE_MS} ms`)), F_MESSAGE_MS);
    });
    const cur = { tReq: -1, tEnd: -1, requests: 0 };
    fake.onChat = (event) => {
      const t = performance.now();
      if (event === "request") {
        if (cur.requests++ === 0) cur.tReq = t;
      } else cur.tEnd = t;
    };
    const t0 = performance.now();
    try {
      const r = await postJson(readUrl, { message: text }, F_MESSAGE_MS);
      const tEvent = await seen;
      if (r.status !== 200 || r.body?.status !== "answered" || r.body.replies?.[0]?.text !== want) {
        throw new Error(`${label}: answered ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
      if (cur.requests !== 1 || cur.tEnd < 0) throw new Error(`${label}: ${cur.requests} chat requests for one message (expected exactly 1)`);
      return { leg1: cur.tReq - t0, leg2: tEvent - cur.tEnd, total: tEvent - t0 };
    } finally {
      clearTimeout(timer);
      waiting.delete(want);
      fake.onChat = null;
    }
  };
  return async (count: number): Promise<Sample[]> => {
    const out: Sample[] = [];
    const t0 = performance.now();
    while (out.length < count && performance.now() - t0 < F_DEADLINE_MS) out.push(await one());
    return out;
  };
}

function legs(xs: Sample[]): Legs {
  const sums = xs.map((x) => x.leg1 + x.leg2);
  const l1 = xs.map((x) => x.leg1);
  const l2 = xs.map((x) => x.leg2);
  return {
    samples: xs.length,
    sumP50: percentile(sums, 50),
    sumP95: percentile(sums, 95),
    leg1P50: percentile(l1, 50),
    leg2P50: percentile(l2, 50),
    leg1P95: percentile(l1, 95),
    leg2P95: percentile(l2, 95),
    totalP50: percentile(xs.map((x) => x.total), 50),
  };
}

export async function mindOverhead(): Promise<OverheadResult> {
  const fake = await startFakeOllama({ models: [MODEL] });
  fake.brain = echo;
  const home = tempHome();
  const daemon = await buildDaemon(resolveConfig({ home, port: 0 }, DAEMON_ENV));
  await daemon.start();
  const sockets: Socket[] = [];
  let bare: Awaited<ReturnType<typeof bareForwarder>> | null = null;
  try {
    const id = await createPersona(daemon.url, "Ada", fake.url);
    const ds = await watcher(daemon.url, "persona:watch", id);
    sockets.push(ds);
    const daemonSide = sender(fake, `${daemon.url}/api/persona/${id}/read?wait=10`, ds, "daemon");
    await daemonSide(F_WARMUP);

    // The baseline sends what she sends: her last chat request, with the new words in the last message.
    const chats = fake.requests.filter((q) => q.path === "/api/chat" && Array.isArray(q.body?.messages) && q.body.messages.length);
    const template = chats.at(-1)!.body as ChatRequest;
    bare = await bareForwarder(fake.url, template);
    const bs = await watcher(bare.url, "watch", "room-1");
    sockets.push(bs);
    const bareSide = sender(fake, `${bare.url}/read/room-1`, bs, "bare");
    await bareSide(F_WARMUP);

    const d: Sample[] = [];
    const b: Sample[] = [];
    for (let i = 0; i < F_ROUNDS; i++) {
      if (i % 2) {
        b.push(...(await bareSide(F_PER_ROUND)));
        d.push(...(await daemonSide(F_PER_ROUND)));
      } else {
        d.push(...(await daemonSide(F_PER_ROUND)));
        b.push(...(await bareSide(F_PER_ROUND)));
      }
    }
    const conversation = fs.readFileSync(path.join(home, "personas", id, "home", "conversation.jsonl"), "utf8").split("\n").filter(Boolean).length;
    const dl = legs(d);
    const bl = legs(b);
    return { daemon: dl, bare: bl, ratio: dl.sumP50 / bl.sumP50, conversationLines: conversation, requestBytes: Buffer.byteLength(JSON.stringify(template)) };
  } finally {
    for (const s of sockets) s.close();
    await bare?.close();
    await daemon.stop();
    await fake.close();
  }
}

// ─── (g) ──────────────────────────────────────────────────────────────────────

export interface Problem {
  persona: number;
  text: string;
  what: string;
}

export interface SwarmResult {
  personas: number;
  perPersona: number;
  messages: number;
  wallMs: number;
  rate: number;
  /** HTTP answers of the burst: 200 answered with words, 200 with none, 202 (gave up waiting), anything else. */
  http: { answered: number; silent: number; received: number; failed: number };
  /** Chat requests the fake received for the burst: her beats (each takes everything waiting). */
  thinkingCalls: number;
  /** Daemon VmRSS idle with 20 personas before the burst, VmHWM before and after, KiB. */
  rssIdleKiB: number;
  hwmBeforeKiB: number;
  hwmKiB: number;
  lost: number;
  duplicated: number;
  unanswered: number;
  misplaced: number;
  idMismatch: number;
  problems: Problem[];
  daemonStderr: string;
}

const G_PERSONAS = 20;
const G_PER_PERSONA = 50;
const G_WAIT_S = 60;

export async function mindSwarm(): Promise<SwarmResult> {
  const fake = await startFakeOllama({ models: [MODEL] });
  fake.brain = echo;
  const home = tempHome();
  const port = await freePort();
  const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", { ...daemonEnv(home), ...DAEMON_ENV });
  const pid = d.proc.pid!;
  try {
    const base = `http://127.0.0.1:${port}`;
    const ids: string[] = [];
    for (let i = 0; i < G_PERSONAS; i++) ids.push(await createPersona(base, `Swarm ${String(i).padStart(2, "0")}`, fake.url));
    // One message each first, so every organ has spoken once (as in a day already begun).
    await Promise.all(
      ids.map(async (id, p) => {
        const r = await postJson(`${base}/api/persona/${id}/read?wait=10`, { message: `warm-up ${p}` }, 15_000);
        if (r.status !== 200) throw new Error(`warm-up of persona ${p} answered ${r.status}: ${JSON.stringify(r.body)}`);
      }),
    );
    await sleep(200);
    const rssIdleKiB = procKiB(pid, "VmRSS");
    const hwmBeforeKiB = procKiB(pid, "VmHWM");
    const chatsBefore = fake.requests.filter((q) => q.path === "/api/chat").length;

    const nonce = crypto.randomBytes(3).toString("hex");
    type Sent = { p: number; text: string; status: number; body: any; err?: string };
    const sends: Promise<Sent>[] = [];
    const t0 = performance.now();
    // Interleaved, so every persona's inbox fills while the others' do.
    for (let j = 0; j < G_PER_PERSONA; j++) {
      for (let p = 0; p < G_PERSONAS; p++) {
        const text = `p${p} m${j} ${nonce}`;
        sends.push(
          postJson(`${base}/api/persona/${ids[p]}/read?wait=${G_WAIT_S}`, { message: text }, (G_WAIT_S + 10) * 1000).then(
            (r) => ({ p, text, status: r.status, body: r.body }),
            (err: Error) => ({ p, text, status: 0, body: null, err: err.message }),
          ),
        );
      }
    }
    const sent = await Promise.all(sends);
    const wallMs = performance.now() - t0;
    const hwmKiB = procKiB(pid, "VmHWM");
    const thinkingCalls = fake.requests.filter((q) => q.path === "/api/chat").length - chatsBefore;

    const httpCounts = { answered: 0, silent: 0, received: 0, failed: 0 };
    const problems: Problem[] = [];
    for (const s of sent) {
      if (s.status === 200 && s.body?.status === "answered") s.body.replies?.length ? httpCounts.answered++ : httpCounts.silent++;
      else if (s.status === 202) httpCounts.received++;
      else {
        httpCounts.failed++;
        problems.push({ persona: s.p, text: s.text, what: `HTTP ${s.status} ${s.err ?? JSON.stringify(s.body).slice(0, 200)}` });
      }
    }

    // The files are the truth: every message once, in her own conversation, named in an answer.
    let lost = 0;
    let duplicated = 0;
    let unanswered = 0;
    let misplaced = 0;
    let idMismatch = 0;
    const byText = new Map<string, { p: number; id: string }[]>();
    const answeredIds: Set<string>[] = [];
    for (let p = 0; p < G_PERSONAS; p++) {
      const file = path.join(home, "personas", ids[p]!, "home", "conversation.jsonl");
      const entries = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; from: string; text: string; answers?: string[] });
      answeredIds[p] = new Set(entries.filter((e) => e.from === "persona").flatMap((e) => e.answers ?? []));
      for (const e of entries) if (e.from === "person") byText.set(e.text, [...(byText.get(e.text) ?? []), { p, id: e.id }]);
    }
    for (const s of sent) {
      const found = byText.get(s.text) ?? [];
      const mine = found.filter((f) => f.p === s.p);
      if (found.length > mine.length) {
        misplaced++;
        problems.push({ persona: s.p, text: s.text, what: `written to persona(s) ${found.filter((f) => f.p !== s.p).map((f) => f.p).join(", ")}` });
      }
      if (!mine.length) {
        lost++;
        problems.push({ persona: s.p, text: s.text, what: "not in her conversation.jsonl" });
        continue;
      }
      if (mine.length > 1) {
        duplicated++;
        problems.push({ persona: s.p, text: s.text, what: `${mine.length} times in her conversation.jsonl` });
      }
      if (!mine.some((m) => answeredIds[s.p]!.has(m.id))) {
        unanswered++;
        problems.push({ persona: s.p, text: s.text, what: `id ${mine[0]!.id} is in no answers of hers` });
      }
      if (s.body?.id && !mine.some((m) => m.id === s.body.id)) {
        idMismatch++;
        problems.push({ persona: s.p, text: s.text, what: `HTTP gave id ${s.body.id}, the file has ${mine.map((m) => m.id).join(", ")}` });
      }
    }
    const messages = G_PERSONAS * G_PER_PERSONA;
    return {
      personas: G_PERSONAS,
      perPersona: G_PER_PERSONA,
      messages,
      wallMs,
      rate: (messages / wallMs) * 1000,
      http: httpCounts,
      thinkingCalls,
      rssIdleKiB,
      hwmBeforeKiB,
      hwmKiB,
      lost,
      duplicated,
      unanswered,
      misplaced,
      idMismatch,
      problems,
      daemonStderr: d.stderr(),
    };
  } finally {
    await d.stop();
    await fake.close();
  }
}
