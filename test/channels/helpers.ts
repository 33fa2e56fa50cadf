import fs from "node:fs";
import type { Socket } from "socket.io-client";
import type { Test } from "tap";
import { startFakeOllama, type ChatRequest, type ChatReply, type FakeOllama } from "../fixtures/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fixtures/fake-openai.js";
import { startFakeTelegram, type FakeTelegram } from "../fixtures/fake-telegram.js";
import { startDaemon, tempHome, type TestDaemon } from "../helpers/daemon.js";
import { decide, isDecision, lastWords, until, watch, when } from "../mind/helpers.js";

/*
 * Ada with a Telegram channel: a real daemon, the fake Ollama (thinking, vision), the fake
 * OpenAI (hearing) and the fake Bot API, and a socket watching her. Her home can outlive a
 * daemon (`restart`), so a test can take the daemon down and bring it back on the same files.
 */

// Short polls, so a test never waits 25 s for a poll to end; read by the plugin when it connects.
process.env.ETERNEGO_TELEGRAM_POLL_S = "1";
export const ENV = { ETERNEGO_CHANNEL_RETRY_MS: "20", ETERNEGO_FAULT_RETRY_MS: "20", ETERNEGO_TELEGRAM_POLL_S: "1" };

/** Every event the daemon pushed to her room, in order. */
export type Seen = { event: string; e: any }[];

export interface World {
  d: TestDaemon;
  home: string;
  id: string;
  ollama: FakeOllama;
  openai: FakeOpenAI;
  tg: FakeTelegram;
  socket: Socket;
  seen: Seen;
  /** Every response body the test got from the daemon, as text (to look for secrets in). */
  responses: string[];
  api: TestDaemon["api"];
  /** What the vision organ says of any picture. */
  sight: string;
  /** Her answer to the person's last words (a decision), by default "You said: …". */
  answer: (words: string, req: ChatRequest) => ChatReply;
  /** The daemon down, then up again on the same home; Ada comes back by herself (she is active). */
  restart(between?: () => Promise<void> | void): Promise<void>;
  /** Events of one kind seen so far. */
  events(event: string): any[];
}

async function up(t: Test, home: string, w: Pick<World, "seen" | "responses">, id: string | null): Promise<{ d: TestDaemon; socket: Socket | null; api: TestDaemon["api"] }> {
  const d = await startDaemon(t, { home, env: ENV });
  const api: TestDaemon["api"] = async (...a) => {
    const r = await d.api(...a);
    w.responses.push(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    return r;
  };
  let socket: Socket | null = null;
  if (id) {
    socket = await watch(t, d, id);
    socket.onAny((event, e) => w.seen.push({ event, e }));
  }
  return { d, socket, api };
}

/** Ada, thinking with llama3.2, seeing with llava and hearing with whisper-1, before any channel is added. */
export async function world(t: Test): Promise<World> {
  const ollama = await startFakeOllama({ models: ["llama3.2", "llava"] });
  const openai = await startFakeOpenAI();
  const tg = await startFakeTelegram();
  t.teardown(() => Promise.all([ollama.close(), openai.close(), tg.close()]));
  const home = tempHome("eternego-telegram-");
  const w = { seen: [] as Seen, responses: [] as string[] } as unknown as World;
  const first = await up(t, home, w, null);
  const created = await first.api("POST", "/api/persona/create", {
    name: "Ada",
    organs: {
      thinking: { provider: "ollama", model: "llama3.2", url: ollama.url },
      vision: { provider: "ollama", model: "llava", url: ollama.url },
      hearing: { provider: "openai", model: "whisper-1", url: `${openai.url}/v1` },
    },
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.persona.id as string;
  const socket = await watch(t, first.d, id);
  socket.onAny((event, e) => w.seen.push({ event, e }));
  Object.assign(w, {
    d: first.d,
    home,
    id,
    ollama,
    openai,
    tg,
    socket,
    api: first.api,
    sight: "The image shows a small grey cat asleep on a red sofa.",
    answer: (words: string) => decide(`You said: ${words}`),
    events: (event: string) => w.seen.filter((s) => s.event === event).map((s) => s.e),
    async restart(between?: () => Promise<void> | void) {
      w.socket.close();
      await w.d.daemon.stop();
      await between?.();
      const next = await up(t, home, w, id);
      Object.assign(w, { d: next.d, socket: next.socket!, api: next.api });
    },
  } satisfies Partial<World>);
  ollama.brain = (req) => {
    if (req.model === "llava") return w.sight;
    if (isDecision(req)) return w.answer(lastWords(req), req);
    return undefined;
  };
  // Her home is removed last, after every daemon on it has stopped (teardowns run in order).
  t.teardown(async () => {
    await w.d.daemon.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });
  return w;
}

/** Adds the Telegram channel (on the fake, with its bot's token) and waits until it is connected. */
export async function addTelegram(w: World, token = w.tg.bot.token): Promise<any> {
  const r = await w.api("POST", `/api/persona/${w.id}/channels`, { type: "telegram", credentials: { token, api_url: w.tg.url } });
  if (r.status !== 201) throw new Error(`adding the channel failed: ${r.status} ${JSON.stringify(r.body)}`);
  await connected(w);
  return r.body.channel;
}

/** Waits for a `channel:state` "connected" of Telegram (after the last one seen so far, when `since` is given). */
export function connected(w: World, since = 0, ms = 5000): Promise<void> {
  return when(w.socket, "channel:state", () => w.seen.slice(since).some((s) => s.event === "channel:state" && s.e.type === "telegram" && s.e.state === "connected"), "Telegram to be connected", ms);
}

/** The pairing code in the last pairing reply to a chat. */
export function codeIn(w: World, chat: number): string | null {
  const reply = w.tg.sent(chat).findLast((m) => /pair this chat/.test(m.text));
  return reply?.text.match(/enter the code ([A-Z2-9]{8})/)?.[1] ?? null;
}

/** A chat of Sam's paired with her: the first message gets a code, the code is entered, she says so there. */
export async function pair(w: World, chat: number, from = "sam"): Promise<void> {
  const before = w.tg.sent(chat).length;
  w.tg.message(chat, { text: "/start", from });
  const code = await until(() => w.tg.sent(chat).length > before && codeIn(w, chat), 5000, "a pairing code");
  const r = await w.api("POST", `/api/persona/${w.id}/pair`, { code });
  if (r.status !== 200) throw new Error(`pairing failed: ${r.status} ${JSON.stringify(r.body)}`);
  await until(() => w.tg.sent(chat).some((m) => m.text.startsWith("Paired: this chat is mine now.")), 5000, "her hello after pairing");
}

/** What the person said on Telegram (chat:message events from the person there). */
export const fromPerson = (w: World, chat: number) => w.events("chat:message").filter((e) => e.from === "person" && e.channel === "telegram" && e.chat === String(chat));
/** What she said to a Telegram chat (chat:message events of hers). */
export const fromHer = (w: World, chat: number) => w.events("chat:message").filter((e) => e.from === "persona" && e.channel === "telegram" && e.chat === String(chat));
/** What the bot said in a chat, her pairing messages left out. */
export const delivered = (w: World, chat: number) => w.tg.sent(chat).map((m) => m.text).filter((t) => !/pair this chat|^Paired: /.test(t));

/** Her conversation today, as on disk. */
export function conversation(w: World): any[] {
  const file = `${w.home}/personas/${w.id}/home/conversation.jsonl`;
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}
