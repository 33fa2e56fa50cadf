import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import telegram from "../../channels/telegram/index.js";
import { isEternegoError, type ChannelConnection, type ChannelContext, type InboundMessage } from "../../core/api/index.js";
import { channelSchema } from "../../core/plugin-schemas.js";
import { closedBase } from "../fixtures/fake-http.js";
import { startFakeTelegram, type FakeTelegram } from "../fixtures/fake-telegram.js";
import { audioHeads, jpegHead } from "../fixtures/files/samples.js";
import { until, within } from "../mind/helpers.js";

// The plugin alone against the fake Bot API: what it asks, what it hands over, what it throws.
// Whole conversations through a daemon are in telegram.test.ts.

process.env.ETERNEGO_TELEGRAM_POLL_S = "1";

async function fakeTelegram(t: Test): Promise<FakeTelegram> {
  const fake = await startFakeTelegram();
  t.teardown(() => fake.close());
  return fake;
}

interface Harness {
  ctx: ChannelContext;
  got: InboundMessage[];
  states: string[];
  stored: Record<string, unknown>;
  logs: string[];
  /** What `receive` does (by default: takes the message). */
  receive: (m: InboundMessage) => Promise<void>;
  abort: AbortController;
}

function harness(t: Test, stored: Record<string, unknown> = {}): Harness {
  const abort = new AbortController();
  const h: Harness = {
    got: [],
    states: [],
    stored,
    logs: [],
    abort,
    receive: async (m) => void h.got.push(m),
    ctx: {
      log: { info: (m) => h.logs.push(m), warn: (m) => h.logs.push(m), error: (m) => h.logs.push(m) },
      receive: (m) => h.receive(m),
      state: (s) => void h.states.push(s),
      stored: { get: <T>(k: string) => h.stored[k] as T | undefined, set: async (k, v) => void (h.stored[k] = v) },
      signal: abort.signal,
    },
  };
  t.teardown(() => abort.abort());
  return h;
}

async function connect(t: Test, fake: FakeTelegram, h: Harness, token = fake.bot.token): Promise<ChannelConnection> {
  const conn = await telegram.connect({ token, api_url: fake.url }, h.ctx);
  t.teardown(() => conn.close());
  return conn;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>, what: string): Promise<Error & { status?: number }> {
  try {
    await within(p, what, 8000);
  } catch (err) {
    if ((err as Error).message.startsWith("timed out")) throw err;
    return err as Error;
  }
  throw new Error(`${what} resolved`);
}

t.test("the descriptor: name, credentials, 4096 characters, pairing; a valid channel descriptor", async (t) => {
  t.equal(telegram.kind, "channel");
  t.equal(telegram.name, "telegram");
  t.equal(telegram.maxText, 4096);
  t.not(telegram.pairing, false, "a Telegram chat must be paired");
  t.same(telegram.credentials, [
    { key: "token", label: "Bot token (from @BotFather)", secret: true, required: true },
    { key: "api_url", label: "Bot API server (leave empty for api.telegram.org)", secret: false, required: false },
  ]);
  t.notOk(channelSchema.validate(telegram).error);
});

t.test("validate: getMe gives the bot's @username; a refused, malformed or unreachable token says what to do, never the token", async (t) => {
  const fake = await fakeTelegram(t);
  t.same(await telegram.validate({ token: fake.bot.token, api_url: fake.url }), { name: "@ada_companion_bot" });
  t.same(await telegram.validate({ token: ` ${fake.bot.token}\n`, api_url: `${fake.url}/` }), { name: "@ada_companion_bot" }, "a pasted token's spaces and a trailing slash do no harm");
  t.match(fake.calls("getMe").at(-1), { method: "POST", status: 200 });

  const unknown = "987654321:AAHnotAtokenTelegramKnows_0123456789ab";
  const refused = await rejection(telegram.validate({ token: unknown, api_url: fake.url }), "a refused token");
  t.ok(isEternegoError(refused) && refused.status === 400, "Invalid");
  t.match(refused.message, /^Channel 'telegram' refused the token: Telegram answered 401 Unauthorized\. Copy the token again from @BotFather/);
  t.notMatch(refused.message, unknown);

  const malformed = await rejection(telegram.validate({ token: "not a token/../getMe", api_url: fake.url }), "a malformed token");
  t.match(malformed, { status: 400, message: /does not look like a bot token/ });
  t.equal(fake.calls("getMe", "not a token/../getMe").length, 0, "a malformed token is never sent anywhere");

  const down = await rejection(telegram.validate({ token: fake.bot.token, api_url: await closedBase() }), "an unreachable server");
  t.notOk(isEternegoError(down), "a plain error: the daemon says it could not check");
  t.match(down.message, /could not be reached \(connection refused\)/);
  t.notMatch(down.message, fake.bot.token);

  const ftp = await rejection(telegram.validate({ token: fake.bot.token, api_url: "ftp://example.org" }), "a server that is not http");
  t.match(ftp, { status: 400, message: /'Bot API server' must be the http\(s\) address/ });

  fake.fail("getMe", { status: 502, description: "Bad Gateway" });
  t.match(await rejection(telegram.validate({ token: fake.bot.token, api_url: fake.url }), "a 502"), { message: /answered getMe with 502 Bad Gateway; try again/ });
});

t.test("connect: long polling with the offset kept only after each message was taken; bots, edits and joins are not messages", async (t) => {
  const fake = await fakeTelegram(t);
  fake.message(11, { text: "queued before she connected" });
  const h = harness(t);
  await connect(t, fake, h);
  t.same(h.states, ["connected"], "connected once the first getUpdates was answered");
  await until(() => h.got.length === 1, 5000, "the queued message");
  t.match(h.got[0], { chat: "11", id: "1", from: "@sam", text: "queued before she connected" });
  t.notOk(h.got[0]!.attachments);

  const edit = fake.update({ edited_message: { message_id: 1, chat: { id: 11, type: "private" }, date: 1, text: "edited" } });
  fake.message(11, { text: "I am a bot", from: { is_bot: true, first_name: "Other", username: "other_bot" } });
  fake.message(11, { extra: { new_chat_members: [{ id: 5, is_bot: false, first_name: "Jo" }] } });
  const last = fake.message(-100200, { text: "in a group", from: "jo" });
  await until(() => h.got.length === 2, 5000, "the group message");
  t.match(h.got[1], { chat: "-100200", id: String(last.message_id), from: "@jo", text: "in a group" });
  await until(() => h.stored.offset === last.update_id + 1, 5000, "the offset past the last update");
  t.ok(last.update_id > edit, "the update ids grow");

  const polls = fake.calls("getUpdates");
  t.match(polls[0]!.body, { timeout: 0, allowed_updates: ["message"] }, "the first getUpdates answers at once");
  t.ok(polls.slice(1).every((p) => p.body.timeout === 1), "then long polls of ETERNEGO_TELEGRAM_POLL_S seconds");
  await until(() => fake.calls("getUpdates").some((p) => p.body.offset === last.update_id + 1), 5000, "a poll confirming the last update");
  t.same(fake.pending(), [], "every update confirmed to Telegram");
});

t.test("an update id Telegram cannot give is passed over, never made the offset (which would skip every real update after it)", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  await connect(t, fake, h);
  fake.update({ update_id: 1e30, message: { message_id: 99, chat: { id: 11, type: "private" }, from: { id: 11, is_bot: false, first_name: "Sam" }, date: 1, text: "from far away" } });
  const next = fake.message(11, { text: "a real one" });
  await until(() => h.got.some((m) => m.text === "a real one"), 5000, "the real one after it");
  t.notOk(h.got.some((m) => m.text === "from far away"), "the impossible one is not taken");
  await until(() => h.stored.offset === next.update_id + 1, 5000, "the offset past the real one");
});

t.test("a message the daemon cannot take is not confirmed: closed rejects (to be retried) and it comes again", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  h.receive = async () => {
    throw new Error("her conversation could not be written");
  };
  const conn = await connect(t, fake, h);
  const m = fake.message(12, { text: "please keep me" });
  const err = await rejection(conn.closed, "closed to reject");
  t.notOk(isEternegoError(err), "a plain error: the daemon retries");
  t.match(err.message, /could not be taken in, so it will come again: her conversation could not be written/);
  t.equal(h.stored.offset, undefined, "the offset did not move past it");
  t.same(fake.pending().map((u) => u.update_id), [m.update_id], "Telegram still has it");

  // The daemon connects again: the same message, now taken.
  h.receive = async (msg) => void h.got.push(msg);
  await connect(t, fake, h);
  await until(() => h.got.length === 1, 5000, "the message again");
  t.match(h.got[0], { id: String(m.message_id), text: "please keep me" });
  await until(() => h.stored.offset === m.update_id + 1, 5000, "the offset kept");
});

t.test("closing it ends the waiting getUpdates at once; a message taken while closing is not confirmed", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  const conn = await connect(t, fake, h);
  await until(() => fake.polling() === 1, 5000, "a long poll waiting");
  const before = fake.calls("getUpdates").length;
  const at = Date.now();
  h.abort.abort();
  await conn.close();
  await within(conn.closed, "closed to resolve");
  await until(() => fake.polling() === 0, 500, "the poll to be cut by the bot");
  t.ok(Date.now() - at < 500, "at once, not at the poll's timeout");
  t.equal(fake.calls("getUpdates").at(-1)!.aborted, true, "the bot went away before it was answered");
  fake.message(13, { text: "after closing" });
  t.equal(fake.calls("getUpdates").length, before, "no poll after closing");
  t.equal(fake.pending().length, 1, "the message waits at Telegram");
});

t.test("files: the largest photo, a voice note, audio and a document, fetched through getFile and refused past maxBytes", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  await connect(t, fake, h);
  const picture = Buffer.concat([jpegHead(), Buffer.alloc(3000, 7)]);
  fake.message(14, { photo: picture, text: "my cat" });
  fake.message(14, { voice: audioHeads.ogg() });
  fake.message(14, { audio: { bytes: audioHeads.mp3Id3(), name: "song.mp3" } });
  fake.message(14, { document: { bytes: Buffer.from("a,b\n1,2\n"), name: "../../etc/data.csv", mime: "text/csv" } });
  fake.message(14, { document: { bytes: Buffer.from("x"), mime: "application/pdf" } });
  fake.message(14, { extra: { sticker: { file_id: "s", file_unique_id: "su", emoji: "😺" } } });
  fake.message(14, { extra: { location: { latitude: 48.85, longitude: 2.35 } } });
  await until(() => h.got.length === 7, 5000, "seven messages");
  const [photo, voice, audio, doc, pdf, sticker, place] = h.got;

  t.match(photo, { text: "my cat", attachments: [{ kind: "file", name: /^photo-AQAD\w+\.jpg$/, size: picture.length }] });
  t.equal(photo!.attachments!.length, 1, "one picture, not its thumbnails");
  t.match(voice, { text: "", attachments: [{ kind: "voice", name: /^voice-AQAD\w+\.ogg$/ }] });
  t.match(audio, { attachments: [{ kind: "file", name: "song.mp3" }] });
  t.match(doc, { attachments: [{ kind: "file", name: "data.csv" }] }, "only the last part of a sender's file name");
  t.match(pdf, { attachments: [{ kind: "file", name: /^document-AQAD\w+\.pdf$/ }] }, "a name from the MIME type when it has none");
  t.match(sticker, { text: "😺" });
  t.notOk(sticker!.attachments);
  t.match(place, { text: "(a location: 48.85, 2.35)" });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tg-files-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await photo!.attachments![0]!.download(path.join(dir, "p.jpg"), 1 << 20);
  t.same(fs.readFileSync(path.join(dir, "p.jpg")), picture, "the largest size's bytes");
  t.match(fake.calls("getFile").at(-1)!.body, { file_id: /^AgAC/ });
  t.equal(fake.calls("file").at(-1)!.status, 200);

  const small = await rejection(photo!.attachments![0]!.download(path.join(dir, "small.jpg"), 100), "a file past maxBytes");
  t.match(small.message, /it is [\d.]+ KB, more than the 100 bytes she takes/);
  t.notOk(fs.existsSync(path.join(dir, "small.jpg")), "nothing kept of it");
  t.equal(fake.calls("getFile").length, 1, "refused on the size Telegram told, before anything was fetched");

  // A server that tells no size: the file is counted as it comes, and refused past the limit.
  fake.hideSizes = true;
  fake.message(14, { voice: Buffer.concat([audioHeads.ogg(), Buffer.alloc(4000)]) });
  await until(() => h.got.length === 8, 5000, "a voice note of untold size");
  const untold = h.got[7]!.attachments![0]!;
  t.equal(untold.size, undefined);
  const cut = await rejection(untold.download(path.join(dir, "v.ogg"), 1000), "a download past maxBytes");
  t.match(cut.message, "the file is more than the 1000 bytes it may be");
  t.notOk(fs.existsSync(path.join(dir, "v.ogg")), "what came of it is removed");
  await untold.download(path.join(dir, "whole.ogg"), 1 << 20);
  t.equal(fs.statSync(path.join(dir, "whole.ogg")).size, audioHeads.ogg().length + 4000, "and taken whole when it fits");
  t.notMatch(JSON.stringify(h.logs), fake.bot.token);
});

t.test("the other kinds in words or files (places, contacts, polls, videos, animations, video notes), and who sent each", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  await connect(t, fake, h);
  const clip = (id: string, extra: Record<string, unknown> = {}) => ({ file_id: `F${id}`, file_unique_id: `U${id}`, file_size: 10, ...extra });
  fake.message(21, { extra: { venue: { title: "Café de Flore", address: "172 Bd Saint-Germain", location: { latitude: 48.854, longitude: 2.333 } }, location: { latitude: 48.854, longitude: 2.333 } } });
  fake.message(21, { extra: { contact: { first_name: "Ada", last_name: "King", phone_number: "+44 20 0000" } } });
  fake.message(21, { extra: { poll: { question: "Tea or coffee?", options: [{ text: "Tea" }, { text: "Coffee" }] } } });
  fake.message(21, { extra: { video: clip("v", { mime_type: "video/mp4" }) } });
  fake.message(21, { extra: { animation: clip("a"), document: clip("a", { file_name: "cat.gif.mp4" }) } });
  fake.message(21, { extra: { animation: clip("g") } });
  fake.message(21, { extra: { video_note: clip("n") } });
  fake.message(22, { text: "no username", from: { first_name: "Grace", last_name: "Hopper", username: undefined } });
  fake.message(-30, { text: "from the group" });
  fake.message(21, { extra: { sticker: { file_id: "s", file_unique_id: "su" } } });
  fake.message(21, { text: "after an empty sticker" });
  await until(() => h.got.length === 10, 5000, "ten messages (the sticker with no emoji is none)");
  const [venue, contact, poll, video, animated, gif, note, named, group, after] = h.got;
  t.match(venue, { text: "(a place: Café de Flore, 172 Bd Saint-Germain — 48.854, 2.333)" }, "a venue, not its bare location");
  t.match(contact, { text: "(a contact: Ada King, +44 20 0000)" });
  t.match(poll, { text: "(a poll: Tea or coffee? — Tea / Coffee)" });
  t.match(video, { attachments: [{ kind: "file", name: "video-Uv.mp4", size: 10 }] });
  t.same(animated!.attachments!.map((a) => a.name), ["cat.gif.mp4"], "an animation sent as a document is one file, not two");
  t.same(gif!.attachments!.map((a) => a.name), ["animation-Ug.mp4"]);
  t.match(note, { attachments: [{ name: "video-note-Un.mp4" }] });
  t.equal(named!.from, "Grace Hopper", "a sender with no username by name");
  t.equal(venue!.from, "@sam", "one with a username by it");
  t.match(group, { chat: "-30", text: "from the group" });
  t.match(after, { text: "after an empty sticker" });
});

t.test("send: delivered to the chat; refused for good (Invalid) for an unknown chat or too long a text; retried (plain) for 429 and 5xx", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  const conn = await connect(t, fake, h);
  fake.message(15, { text: "hi" });
  await until(() => h.got.length === 1, 5000, "the chat to exist");
  await conn.send("15", "Hello there", "r1");
  t.match(fake.sent(15), [{ text: "Hello there" }]);
  t.match(fake.calls("sendMessage").at(-1)!.body, { chat_id: 15, text: "Hello there" });
  await conn.typing!("15");
  t.same(fake.actions(15), ["typing"]);

  const unknown = await rejection(conn.send("999", "anyone?", "r2"), "a send to an unknown chat");
  t.match(unknown, { status: 400, message: "Telegram refused a message to chat 999: Bad Request: chat not found" });
  const long = await rejection(conn.send("15", "x".repeat(4097), "r3"), "a send too long");
  t.match(long, { status: 400, message: /message is too long/ });

  fake.failSends(1, 429, 1);
  const at = Date.now();
  const slow = await rejection(conn.send("15", "flood", "r4"), "a 429");
  t.notOk(isEternegoError(slow));
  t.match(slow.message, /wait 1 s before sending more \(429 Too Many Requests: retry after 1\)/);
  t.ok(Date.now() - at >= 900, "the wait Telegram asked for was kept before the outbox tries again");
  fake.failSends(1, 500);
  const down = await rejection(conn.send("15", "oops", "r5"), "a 500");
  t.notOk(isEternegoError(down));
  t.match(down.message, /500 Internal Server Error/);
  t.same(fake.sent(15).map((m) => m.text), ["Hello there"], "nothing refused was delivered");
  for (const e of [unknown, long, slow, down]) t.notMatch(e.message, fake.bot.token);
});

t.test("polling ends with why: a revoked token is Unauthorized (failed); another poller, a cut connection or a 5xx a plain error (retried)", async (t) => {
  const fake = await fakeTelegram(t);
  const h1 = harness(t);
  const c1 = await connect(t, fake, h1);
  await until(() => fake.polling() === 1, 5000, "a long poll");
  fake.conflict();
  const conflict = await rejection(c1.closed, "a conflict");
  t.notOk(isEternegoError(conflict));
  t.match(conflict.message, /another program is reading this bot's messages \(Telegram: Conflict: terminated by other getUpdates request/);

  const h2 = harness(t);
  const c2 = await connect(t, fake, h2);
  fake.dropPolls(1);
  const dropped = await rejection(c2.closed, "a dropped poll");
  t.notOk(isEternegoError(dropped));
  t.match(dropped.message, /could not be reached \(the connection was cut\)/);

  const h3 = harness(t);
  const c3 = await connect(t, fake, h3);
  fake.fail("getUpdates", { status: 502, description: "Bad Gateway" });
  const bad = await rejection(c3.closed, "a 502");
  t.notOk(isEternegoError(bad));
  t.match(bad.message, "Telegram answered getUpdates with 502 Bad Gateway");

  const h4 = harness(t);
  const c4 = await connect(t, fake, h4);
  await until(() => fake.polling() === 1, 5000, "a long poll");
  fake.revoke();
  const revoked = await rejection(c4.closed, "a revoked token");
  t.ok(isEternegoError(revoked), "retrying cannot help");
  t.match(revoked, { status: 401, message: /Telegram refused the token \(401 Unauthorized\) — it was revoked or replaced in @BotFather/ });
  const again = await rejection(telegram.connect({ token: fake.bot.token, api_url: fake.url }, harness(t).ctx), "connecting with a revoked token");
  t.match(again, { status: 401 }, "connect itself refuses, so the daemon marks it failed at once");
  for (const e of [conflict, dropped, bad, revoked, again]) t.notMatch(e.message, fake.bot.token);
});

t.test("a 429 on getUpdates is waited out as Telegram asks, without dropping the connection", async (t) => {
  const fake = await fakeTelegram(t);
  const h = harness(t);
  const conn = await connect(t, fake, h);
  let settled = false;
  conn.closed.then(() => (settled = true), () => (settled = true));
  fake.fail("getUpdates", { status: 429, description: "Too Many Requests: retry after 1", retryAfter: 1 });
  await until(() => fake.calls("getUpdates").some((r) => r.status === 429), 5000, "the 429");
  const at = Date.now();
  fake.message(16, { text: "after the flood" });
  await until(() => h.got.length === 1, 5000, "the message after the wait");
  t.ok(Date.now() - at >= 800, "polled again only after retry_after");
  t.notOk(settled, "the connection stayed up");
  t.match(h.logs, [/asked to wait 1 s/]);
});
