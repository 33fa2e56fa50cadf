// Her channels under load, on a daemon in a child process with the fake platforms and the fake
// Ollama in the bench process: (a) one message on Telegram → her answer at the fake, against the
// same message over HTTP `read?wait`; (b) a burst over 20 personas × their channels, every
// message and every answer counted exactly once.
import { performance } from "node:perf_hooks";
import { startFakeOllama, type ChatRequest } from "../test/fixtures/fake-ollama.js";
import { startFakeTelegram, type FakeTelegram, type SentMessage } from "../test/fixtures/fake-telegram.js";
import { BIN, daemonEnv, freePort, median, percentile, postJson, spawnUntil200, tempHome } from "./lib.js";

const decision = (say: string) => JSON.stringify({ say, tools: [], task: "" });
/** What the person's last words were, without the time stamp her prompt adds. */
const lastWords = (req: ChatRequest) => ([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "").replace(/^\[[^\]]*\]\s*/, "");

/** Resolves with the next message the bot sends to `chat` that `match`es; rejects after `ms`. */
function nextSent(tg: FakeTelegram, chat: string, match: (m: SentMessage) => boolean, ms = 30_000): Promise<SentMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (tg.events.off("sent", on), reject(new Error(`no answer in chat ${chat} within ${ms} ms`))), ms);
    const on = (m: SentMessage) => {
      if (m.chat !== chat || !match(m)) return;
      clearTimeout(timer);
      tg.events.off("sent", on);
      resolve(m);
    };
    tg.events.on("sent", on);
  });
}

interface Her {
  id: string;
  chat: string;
  token: string;
}

/** A persona with a paired Telegram chat of her own (her own bot at the fake). */
async function pairedOnTelegram(api: string, tg: FakeTelegram, ollamaUrl: string, n: number): Promise<Her> {
  const made = await postJson(`${api}/api/persona/create`, { name: `Ada ${n}`, organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollamaUrl } } });
  if (made.status !== 201) throw new Error(`create: ${made.status} ${JSON.stringify(made.body)}`);
  const id = made.body.persona.id as string;
  const bot = n === 0 ? tg.bot : tg.addBot(`ada_${n}_bot`);
  const added = await postJson(`${api}/api/persona/${id}/channels`, { type: "telegram", credentials: { token: bot.token, api_url: tg.url } });
  if (added.status !== 201) throw new Error(`add channel: ${added.status} ${JSON.stringify(added.body)}`);
  const chat = String(1000 + n);
  const code = nextSent(tg, chat, (m) => /code [A-Z2-9]{8}/.test(m.text));
  tg.message(chat, { text: "hi", from: "sam" }, bot.token);
  const text = (await code).text;
  const confirmed = nextSent(tg, chat, (m) => m.text.startsWith("Paired"));
  const paired = await postJson(`${api}/api/persona/${id}/pair`, { code: /code ([A-Z2-9]{8})/.exec(text)![1] });
  if (paired.status !== 200) throw new Error(`pair: ${paired.status} ${JSON.stringify(paired.body)}`);
  await confirmed;
  return { id, chat, token: bot.token };
}

export interface ChannelLatency {
  telegramP50: number;
  telegramP95: number;
  readP50: number;
  readP95: number;
  ratio: number;
  samples: number;
}

export async function telegramLatency(): Promise<ChannelLatency> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  const tg = await startFakeTelegram();
  ollama.brain = (req) => decision(`Heard: ${lastWords(req)}`);
  const port = await freePort();
  const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", { ...daemonEnv(tempHome()), ETERNEGO_TELEGRAM_POLL_S: "25", ETERNEGO_CHANNEL_RETRY_MS: "50" });
  try {
    const api = `http://127.0.0.1:${port}`;
    const her = await pairedOnTelegram(api, tg, ollama.url, 0);
    const viaTelegram: number[] = [];
    const viaRead: number[] = [];
    const telegram = async (i: number) => {
      const words = `message ${i}`;
      const answered = nextSent(tg, her.chat, (m) => m.text === `Heard: ${words}`);
      const t0 = performance.now();
      tg.message(her.chat, { text: words, from: "sam" }, her.token);
      await answered;
      viaTelegram.push(performance.now() - t0);
    };
    const read = async (i: number) => {
      const t0 = performance.now();
      const r = await postJson(`${api}/api/persona/${her.id}/read?wait=30`, { message: `message ${i}` });
      if (r.status !== 200) throw new Error(`read: ${r.status}`);
      viaRead.push(performance.now() - t0);
    };
    for (let i = 0; i < 10; i++) (await telegram(i), await read(i));
    viaTelegram.length = viaRead.length = 0;
    // Alternating, so what the machine does meanwhile falls on both alike.
    for (let i = 0; i < 120; i++) (await telegram(i), await read(i));
    return {
      telegramP50: median(viaTelegram), telegramP95: percentile(viaTelegram, 95),
      readP50: median(viaRead), readP95: percentile(viaRead, 95),
      ratio: median(viaTelegram) / median(viaRead), samples: viaTelegram.length,
    };
  } finally {
    await d.stop();
    await tg.close();
    await ollama.close();
  }
}

export interface BurstResult {
  personas: number;
  chats: number;
  messages: number;
  wallMs: number;
  answers: number;
  lost: number;
  duplicated: number;
  unsent: number;
  sentTwice: number;
}

/**
 * 20 personas, each on Telegram (her own bot at one fake) and Discord (her own fake), every
 * chat paired; then a burst of messages into all 40 chats at once. Counted at the end: every
 * message in her conversation exactly once, and every answer she gave at its platform exactly once.
 */
export async function channelBurst(personas = 20, perChat = 5): Promise<BurstResult> {
  const { startFakeDiscord } = await import("../test/fixtures/fake-discord.js");
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  ollama.brain = (req) => decision(`Heard: ${lastWords(req).split("\n")[0]}`);
  const tg = await startFakeTelegram();
  const discords = await Promise.all(Array.from({ length: personas }, () => startFakeDiscord({ heartbeatMs: 30_000 })));
  const port = await freePort();
  const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", { ...daemonEnv(tempHome()), ETERNEGO_TELEGRAM_POLL_S: "25", ETERNEGO_CHANNEL_RETRY_MS: "50" });
  try {
    const api = `http://127.0.0.1:${port}`;
    const hers: { id: string; tg: Her; dc: { channel: string; fake: (typeof discords)[number] } }[] = [];
    for (let n = 0; n < personas; n++) {
      const t = await pairedOnTelegram(api, tg, ollama.url, n);
      const fake = discords[n]!;
      const added = await postJson(`${api}/api/persona/${t.id}/channels`, { type: "discord", credentials: { token: fake.token, api_url: `${fake.url}/api` } });
      if (added.status !== 201) throw new Error(`discord: ${added.status} ${JSON.stringify(added.body)}`);
      const channel = `dm-${n}`;
      await connected(api, t.id, "discord");
      const code = await untilSent(fake, channel, (m) => /code [A-Z2-9]{8}/.test(m), () => fake.dm(channel, "hi"));
      const confirmed = untilSent(fake, channel, (m) => m.startsWith("Paired"));
      const paired = await postJson(`${api}/api/persona/${t.id}/pair`, { code: /code ([A-Z2-9]{8})/.exec(code)![1] });
      if (paired.status !== 200) throw new Error(`pair discord: ${paired.status} ${JSON.stringify(paired.body)}`);
      await confirmed;
      hers.push({ id: t.id, tg: t, dc: { channel, fake } });
    }

    const t0 = performance.now();
    const words: string[] = [];
    for (let i = 0; i < perChat; i++) {
      for (const [n, h] of hers.entries()) {
        const a = `p${n} telegram m${i}`;
        const b = `p${n} discord m${i}`;
        tg.message(h.tg.chat, { text: a, from: "sam" }, h.tg.token);
        h.dc.fake.dm(h.dc.channel, b);
        words.push(a, b);
      }
    }
    // Done when every message is in a conversation and nothing waits to be sent: then count.
    const result = { lost: 0, duplicated: 0, unsent: 0, sentTwice: 0, answers: 0 };
    const deadline = Date.now() + 120_000;
    for (;;) {
      Object.assign(result, { lost: 0, duplicated: 0, unsent: 0, sentTwice: 0, answers: 0 });
      for (const [n, h] of hers.entries()) {
        const conv = (await (await fetch(`${api}/api/persona/${h.id}/conversation`)).json()) as { messages: { from: string; channel: string; chat?: string; text: string }[] };
        for (const channel of ["telegram", "discord"]) {
          const mine = conv.messages.filter((m) => m.channel === channel);
          for (let i = 0; i < perChat; i++) {
            const count = mine.filter((m) => m.from === "person" && m.text === `p${n} ${channel} m${i}`).length;
            if (count === 0) result.lost++;
            if (count > 1) result.duplicated++;
          }
          const said = mine.filter((m) => m.from === "persona" && m.text.startsWith("Heard: "));
          const out = channel === "telegram" ? tg.sent(h.tg.chat, h.tg.token).map((m) => m.text) : h.dc.fake.sent(h.dc.channel);
          for (const s of said) {
            const times = out.filter((x) => x === s.text).length;
            result.answers++;
            if (times === 0) (result.unsent++, process.env.ETERNEGO_BENCH_DEBUG && console.log(`unsent ${channel} ${s.text}`));
            if (times > 1) result.sentTwice++;
          }
        }
      }
      if ((!result.lost && !result.unsent) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { personas, chats: personas * 2, messages: words.length, wallMs: performance.now() - t0, ...result };
  } finally {
    await d.stop();
    await tg.close();
    await Promise.all(discords.map((x) => x.close()));
    await ollama.close();
  }
}

/** Waits (bounded) until a channel of hers says it is connected: a DM before her gateway session would be lost, as on Discord. */
async function connected(api: string, id: string, type: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = (await (await fetch(`${api}/api/persona/${id}/channels`)).json()) as { channels: { type: string; state: string }[] };
    if (r.channels.find((c) => c.type === type)?.state === "connected") return;
    if (Date.now() > deadline) throw new Error(`${type} did not connect within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the first message the bot sent to a Discord channel that `match`es (after `act`). */
async function untilSent(fake: { sent(c: string): string[]; events: import("node:events").EventEmitter }, channel: string, match: (m: string) => boolean, act?: () => void): Promise<string> {
  const found = () => fake.sent(channel).find(match);
  const seen = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => (fake.events.off("message", look), reject(new Error(`nothing matching in ${channel} within 30 s`))), 30_000);
    const look = () => {
      const m = found();
      if (m) (clearTimeout(timer), fake.events.off("message", look), resolve(m));
    };
    fake.events.on("message", look);
    look();
  });
  act?.();
  return seen;
}
