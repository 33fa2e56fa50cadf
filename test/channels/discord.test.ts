import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import discord from "../../channels/discord/index.js";
import { inboundOf } from "../../channels/discord/src/inbound.js";
import { isEternegoError } from "../../core/api/errors.js";
import type { ChannelStateEvent, ChatMessageEvent } from "../../core/api/events.js";
import type { ChannelContext, InboundMessage } from "../../core/api/plugin.js";
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from "../fixtures/fake-discord.js";
import { closedBase } from "../fixtures/fake-http.js";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fixtures/fake-openai.js";
import { png } from "../fixtures/files/samples.js";
import type { Reply } from "../helpers/daemon.js";
import { decide, isDecision, lastWords, living, until, watch, when, type Living } from "../mind/helpers.js";

// Her Discord channel end to end: the real daemon with the discord plugin, against a fake
// Discord that speaks REST v10 and the gateway v10 and refuses what Discord refuses.

const DM = "910000000000000001";

/** The head of an Ogg stream: what a Discord voice message is (Opus in Ogg). */
const ogg = () => Buffer.concat([Buffer.from("OggS", "latin1"), Buffer.from([0, 2]), Buffer.alloc(58)]);

interface Setup extends Living {
  fake: FakeDiscord;
  openai: FakeOpenAI | null;
  socket: Awaited<ReturnType<typeof watch>>;
  states: ChannelStateEvent[];
  /** Every event her room got, for the check that no token is in any. */
  seen: { name: string; args: unknown[] }[];
  /** Every answer the daemon gave in this test, for the same check. */
  answers: Reply[];
  api(method: string, p: string, body?: unknown): Promise<Reply>;
  /** Adds (or changes) her discord channel with a token. */
  add(token?: string): Promise<Reply>;
  /** Resolves when her discord channel next reaches `state` (set up before the step that causes it). */
  settled(state: string, what: string, ms?: number): Promise<void>;
  /** Her words as the fake Discord got them in the DM, waited for until there are `n`. */
  sentAtLeast(n: number, what: string, chat?: string, ms?: number): Promise<string[]>;
  /** Pairs a DM: its first message gets a code, the code is entered, she greets the chat. */
  pair(chat?: string): Promise<void>;
  /** The discord channel as GET …/channels shows it. */
  view(): Promise<any>;
  /** Her conversation today as the API gives it: who said what, where. */
  conversation(): Promise<{ from: string; text: string; channel: string; media?: string[] }[]>;
  /** Her conversation file itself, with the chat and platform reference of each line (the API shows neither). */
  journal(): { from: string; text: string; channel: string; chat?: string; ref?: string }[];
}

/** The daemon with Ada (vision and hearing too when `senses`), a fake Discord, and her discord channel added and connected. */
async function setup(t: Test, opts: { fake?: FakeDiscordOptions; senses?: boolean; add?: boolean } = {}): Promise<Setup> {
  const fake = await startFakeDiscord(opts.fake);
  t.teardown(() => fake.close());
  let openai: FakeOpenAI | null = null;
  let organs: Record<string, object> | undefined;
  if (opts.senses) {
    openai = await startFakeOpenAI();
    t.teardown(() => openai!.close());
    organs = { vision: { provider: "ollama", model: "llava" }, hearing: { provider: "openai", model: "whisper-1", url: `${openai.url}/v1` } };
  }
  const l = await living(t, { env: { ETERNEGO_CHANNEL_RETRY_MS: "20" }, organs });
  const socket = await watch(t, l.d, l.id);
  const states: ChannelStateEvent[] = [];
  const seen: { name: string; args: unknown[] }[] = [];
  socket.on("channel:state", (e: ChannelStateEvent) => e.type === "discord" && states.push(e));
  socket.onAny((name: string, ...args: unknown[]) => seen.push({ name, args }));
  const answers: Reply[] = [];
  const api = async (method: string, p: string, body?: unknown) => {
    const r = await l.d.api(method, p, body);
    answers.push(r);
    return r;
  };
  const add = (token = fake.token) => api("POST", `/api/persona/${l.id}/channels`, { type: "discord", credentials: { token, api_url: `${fake.url}/api` } });
  const settled = (state: string, what: string, ms?: number) => {
    const from = states.length;
    return when(socket, "channel:state", () => states.slice(from).some((e) => e.state === state), what, ms);
  };
  if (opts.add !== false) {
    const up = settled("connected", "her discord channel to connect");
    const added = await add();
    t.equal(added.status, 201, JSON.stringify(added.body));
    t.match(added.body.channel, { type: "discord", name: fake.bot.username, verified: false });
    await up;
  }

  const sentAtLeast = async (n: number, what: string, chat = DM, ms = 5000) => {
    await when(fake.events, "message", () => fake.sent(chat).length >= n, what, ms);
    return fake.sent(chat);
  };
  const s: Setup = {
    ...l,
    fake,
    openai,
    socket,
    states,
    seen,
    answers,
    api,
    add,
    settled,
    sentAtLeast,
    async pair(chat = DM) {
      const before = fake.sent(chat).length;
      fake.dm(chat, "hi there");
      const code = /the code ([A-Z2-9]{8})/.exec((await sentAtLeast(before + 1, "the pairing code", chat)).at(-1)!)?.[1];
      t.ok(code, "the first message of an unknown chat is answered with a pairing code");
      const paired = await api("POST", `/api/persona/${l.id}/pair`, { code });
      t.equal(paired.status, 200, JSON.stringify(paired.body));
      t.match(paired.body, { chat, channel: { type: "discord", verified: true } });
      t.match((await sentAtLeast(before + 2, "her hello to the paired chat", chat)).at(-1), /^Paired: this chat is mine now\. Hello, sam! — Ada$/);
    },
    async view() {
      return (await api("GET", `/api/persona/${l.id}/channels`)).body.channels.find((c: any) => c.type === "discord");
    },
    async conversation() {
      return (await api("GET", `/api/persona/${l.id}/conversation`)).body.messages;
    },
    journal() {
      const file = path.join(l.d.home, "personas", l.id, "home", "conversation.jsonl");
      return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    },
  };
  return s;
}

/** Her decisions so far: one per moment she answered. */
const decisions = (s: Setup) => s.calls("llama3.2").filter(isDecision);
/** The person's words in her decisions: what reached her mind, in order. */
const heard = (s: Setup) => decisions(s).map((r) => lastWords(r));

/** Nothing she keeps, says, logs or shows has the token in it. */
function noToken(t: Test, s: Setup, token: string, current = true): void {
  t.ok(token.length > 20);
  for (const r of s.answers) t.notOk(JSON.stringify(r.body).includes(token), "no answer of the daemon has the token");
  t.notOk(JSON.stringify(s.seen).includes(token), "no event has the token");
  const logs = path.join(s.d.home, "logs");
  const logText = fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), "utf8")).join("\n");
  t.ok(logText.length > 0, "there is a log to look in");
  t.notOk(logText.includes(token), "no log line has the token");
  const dir = path.join(s.d.home, "personas", s.id);
  const walk = (p: string): string[] => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).flatMap((f) => walk(path.join(p, f))) : [p]);
  const files = walk(dir).filter((f) => path.basename(f) !== "secrets.json");
  t.ok(files.some((f) => f.endsWith("conversation.jsonl")) && files.some((f) => f.endsWith(path.join("channels", "discord.json"))));
  for (const f of files) t.notOk(fs.readFileSync(f).includes(token), `${path.relative(dir, f)} has no token`);
  t.equal(fs.readFileSync(path.join(dir, "secrets.json"), "utf8").includes(token), current, current ? "the token is in secrets.json, where it belongs" : "a token no longer hers is not kept");
}

t.test("a whole conversation on Discord: pairing, words both ways, an image, a voice note, a file she cannot take, a long answer, typing; her own echoes never answered", async (t) => {
  const s = await setup(t, { senses: true });
  const { fake, ollama } = s;
  const long = Array.from({ length: 90 }, (_, i) => `Sentence ${i + 1} of the long story goes on a little while.`).join(" ");
  t.ok(long.length > 4000);
  ollama.brain = (req: ChatRequest) => {
    if (req.model === "llava") return "A small red square on a white ground.";
    if (!isDecision(req)) return undefined;
    const w = lastWords(req);
    if (w.includes("How are you")) return decide("I'm well, Sam. And you?");
    if (w.includes("red square")) return decide("A red square — bold and simple.");
    if (w.includes("water the plants")) return decide("I'll remember the plants.");
    if (w.includes("whole story")) return decide(long);
    return decide("ok");
  };
  const said: ChatMessageEvent[] = [];
  s.socket.on("chat:message", (e: ChatMessageEvent) => said.push(e));

  // Pairing: the first message only gets a code; it never reaches her.
  await s.pair();
  t.equal(decisions(s).length, 0, "the message that asked for a code never reached her");
  t.match(fake.sent(DM)[0], /^Hello! This is Ada\. Before I can talk with you here, pair this chat: enter the code [A-Z2-9]{8} /);
  t.match(await s.view(), { verified: true, state: "connected", detail: null });

  // Words both ways.
  fake.dm(DM, "How are you today?");
  t.equal((await s.sentAtLeast(3, "her answer")).at(-1), "I'm well, Sam. And you?");
  t.match(said, [
    { from: "person", channel: "discord", chat: DM, text: "How are you today?" },
    { from: "persona", channel: "discord", chat: DM, text: "I'm well, Sam. And you?" },
  ]);

  // Typing while she thinks, and her words only once she has thought.
  let release!: () => void;
  ollama.reply({ held: new Promise<void>((r) => (release = r)), then: decide("Still here.") });
  const typedBefore = fake.typing.length;
  fake.dm(DM, "Are you still there?");
  await when(fake.events, "typing", () => fake.typing.slice(typedBefore).includes(DM), "her typing while she thinks");
  t.equal(fake.sent(DM).length, 3, "nothing said while she still thinks");
  release();
  t.equal((await s.sentAtLeast(4, "her answer after thinking")).at(-1), "Still here.");

  // An image, seen by her vision organ.
  fake.dm(DM, { content: "look at this", attachments: [{ filename: "square.png", bytes: png(4, 4, [220, 20, 20]), content_type: "image/png" }] });
  t.equal((await s.sentAtLeast(5, "her answer to the image")).at(-1), "A red square — bold and simple.");
  const looked = s.calls("llava");
  t.equal(looked.length, 1, "the image went to her vision organ once");
  t.equal(looked[0]!.messages.find((m) => m.images?.length)!.images![0], png(4, 4, [220, 20, 20]).toString("base64"), "byte for byte, from Discord's CDN");
  const cdn = fake.requests.filter((r) => r.path.startsWith("/attachments/"));
  t.equal(cdn.length, 1);
  t.notOk(cdn[0]!.headers.authorization, "the token is never sent to the CDN");

  // A voice message, heard by her hearing organ as the message itself.
  s.openai!.transcript("Please remind me to water the plants at six");
  fake.dm(DM, { voice: true, attachments: [{ filename: "voice-message.ogg", bytes: ogg(), content_type: "audio/ogg" }] });
  t.equal((await s.sentAtLeast(6, "her answer to the voice note")).at(-1), "I'll remember the plants.");
  const heardAudio = s.openai!.requests.filter((r) => r.path === "/v1/audio/transcriptions");
  t.equal(heardAudio.length, 1, "the voice note went to her hearing organ");
  t.equal(heardAudio[0]!.body.file.name, "voice-message.ogg");

  // A file no perception of hers takes: a polite reply naming what she can take; nothing fetched.
  const thought = decisions(s).length;
  fake.dm(DM, { attachments: [{ filename: "backup.zip", bytes: Buffer.from("PK\x03\x04 not for her"), content_type: "application/zip" }] });
  const no = (await s.sentAtLeast(7, "her polite no")).at(-1)!;
  t.match(no, /^Sorry — I cannot take in 'backup\.zip' here\. I can take in /);
  for (const ext of [".png", ".ogg", ".pdf", ".txt"]) t.ok(no.includes(ext), `she names ${ext} among what she can take`);
  t.notOk(fake.requests.some((r) => r.path.endsWith("backup.zip")), "a file she cannot take is never downloaded");
  t.equal(decisions(s).length, thought, "a file alone she cannot take costs no thought");

  // A long answer, split to Discord's 2000 characters, in order, every piece delivered.
  fake.dm(DM, "Tell me the whole story");
  const parts = (await s.sentAtLeast(10, "the three pieces of her long answer")).slice(7);
  t.equal(parts.length, 3);
  t.ok(parts.every((p) => p.length <= 2000 && p.length > 0), "every piece fits in a Discord message");
  t.equal(parts.join(" "), long, "cut between sentences, nothing lost");
  t.equal(fake.requests.filter((r) => r.path.endsWith("/messages") && r.status !== 200).length, 0, "Discord refused none of her messages");

  // Her own messages come back from Discord; she never answers herself.
  const echoes = fake.dispatches("MESSAGE_CREATE").filter((e) => e.d.author.id === fake.bot.id);
  t.equal(echoes.length, 10, "Discord sent each of her messages back to her");
  const conv = await s.conversation();
  const fromPerson = conv.filter((e) => e.from === "person").map((e) => e.text);
  t.same(fromPerson, ["How are you today?", "Are you still there?", "look at this", "Please remind me to water the plants at six", "Tell me the whole story"], "each of Sam's messages is in her conversation once; none of hers came back as Sam's");
  t.ok(conv.every((e) => e.channel === "discord"));
  const journal = s.journal();
  t.ok(journal.every((e) => e.chat === DM), "every line of it is of that DM");
  const sams = fake.dispatches("MESSAGE_CREATE").filter((e) => e.d.author.id !== fake.bot.id && e.d.attachments[0]?.filename !== "backup.zip");
  t.same(journal.filter((e) => e.from === "person").map((e) => e.ref), sams.slice(1).map((e) => `${DM}:${e.d.id}`), "each is Discord's message, by its id (but the one that asked for a code, and the file alone she could not take)");
  t.equal(decisions(s).length, 5, "she thought once per message of Sam's, never about her own echoes");
  t.equal(fake.sent(DM).length, 10, "and said nothing more");
  t.ok(conv.find((e) => e.text === "look at this")!.media?.length === 1, "the image is kept in her media");

  noToken(t, s, fake.token);
});

/** She answers each message with its words: `re: <what Sam said>`. */
const echoBrain = (s: Setup) => {
  s.ollama.brain = (req: ChatRequest) => (isDecision(req) ? decide(`re: ${lastWords(req)}`) : undefined);
};

t.test("the gateway: a resumable close, op 7 and a missed heartbeat ACK are resumed with what was missed; op 9 starts a new session; a stopped persona resumes hers; once her session is gone she reads what she missed", async (t) => {
  const s = await setup(t);
  const { fake } = s;
  echoBrain(s);
  await s.pair();
  const answered = async (text: string, ms?: number) => {
    const n = fake.sent(DM).length;
    t.equal((await s.sentAtLeast(n + 1, `her answer to "${text}"`, DM, ms)).at(-1), `re: ${text}`, `"${text}" answered`);
  };
  t.equal(fake.count("identify"), 1);
  const ready = fake.connections[0]!;
  t.match(ready, { path: "/gateway", query: "v=10&encoding=json", session: String });
  const identify = fake.frames.find((f) => f.op === 2)!;
  t.equal(identify.d.intents & ((1 << 12) | (1 << 15)), (1 << 12) | (1 << 15), "IDENTIFY asks for direct messages and their content");
  const session = ready.session!;

  // A resumable close (4000): resumed on resume_gateway_url, no new IDENTIFY, the message sent meanwhile replayed and answered.
  let reconnected = s.settled("connected", "connected again after 4000");
  fake.closeGateway(4000, "Unknown error");
  const missed = fake.dm(DM, "said while she was away");
  await reconnected;
  await answered("said while she was away");
  t.equal(fake.count("identify"), 1, "no new IDENTIFY after a resumable close");
  const resumed = fake.connections.at(-1)!;
  t.match(resumed, { path: "/resume", session });
  const resume = fake.frames.filter((f) => f.op === 6).at(-1)!;
  t.match(resume.d, { session_id: session, seq: Number });
  const missedSeq = fake.dispatches("MESSAGE_CREATE").find((e) => e.d.id === missed.id)!.s;
  t.ok(resume.d.seq < missedSeq, "she resumed from before the message she missed, so Discord replayed it");
  t.match(s.states.slice(-2), [{ state: "connecting" }, { state: "connected" }], "her channel said it was reconnecting, then connected");

  // Op 7: reconnect and resume.
  reconnected = s.settled("connected", "connected again after op 7");
  fake.reconnect();
  await reconnected;
  t.equal(fake.count("resume"), 2);
  t.match(fake.connections.at(-2)!.closed, { by: "client" }, "she closed the old socket herself");
  t.not(fake.connections.at(-2)!.closed!.code, 1000, "with a code that keeps the session (not 1000)");
  fake.dm(DM, "after op 7");
  await answered("after op 7");

  // A heartbeat not acknowledged: the connection is a zombie; she drops it and resumes.
  fake.acking = false;
  fake.heartbeatMs = 40;
  fake.reconnect();
  await when(fake.events, "frame", () => fake.count("resume") === 3, "the resume on a connection that will not ACK");
  const zombie = fake.connections.at(-1)!;
  await when(fake.events, "closed", () => zombie.closed !== null, "the zombie connection dropped by her");
  fake.acking = true;
  t.match(zombie.closed, { by: "client" });
  t.ok(fake.frames.filter((f) => f.conn === zombie.n && f.op === 1).length >= 1, "she sent a heartbeat that was never acknowledged");
  await when(fake.events, "frame", () => fake.count("resume") >= 4, "the resume after the zombie");
  fake.heartbeatMs = 41_250;
  fake.dm(DM, "after a zombie");
  await answered("after a zombie");
  t.equal(fake.count("identify"), 1, "still the one session");

  // Op 9 (not resumable): a new IDENTIFY on the gateway (after the 1–5 s Discord asks for), a new session.
  fake.invalidate(false);
  await when(fake.events, "frame", () => fake.count("identify") === 2, "a new IDENTIFY after op 9", 9000);
  const fresh = fake.connections.at(-1)!;
  t.equal(fresh.path, "/gateway", "a new session starts at the gateway, not the resume address");
  await when(fake.events, "frame", () => !!fresh.session, "READY of the new session");
  t.not(fresh.session, session);
  fake.dm(DM, "after op 9");
  await answered("after op 9");
  const kept = JSON.parse(fs.readFileSync(path.join(s.d.home, "personas", s.id, "channels", "discord.json"), "utf8")).stored.session;
  t.match(kept, { id: fresh.session, url: `${fake.url.replace("http", "ws")}/resume`, seq: Number }, "the new session is kept for a restart");

  // Stopped and started: the kept session is resumed, and what was said while she was stopped comes then.
  t.equal((await s.api("POST", `/api/persona/${s.id}/stop`)).status, 200);
  t.match(fresh.closed, { by: "client" });
  t.not(fresh.closed!.code, 1000, "stopping keeps the session resumable");
  fake.dm(DM, "while she was stopped");
  const resumes = fake.count("resume");
  t.equal((await s.api("POST", `/api/persona/${s.id}/start`)).status, 200);
  await answered("while she was stopped");
  t.equal(fake.count("resume"), resumes + 1, "she resumed");
  t.equal(fake.count("identify"), 2, "no new session for a restart");
  t.match(fake.frames.filter((f) => f.op === 6).at(-1)!.d, { session_id: fresh.session });

  // Away so long that Discord ended her session: a new one, and what was written meanwhile is read from the chat's history.
  t.equal((await s.api("POST", `/api/persona/${s.id}/stop`)).status, 200);
  fake.expire();
  fake.dm(DM, "written after her session ended");
  t.equal(fake.dispatches("MESSAGE_CREATE").filter((e) => e.d.content === "written after her session ended").length, 0, "Discord had no session to send it to");
  const sessions = fake.count("identify");
  t.equal((await s.api("POST", `/api/persona/${s.id}/start`)).status, 200);
  await answered("written after her session ended", 9000);
  t.equal(fake.count("identify"), sessions + 1, "the resume was refused (op 9), so a new session");
  const read = fake.requests.filter((r) => r.method === "GET" && r.path === `/api/v10/channels/${DM}/messages`);
  t.ok(read.length >= 1, "she read the chat's history");
  t.match(read.at(-1)!.headers, { authorization: String });

  const words = ["said while she was away", "after op 7", "after a zombie", "after op 9", "while she was stopped", "written after her session ended"];
  t.same(heard(s), words, "each message reached her mind once");
  t.same(fake.sent(DM).slice(2), words.map((w) => `re: ${w}`), "and each answer reached Discord once");
  t.same((await s.conversation()).filter((e) => e.from === "person").map((e) => e.text), words);
  noToken(t, s, fake.token);
});

t.test("Discord refusing: a wrong token is a 400 saying how to fix it; no Message Content intent, a token refused on send, a reset token (4004) are `failed` with the reason, and her words wait for the fix", async (t) => {
  const s = await setup(t, { add: false, fake: { messageContent: false } });
  const { fake } = s;
  echoBrain(s);
  const wrong = `${fake.token.slice(0, -6)}WRONG1`;

  // A Discord that does not answer: a 400 saying so, and that nothing was added.
  const nowhere = `${await closedBase()}/api`;
  const unreachable = await s.api("POST", `/api/persona/${s.id}/channels`, { type: "discord", credentials: { token: fake.token, api_url: nowhere } });
  t.equal(unreachable.status, 400);
  t.match(unreachable.body.detail, /^Channel 'discord' could not check its credentials with the platform: Discord could not be reached at .*: ECONNREFUSED$/);
  t.ok(unreachable.body.detail.includes(nowhere), "the detail names the address that did not answer (only secret credentials are scrubbed)");

  const refused = await s.add(wrong);
  t.equal(refused.status, 400);
  t.match(refused.body.detail, /^Channel 'discord' refused the token: Discord answered 401 Unauthorized\. Copy the bot token again from the Discord Developer Portal/);
  t.notOk(refused.body.detail.includes(wrong), "the detail does not repeat the token");
  t.notOk(await s.view(), "a refused channel is not added");

  // The bot may not read message content: Discord closes with 4014, and retrying cannot help.
  let failed = s.settled("failed", "failed for want of the Message Content intent");
  t.equal((await s.add()).status, 201);
  await failed;
  const intent = await s.view();
  t.match(intent, { state: "failed", retry_at: null, detail: /^Channel 'discord' needs the Message Content intent, which this bot is not allowed \(gateway close 4014: Disallowed intent\(s\)\.\)\. Turn on "Message Content Intent" in the Discord Developer Portal/ });
  t.match(s.states.at(-1), { state: "failed", detail: intent.detail });
  t.equal(fake.count("identify"), 1, "not retried");

  // Allowed in the portal, added again: connected, and a chat paired.
  fake.messageContent = true;
  let up = s.settled("connected", "connected once the intent is allowed");
  t.equal((await s.add()).status, 201);
  await up;
  await s.pair();

  // A send refused with 401: the channel is failed, her answer waits in the outbox and is sent once when fixed.
  fake.failSends(401);
  failed = s.settled("failed", "failed when a send was refused with 401");
  fake.dm(DM, "are you there?");
  await failed;
  t.match(await s.view(), { state: "failed", detail: /^Channel 'discord': Discord refused the token \(401 Unauthorized\) when she sent a message; it was reset or the bot was deleted\. Copy the bot token again.*Reset Token/ });
  t.equal(fake.sent(DM).length, 2, "her answer was not delivered");
  up = s.settled("connected", "connected again with the token");
  t.equal((await s.add()).status, 201);
  await up;
  t.equal((await s.sentAtLeast(3, "her answer, kept while the channel was failed")).at(-1), "re: are you there?");

  // The token is reset in the portal: the gateway closes with 4004, the channel is failed, not retried.
  const old = fake.token;
  const identifies = fake.count("identify");
  failed = s.settled("failed", "failed after the token was reset");
  const renewed = fake.resetToken();
  await failed;
  const revoked = await s.view();
  t.match(revoked, { state: "failed", retry_at: null, detail: /^Channel 'discord': Discord refused the token \(gateway close 4004: Authentication failed\.\); it was reset or the bot was deleted\. Copy the bot token again/ });
  t.match(s.states.at(-1), { state: "failed", detail: revoked.detail });
  t.equal(fake.count("identify"), identifies, "no attempt with a refused token");

  // Started again with the old token still hers: Discord's REST refuses it too, so failed again at once.
  t.equal((await s.api("POST", `/api/persona/${s.id}/stop`)).status, 200);
  failed = s.settled("failed", "failed when started with the reset token");
  t.equal((await s.api("POST", `/api/persona/${s.id}/start`)).status, 200);
  await failed;
  t.match(await s.view(), { state: "failed", detail: /^Channel 'discord': Discord refused the token \(401 Unauthorized\); it was reset or the bot was deleted\./ });
  t.equal(fake.count("identify"), identifies, "still no attempt on the gateway");
  const resumes = fake.count("resume");

  // The new token, given: the same bot keeps its paired chat; its old session is gone, so a new one starts.
  up = s.settled("connected", "connected with the new token");
  const again = await s.add(renewed);
  t.equal(again.status, 201);
  t.match(again.body.channel, { verified: true }, "the same account keeps its paired chats");
  await up;
  t.equal(fake.count("resume"), resumes, "the session a reset token ended is not tried again");
  t.equal(fake.count("identify"), identifies + 1, "a new one is started");
  fake.dm(DM, "new token, same me");
  t.equal((await s.sentAtLeast(4, "her answer with the new token")).at(-1), "re: new token, same me");
  t.same(fake.sent(DM).slice(2), ["re: are you there?", "re: new token, same me"], "each answer once");
  noToken(t, s, renewed);
  noToken(t, s, old, false);
  noToken(t, s, wrong, false);
});

t.test("with the socket dropped, the gateway down and sends failing for a while, every message is handled once and every answer arrives once", async (t) => {
  const s = await setup(t);
  const { fake, ollama } = s;
  echoBrain(s);
  await s.pair();
  const said: string[] = [];
  s.socket.on("chat:message", (e: ChatMessageEvent) => e.from === "persona" && e.channel === "discord" && said.push(e.text));

  // Sends that fail (its answer lost though the message was made, 500s, a rate limit): tried
  // again until Discord takes them, and made once (the nonce).
  fake.failSends("lost");
  fake.failSends(500, 3);
  fake.failSends(429, 2);
  const posts = () => fake.requests.filter((r) => r.method === "POST" && r.path === `/api/v10/channels/${DM}/messages`);
  /** Whether Discord answered a send of `text` with the message (so her outbox let it go). */
  const taken = (text: string) => posts().some((r) => r.body?.content === text && r.status === 200);
  fake.dm(DM, "one");
  await until(() => taken("re: one"), 5000, "her answer through failing sends");
  const tries = posts().slice(-7);
  t.same(tries.map((r) => r.status), [null, 500, 500, 500, 429, 429, 200], "an answer lost, three 500s, two 429s, then taken");
  t.equal(new Set(tries.map((r) => r.body.nonce)).size, 1, "every try with the same nonce");
  t.match(tries[0]!.body, { enforce_nonce: true, nonce: /^[\w-]{25}$/ });
  t.equal(fake.sent(DM).filter((m) => m === "re: one").length, 1, "made once: the retry after the lost answer gave the same message back");

  // The socket dropped: what is said meanwhile comes on the resume.
  fake.drop();
  fake.dm(DM, "two");
  fake.dm(DM, "three");
  await until(() => heard(s).includes("three"), 5000, "two and three, after the drop");
  t.equal(fake.count("resume"), 1, "they came on the resume");

  // The gateway down for a while, while she thinks about a message: her channel retries; then all comes through.
  let release!: () => void;
  ollama.reply({ held: new Promise<void>((r) => (release = r)), then: decide("re: four") });
  fake.dm(DM, "four");
  await until(() => heard(s).includes("four"), 5000, "her thinking about four");
  const retrying = s.settled("retrying", "retrying while the gateway is down");
  fake.outage = true;
  fake.drop();
  fake.dm(DM, "five");
  await retrying;
  t.match(s.states.findLast((e) => e.state === "retrying"), { detail: /Discord's gateway: Unexpected server response: 503/, retry_at: String });
  fake.failSends("lost");
  fake.failSends(503, 2);
  release();
  await until(() => said.includes("re: four"), 5000, "her answer to four, said while the gateway is down");
  t.notOk(fake.sent(DM).includes("re: four"), "it waits in her outbox while the channel is down");
  const reconnected = s.settled("connected", "connected after the outage", 10_000);
  fake.outage = false;
  await reconnected;
  await until(() => said.includes("re: five") && said.every(taken), 10_000, "everything through");

  const words = ["one", "two", "three", "four", "five"];
  t.same((await s.conversation()).filter((e) => e.from === "person").map((e) => e.text), words, "every message in her conversation once, in order");
  const refs = s.journal().flatMap((e) => (e.from === "person" ? [e.ref] : []));
  t.equal(new Set(refs).size, words.length, "each Discord message taken in once");
  t.same(fake.sent(DM).slice(2), said, "every answer she said arrived at Discord once, in order");
  t.ok(said.includes("re: four") && said.includes("re: five") && said.includes("re: one"));
  t.equal(fake.requests.filter((r) => r.path === `/api/v10/channels/${DM}/messages` && r.status === 503).length, 2, "the sends that failed after the outage were tried again");
  t.equal(fake.requests.filter((r) => r.path === `/api/v10/channels/${DM}/messages` && r.status === null).length, 2, "two answers lost, and still every message made once");
  t.equal(fake.count("identify"), 1, "one session all along: every reconnect was a resume");
  noToken(t, s, fake.token);
});

/** What the daemon hands a channel connection, kept where a test can see it. */
function context(stored: Record<string, unknown> = {}) {
  const abort = new AbortController();
  const got: InboundMessage[] = [];
  const states: string[] = [];
  const logs: string[] = [];
  const c = {
    got,
    states,
    logs,
    stored,
    abort,
    /** When set, `receive` throws what it gives (the daemon could not take the message). */
    refuse: null as (() => Error) | null,
    ctx: null as unknown as ChannelContext,
  };
  c.ctx = {
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    receive: async (m) => {
      if (c.refuse) throw c.refuse();
      got.push(m);
    },
    state: (st) => states.push(st),
    stored: { get: <T>(k: string) => stored[k] as T | undefined, set: async (k, v) => void (stored[k] = v) },
    signal: abort.signal,
  };
  return c;
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e: Error & { status?: number }) => e);

t.test("the plugin alone against the fake: what Discord refuses, and what each refusal becomes", async (t) => {
  const fake = await startFakeDiscord();
  t.teardown(() => fake.close());
  const creds = { token: fake.token, api_url: `${fake.url}/api/` };
  const closing: { close(): Promise<void> }[] = [];
  t.teardown(() => Promise.all(closing.map((c) => c.close())));
  const open = async (c = context()) => {
    const conn = await discord.connect(creds, c.ctx);
    closing.push(conn);
    return conn;
  };

  // validate: the address and the answer are checked; a trailing slash is fine.
  t.same(await discord.validate(creds), { name: "ada-bot" });
  t.match(await failure(discord.validate({ token: "x", api_url: "not a url" })), { status: 400, message: "Channel 'discord': api_url 'not a url' is not a URL; leave it empty for https://discord.com/api." });
  t.match(await failure(discord.validate({ token: "x", api_url: "ftp://example.com" })), { status: 400, message: /must be an http\(s\) URL/ });
  t.match(await failure(discord.validate({ token: fake.token, api_url: `${fake.url}/elsewhere` })), { status: 400, message: "Channel 'discord': Discord answered 404: Not Found when checking the token" });
  const down = await failure(discord.validate({ token: fake.token, api_url: await closedBase() }));
  t.match(down, { message: /^Discord could not be reached at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/ });
  t.notOk(isEternegoError(down), "an unreachable Discord is not the token's fault");

  // Sends Discord will never take are Invalid (dropped by the daemon); the rest are plain errors (tried again).
  const a = context();
  const conn = await open(a);
  fake.dm(DM, "hello");
  await until(() => a.got.length === 1, 5000, "the first DM");
  t.match(a.got[0], { id: String, chat: DM, from: "sam", text: "hello" });
  t.notOk(a.got[0]!.attachments, "no attachments, no list");
  t.match(await failure(conn.send(DM, "x".repeat(2001), "r1")), { status: 400, message: `Discord refused a message to channel ${DM}: 400 Invalid Form Body (code 50035)` }, "too long: for good");
  t.match(await failure(conn.send(DM, "  ", "r2")), { status: 400, message: /400 Cannot send an empty message \(code 50006\)$/ }, "empty: for good");
  t.match(await failure(conn.send("42", "hi", "r3")), { status: 400, message: "Discord refused a message to channel 42: 404 Unknown Channel (code 10003)" }, "a chat that is not there: for good");
  t.match(await failure(conn.typing!("42")), { status: 400, message: /refused typing to channel 42/ }, "typing there too");
  fake.failSends(502);
  const bad = await failure(conn.send(DM, "hi", "r4"));
  t.match(bad, { message: `Discord answered 502: Bad Gateway to a message for channel ${DM}` }, "a server error");
  t.notOk(isEternegoError(bad));
  fake.failSends(429);
  const slow = await failure(conn.send(DM, "hi", "r5"));
  t.match(slow, { message: "Discord is rate limiting her (retry after 0.02 s)", retryAfterMs: 20 }, "a rate limit, with how long to wait");
  t.notOk(isEternegoError(slow));
  t.same(fake.sent(DM), [], "none of them reached the chat");
  await conn.send(DM, "x".repeat(2000), "r6");
  t.equal(fake.sent(DM)[0]!.length, 2000, "2000 characters is a message");

  // Attachments: a size past the limit is refused before a byte is written; a CDN that refuses says so.
  fake.dm(DM, { attachments: [{ filename: "big.png", bytes: Buffer.alloc(5000, 1), content_type: "image/png" }] });
  await until(() => a.got.length === 2, 5000, "the DM with a file");
  const big = a.got[1]!.attachments![0]!;
  t.match(big, { name: "big.png", kind: "file", size: 5000 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discord-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.match(await failure(big.download(path.join(dir, "big.png"), 100)), { message: "'big.png' is 5000 bytes, more than the 100 allowed" });
  t.notOk(fs.existsSync(path.join(dir, "big.png")));
  await big.download(path.join(dir, "big.png"), 5000);
  t.same(fs.readFileSync(path.join(dir, "big.png")), Buffer.alloc(5000, 1));
  const signal = new AbortController().signal;
  const author = { id: "1", username: "sam" };
  const gone = inboundOf({ id: "5", channel_id: DM, author, content: "", attachments: [{ filename: "gone.png", url: `${fake.url}/attachments/x/gone.png`, size: 3 }, { filename: "odd.png", url: "file:///etc/passwd" }] }, null, signal)!;
  t.match(await failure(gone.attachments![0]!.download(path.join(dir, "gone.png"), 100)), { message: "Discord's CDN answered 404 for 'gone.png'" });
  t.match(await failure(gone.attachments![1]!.download(path.join(dir, "odd.png"), 100)), { message: "'odd.png' has no http(s) address to fetch it from" });
  // Not for her: a server's message, a bot's, her own, a platform notice; a voice message is heard.
  t.equal(inboundOf({ id: "6", channel_id: DM, author, guild_id: "9" }, null, signal), null);
  t.equal(inboundOf({ id: "6", channel_id: DM, author: { ...author, bot: true } }, null, signal), null);
  t.equal(inboundOf({ id: "6", channel_id: DM, author }, "1", signal), null);
  t.equal(inboundOf({ id: "6", channel_id: DM, author, type: 6 }, null, signal), null);
  t.match(inboundOf({ id: "6", channel_id: DM, author, flags: 1 << 13, attachments: [{ filename: "voice-message.ogg", url: "https://cdn/x.ogg" }] }, null, signal), { attachments: [{ kind: "voice" }] });

  // Close codes retrying cannot help with end the connection as Invalid; 4007 starts a new session.
  const identifies = fake.count("identify");
  fake.closeGateway(4007, "Invalid seq.");
  await until(() => fake.count("identify") === identifies + 1 && a.states.at(-1) === "connected", 5000, "a new session after 4007");
  t.same(a.states, ["connecting", "connected"]);
  for (const [code, message] of [
    [4013, /refused the intents asked for \(gateway close 4013: x\); this is a bug/],
    [4012, /no longer takes gateway version 10/],
    [4011, /wants this bot sharded/],
  ] as const) {
    for (const c of closing.splice(0)) await c.close();
    const mine = await open();
    fake.closeGateway(code, "x");
    t.match(await failure(mine.closed), { status: 400, message }, `close ${code} is for good`);
  }

  // A message the daemon could not take: the connection gives up, and the next one brings it again.
  const stored: Record<string, unknown> = {};
  const b = context(stored);
  b.refuse = () => new Error("her disk is full");
  const refusing = await open(b);
  fake.dm(DM, "are you there?");
  const why = await failure(refusing.closed);
  t.match(why, { message: "a message could not be handed over (her disk is full); it comes again when the session resumes" });
  t.notOk(isEternegoError(why), "tried again by the daemon");
  const c = context(stored);
  await open(c);
  await until(() => c.got.some((m) => m.text === "are you there?"), 5000, "the message again on the resume");
  t.equal(c.got.length, 1);

  // A chat Discord no longer shows her is not asked about again.
  const d = context({ chats: { "404": "1" } });
  await open(d);
  await until(() => !(d.stored.chats as Record<string, string>)["404"], 5000, "the unknown chat forgotten");
  t.match(d.logs.join("\n"), /Could not read what was written in Discord chat 404 while she was away: Discord refused to show channel 404: 404 Unknown Channel/);

  // The gateway down, or the connection closed while it is made: connect fails, plainly.
  fake.outage = true;
  t.match(await failure(discord.connect(creds, context().ctx)), { message: "Discord's gateway: Unexpected server response: 503" });
  fake.outage = false;
  const e = context();
  const p = failure(discord.connect(creds, e.ctx));
  await when(fake.events, "connection", () => true, "the socket opening");
  e.abort.abort();
  t.match(await p, { message: /closed/ });
});
