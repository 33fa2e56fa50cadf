import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { closedBase } from "../fixtures/fake-http.js";
import { audioHeads, jpegHead } from "../fixtures/files/samples.js";
import { decide, until } from "../mind/helpers.js";
import { addTelegram, codeIn, conversation, delivered, fromHer, fromPerson, pair, world, type World } from "./helpers.js";

// Whole conversations with Ada through the Telegram plugin, a real daemon and the fake Bot API:
// what the person does in Telegram is `tg.message(…)`, what reaches them is `tg.sent(…)`.

const CHAT = 5_550_001;

/** A gate a scripted answer waits on: the test decides when she has finished thinking. */
function gate(): { open: () => void; held: Promise<void> } {
  let open!: () => void;
  const held = new Promise<void>((r) => (open = r));
  return { open, held };
}

/** Every message from the person on Telegram that is in her conversation is answered by exactly one of her messages. */
function answeredOnce(w: World): boolean {
  const conv = conversation(w);
  const asked = conv.filter((e) => e.from === "person" && e.channel === "telegram").map((e) => e.id);
  const answers = conv.filter((e) => e.from === "persona" && e.channel === "telegram").flatMap((e) => e.answers ?? []);
  return asked.every((id) => answers.filter((a: string) => a === id).length === 1);
}

t.test("a whole conversation: pairing, words both ways, typing, a picture, a voice note, a file she cannot take, a long answer", async (t) => {
  const w = await world(t);
  const { tg } = w;

  // Added while she runs: connected without restarting her.
  const channel = await addTelegram(w);
  t.match(channel, { type: "telegram", name: "@ada_companion_bot", verified: false });
  t.notOk(w.events("persona:changed").some((e) => e.change === "state"), "she was not restarted for it");
  t.match((await w.api("GET", `/api/persona/${w.id}/channels`)).body.channels, [{ type: "web" }, { type: "telegram", state: "connected", detail: null, retry_at: null }]);

  // A chat she does not know gets a code, the same one again while it is valid; nothing reaches her.
  tg.message(CHAT, { text: "hello? is this Ada?", from: "sam" });
  const code = await until(() => codeIn(w, CHAT), 5000, "a pairing code");
  t.match(tg.sent(CHAT)[0]!.text, new RegExp(`^Hello! This is Ada\\. Before I can talk with you here, pair this chat: enter the code ${code} .*POST /api/persona/${w.id}/pair\\)\\. It is valid for 10 more minutes\\.$`));
  tg.message(CHAT, { text: "hello again" });
  await until(() => tg.sent(CHAT).length === 2, 5000, "a second pairing reply");
  t.equal(codeIn(w, CHAT), code, "the same code while it is valid");
  t.equal(w.ollama.requests.filter((r) => r.path === "/api/chat").length, 0, "she was never asked about an unpaired chat");
  t.same(conversation(w), [], "nothing of it in her conversation");

  const wrong = await w.api("POST", `/api/persona/${w.id}/pair`, { code: "ABCDEFGH" });
  t.equal(wrong.status, 400);
  t.match(wrong.body.detail, /not one she gave, or it has expired/);
  const paired = await w.api("POST", `/api/persona/${w.id}/pair`, { code: code!.toLowerCase().replace(/(....)/, "$1-") });
  t.equal(paired.status, 200, "a code typed in lower case with a dash is the same code");
  t.match(paired.body, { chat: String(CHAT), channel: { type: "telegram", verified: true, state: "connected" } });
  await until(() => tg.sent(CHAT).length === 3, 5000, "her hello");
  t.equal(tg.sent(CHAT)[2]!.text, "Paired: this chat is mine now. Hello, @sam! — Ada");
  t.equal((await w.api("POST", `/api/persona/${w.id}/pair`, { code })).status, 400, "a code is used once");

  // Words both ways, and "typing…" while she thinks.
  const thinking = gate();
  w.answer = (words) => (words === "How are you today?" ? { held: thinking.held, then: decide("I'm well, Sam — a quiet morning.") } : decide(`You said: ${words}`));
  const asked = tg.message(CHAT, { text: "How are you today?" });
  await until(() => tg.actions(CHAT).includes("typing"), 5000, "typing while she thinks");
  t.same(delivered(w, CHAT), [], "nothing said yet");
  thinking.open();
  await until(() => delivered(w, CHAT).length === 1, 5000, "her answer");
  t.same(delivered(w, CHAT), ["I'm well, Sam — a quiet morning."]);
  t.match(fromPerson(w, CHAT), [{ text: "How are you today?", chat: String(CHAT) }]);
  t.match(fromHer(w, CHAT), [{ text: "I'm well, Sam — a quiet morning." }]);
  t.match(conversation(w), [
    { from: "person", channel: "telegram", chat: String(CHAT), ref: `${CHAT}:${asked.message_id}`, text: "How are you today?" },
    { from: "persona", channel: "telegram", chat: String(CHAT), text: "I'm well, Sam — a quiet morning." },
  ]);

  // A picture: the largest size fetched, seen by her vision organ, answered.
  const picture = Buffer.concat([jpegHead(), Buffer.alloc(2048, 1)]);
  w.answer = (words) => decide(words.includes("grey cat") ? "What a sleepy cat! Is that your sofa?" : `You said: ${words}`);
  tg.message(CHAT, { photo: picture, text: "Look who is here" });
  await until(() => delivered(w, CHAT).length === 2, 5000, "her answer to the picture");
  t.equal(delivered(w, CHAT)[1], "What a sleepy cat! Is that your sofa?");
  const seen = w.ollama.requests.filter((r) => r.path === "/api/chat" && r.body?.model === "llava");
  t.equal(seen.length, 1, "one look");
  t.same(Buffer.from(seen[0]!.body.messages.at(-1).images[0], "base64"), picture, "at the picture itself, not a thumbnail");
  const photoEntry = conversation(w).at(-2);
  t.match(photoEntry, { from: "person", channel: "telegram", text: "Look who is here", media: [/photo-AQAD\w+\.jpg$/], perceived: [{ kind: "sight", text: w.sight }] });
  t.same(fs.readFileSync(path.join(w.home, "personas", w.id, "home", "media", photoEntry.media[0])), picture, "kept in her media like an upload");

  // A voice note: heard by her hearing organ, answered as what was said.
  w.openai.transcript("Remind me to water the plants tonight");
  tg.message(CHAT, { voice: audioHeads.ogg() });
  await until(() => delivered(w, CHAT).length === 3, 5000, "her answer to the voice note");
  t.equal(delivered(w, CHAT)[2], "You said: Remind me to water the plants tonight");
  const heard = w.openai.requests.filter((r) => r.path === "/v1/audio/transcriptions");
  t.equal(heard.length, 1);
  t.match(heard[0]!.body.file, { name: /^voice-AQAD\w+\.ogg$/ });
  t.match(conversation(w).at(-2), { from: "person", text: "Remind me to water the plants tonight", media: [/voice-AQAD\w+\.ogg$/] });

  // A file she cannot take in: a polite reply naming what she can — and its caption still reaches her.
  tg.message(CHAT, { document: { bytes: Buffer.from("not really a film"), name: "beach.mkv", mime: "video/x-matroska" }, text: "a film of the beach" });
  await until(() => delivered(w, CHAT).length === 5, 5000, "the polite reply and her answer");
  const [sorry, answer] = delivered(w, CHAT).slice(3);
  t.match(sorry, /^Sorry — I cannot take in 'beach\.mkv' here\. I can take in .*\.jpg.*\.ogg.*\.pdf.*\.txt/);
  t.equal(answer, "You said: a film of the beach");
  t.equal(tg.calls("file").length, 2, "only the picture and the voice note were fetched, never the film");
  tg.message(CHAT, { document: { bytes: Buffer.from("x"), name: "archive.7z" } });
  await until(() => delivered(w, CHAT).length === 6, 5000, "a polite reply, never silence");
  t.match(delivered(w, CHAT)[5], /^Sorry — I cannot take in 'archive\.7z' here\. I can take in /);

  // A long answer: split to fit 4096 characters, at the ends of sentences and lines.
  const line = (i: number) => `Line ${i} of the story, where the fox walks a little further along the river. It is calm.`;
  const story = Array.from({ length: 100 }, (_, i) => line(i)).join("\n");
  t.ok(story.length > 8192, `a story of ${story.length} characters`);
  w.answer = (words) => decide(words === "tell me a long story" ? story : `You said: ${words}`);
  const before = delivered(w, CHAT).length;
  tg.message(CHAT, { text: "tell me a long story" });
  await until(() => fromHer(w, CHAT).some((e) => e.text === story) && delivered(w, CHAT).join("\n").length >= story.length, 5000, "the whole story");
  const parts = delivered(w, CHAT).slice(before);
  t.equal(parts.length, 3, "three messages");
  t.ok(parts.every((p) => p.length <= 4096), `each fits (${parts.map((p) => p.length)})`);
  t.equal(parts.join("\n"), story, "nothing lost or changed: the cuts are at line ends");
  t.ok(parts.every((p) => p.endsWith("It is calm.")), "every piece ends a sentence and a line");
  t.equal(fromHer(w, CHAT).filter((e) => e.text === story).length, 1, "one message of hers, in her conversation and on the socket");
  t.ok(tg.calls("sendMessage").every((r) => r.status === 200), "Telegram refused nothing");
  t.ok(answeredOnce(w));
});

t.test("a flaky Bot API: polls dropped and sends failing for a while; every message is taken once and every answer arrives once", async (t) => {
  const w = await world(t);
  const { tg } = w;
  await addTelegram(w);
  await pair(w, CHAT);
  tg.message(CHAT, { text: "one" });
  await until(() => delivered(w, CHAT).length === 1, 5000, "an answer before the trouble");

  const states = w.seen.length;
  tg.dropPolls(3);
  tg.failSends(3, 500);
  tg.failSends(1, 502);
  tg.failSends(1, 429, 1);
  for (const text of ["two", "three", "four", "five"]) tg.message(CHAT, { text });
  await until(
    () => fromPerson(w, CHAT).length === 5 && answeredOnce(w) && delivered(w, CHAT).length === fromHer(w, CHAT).length,
    15_000,
    "every message taken and every answer delivered",
  );

  t.same(fromPerson(w, CHAT).map((e) => e.text), ["one", "two", "three", "four", "five"], "each message taken once, in order");
  const refs = conversation(w).filter((e) => e.from === "person").map((e) => e.ref);
  t.equal(new Set(refs).size, 5, "five messages in her conversation, each once");
  t.same(delivered(w, CHAT), fromHer(w, CHAT).map((e) => e.text), "each of her answers delivered exactly once, in order");
  const failed = tg.calls("sendMessage").filter((r) => r.status !== 200);
  t.same(failed.map((r) => r.status), [500, 500, 500, 502, 429], "the failed sends were tried again");
  const trouble = w.seen.slice(states).filter((s) => s.event === "channel:state").map((s) => s.e);
  t.ok(trouble.some((e) => e.state === "retrying" && /could not be reached \(the connection was cut\)/.test(e.detail) && !Number.isNaN(Date.parse(e.retry_at))), "retrying, with why and when");
  t.equal(trouble.at(-1).state, "connected", "then connected again");
  const kept = () => JSON.parse(fs.readFileSync(path.join(w.home, "personas", w.id, "channels", "telegram.json"), "utf8"));
  await until(() => kept().outbox.length === 0, 5000, "her outbox to be empty (each sent one is removed once Telegram took it)");
  t.equal(kept().stored.offset, tg.calls("getUpdates").at(-1)!.body.offset, "the offset kept is the one Telegram was told");
});

t.test("a restart in the middle of a conversation, with messages queued while the daemon was down: nothing lost, nothing twice", async (t) => {
  const w = await world(t);
  const { tg } = w;
  await addTelegram(w);
  await pair(w, CHAT);
  tg.message(CHAT, { text: "before the restart" });
  await until(() => delivered(w, CHAT).length === 1, 5000, "an answer");

  // She is thinking about a message when the daemon goes down.
  const thinking = gate();
  w.answer = (words) => (words === "are you still there?" ? { held: thinking.held, then: decide("never said") } : decide(`You said: ${words}`));
  tg.message(CHAT, { text: "are you still there?" });
  await until(() => conversation(w).some((e) => e.text === "are you still there?") && tg.actions(CHAT).length >= 2, 5000, "her thinking about it");
  const pairingMessages = tg.sent(CHAT).length - delivered(w, CHAT).length;
  await w.restart(() => {
    w.answer = (words) => decide(`You said: ${words}`);
    thinking.open();
    tg.message(CHAT, { text: "while you were away" });
    tg.message(CHAT, { text: "and another one" });
  });
  await until(() => conversation(w).filter((e) => e.from === "person").length === 4 && answeredOnce(w) && delivered(w, CHAT).length === 4, 10_000, "every message answered after the restart");
  t.same(
    conversation(w).filter((e) => e.from === "person").map((e) => e.text),
    ["before the restart", "are you still there?", "while you were away", "and another one"],
    "each once",
  );
  t.same(delivered(w, CHAT), ["You said: before the restart", "You said: are you still there?", "You said: while you were away", "You said: and another one"]);
  t.equal(tg.sent(CHAT).length - delivered(w, CHAT).length, pairingMessages, "no new pairing code: the pairing outlived the restart");
  t.match((await w.api("GET", `/api/persona/${w.id}/channels`)).body.channels[1], { type: "telegram", verified: true, state: "connected" });

  // A crash after her conversation was written but before the channel kept its offset and
  // what it handled: Telegram gives the same updates again, and she takes none of them twice.
  const file = path.join(w.home, "personas", w.id, "channels", "telegram.json");
  let pollsBefore = 0;
  await w.restart(() => {
    // Counted once the daemon is down: its last polls, made while it stopped, are not the new one's.
    pollsBefore = tg.calls("getUpdates").length;
    const kept = JSON.parse(fs.readFileSync(file, "utf8"));
    delete kept.stored.offset;
    kept.seen = kept.seen.slice(0, -2);
    fs.writeFileSync(file, JSON.stringify(kept));
    tg.redeliver();
    tg.message(CHAT, { text: "after the crash" });
  });
  await until(() => delivered(w, CHAT).length === 5 && answeredOnce(w), 10_000, "the new message answered");
  const again = tg.calls("getUpdates").slice(pollsBefore);
  t.equal(again[0]!.body.offset, undefined, "it polled with no offset, as after such a crash");
  const redelivered = again.flatMap((r) => r.given ?? []);
  t.ok(redelivered.length >= 6, `Telegram gave the five old updates again, and the new one (${redelivered.length})`);
  t.same(conversation(w).filter((e) => e.from === "person").map((e) => e.text), ["before the restart", "are you still there?", "while you were away", "and another one", "after the crash"], "the updates given again were not taken again");
  t.equal(delivered(w, CHAT).at(-1), "You said: after the crash");
  t.equal(tg.sent(CHAT).length - delivered(w, CHAT).length, pairingMessages, "and the first message of the chat got no pairing code again");
  await until(() => tg.pending().length === 0, 5000, "every update confirmed");
});

t.test("a revoked token is failed, with why; a flaky server is retrying with when, then connected; the token is never shown", async (t) => {
  const w = await world(t);
  const { tg } = w;
  const token = tg.bot.token;

  const unknown = "111222333:AAHthisTokenIsNotKnownToTelegram_xyz12";
  const refused = await w.api("POST", `/api/persona/${w.id}/channels`, { type: "telegram", credentials: { token: unknown, api_url: tg.url } });
  t.equal(refused.status, 400);
  t.match(refused.body.detail, /^Channel 'telegram' refused the token: Telegram answered 401 Unauthorized\. Copy the token again from @BotFather/);
  const closed = await w.api("POST", `/api/persona/${w.id}/channels`, { type: "telegram", credentials: { token, api_url: await closedBase() } });
  t.equal(closed.status, 400);
  t.match(closed.body.detail, /^Channel 'telegram' could not check its credentials with the platform: .*could not be reached \(connection refused\)/);
  const missing = await w.api("POST", `/api/persona/${w.id}/channels`, { type: "telegram", credentials: { api_url: tg.url } });
  t.equal(missing.status, 400);
  t.match(missing.body.detail, /needs 'token'/);

  await addTelegram(w);
  await pair(w, CHAT);
  tg.message(CHAT, { text: "my bot token is secret, right?" });
  await until(() => delivered(w, CHAT).length === 1, 5000, "an answer");

  // Flaky: the connection is lost twice, then it comes back.
  let mark = w.seen.length;
  tg.dropPolls(2);
  await until(() => w.seen.slice(mark).some((s) => s.event === "channel:state" && s.e.state === "connected"), 5000, "connected again");
  const flaky = w.seen.slice(mark).filter((s) => s.event === "channel:state").map((s) => s.e);
  t.match(flaky, [
    { persona: w.id, type: "telegram", state: "retrying", detail: /could not be reached \(the connection was cut\)/, retry_at: /^\d{4}-\d\d-\d\dT/ },
    { state: "connecting", detail: null, retry_at: null },
    { state: "retrying", retry_at: /^\d{4}-/ },
    { state: "connecting" },
    { state: "connected", detail: null, retry_at: null },
  ]);
  t.ok(Date.parse(flaky[2].retry_at) - flaky[2].time >= Date.parse(flaky[0].retry_at) - flaky[0].time, "the second wait is not shorter than the first");

  // Revoked in @BotFather: failed, with why, and not tried again.
  mark = w.seen.length;
  tg.revoke();
  await until(() => w.seen.slice(mark).some((s) => s.event === "channel:state" && s.e.state === "failed"), 5000, "failed");
  const failed = w.seen.slice(mark).find((s) => s.event === "channel:state" && s.e.state === "failed")!.e;
  t.match(failed, { type: "telegram", detail: /Telegram refused the token \(401 Unauthorized\) — it was revoked or replaced in @BotFather\. Add the channel again/, retry_at: null });
  const list = await w.api("GET", `/api/persona/${w.id}/channels`);
  t.match(list.body.channels[1], { type: "telegram", verified: true, state: "failed", detail: failed.detail, retry_at: null });
  const polls = tg.calls("getUpdates").length;
  const web = await w.api("POST", `/api/persona/${w.id}/read?wait=10`, { message: "are you fine?" });
  t.match(web.body, { status: "answered", replies: [{ text: "You said: are you fine?" }] }, "she goes on, on the web");
  t.equal(tg.calls("getUpdates").length, polls, "a failed channel is not polled again");

  // The token is nowhere but in secrets.json.
  for (const p of [`/api/persona/${w.id}`, "/api/personas", `/api/persona/${w.id}/channels`, `/api/persona/${w.id}/diagnose`, `/api/persona/${w.id}/conversation`, "/api/plugins"]) {
    t.equal((await w.api("GET", p)).status, 200, p);
  }
  const secrets = fs.readFileSync(path.join(w.home, "personas", w.id, "secrets.json"), "utf8");
  t.ok(secrets.includes(token), "kept where it belongs (so the search below can find it)");
  t.notOk(w.responses.some((r) => r.includes(token) || r.includes(unknown)), `no HTTP response (${w.responses.length}) shows it`);
  t.notOk(JSON.stringify(w.seen).includes(token), `no socket event (${w.seen.length}) carries it`);
  const tokenId = token.split(":")[1]!;
  await w.d.daemon.stop();
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const logs = files(path.join(w.home, "logs"));
  t.ok(logs.length && fs.readFileSync(logs[0]!, "utf8").includes("Telegram"), "the log says what happened to the channel");
  for (const f of [...logs, ...files(path.join(w.home, "personas", w.id)).filter((f) => !f.endsWith("secrets.json") && !f.endsWith(".diary"))]) {
    const text = fs.readFileSync(f, "utf8");
    t.notOk(text.includes(tokenId) || text.includes(unknown.split(":")[1]!), `not in ${path.relative(w.home, f)}`);
  }
});

t.test("removing the channel disconnects at once, without restarting her; adding it again connects", async (t) => {
  const w = await world(t);
  const { tg } = w;
  await addTelegram(w);
  await pair(w, CHAT);
  await until(() => tg.polling() === 1, 5000, "a long poll waiting");
  const waiting = tg.calls("getUpdates").at(-1)!;
  t.equal(waiting.status, null, "waiting for news");
  const mark = w.seen.length;

  const at = Date.now();
  const removed = await w.api("POST", `/api/persona/${w.id}/channels/telegram/remove`);
  t.same(removed.body, { removed: "telegram" });
  await until(() => waiting.aborted, 500, "the waiting poll cut by the daemon");
  t.ok(Date.now() - at < 900, "at once, not when the poll would have ended");
  const polls = tg.calls("getUpdates").length;
  t.match(w.seen.slice(mark).filter((s) => s.event === "channel:state").map((s) => s.e), [{ type: "telegram", state: "disconnected" }]);
  t.same((await w.api("GET", `/api/persona/${w.id}/channels`)).body.channels.map((c: any) => c.type), ["web"]);

  tg.message(CHAT, { text: "are you gone?" });
  const web = await w.api("POST", `/api/persona/${w.id}/read?wait=10`, { message: "still here?" });
  t.match(web.body, { status: "answered" }, "she runs on");
  t.equal(tg.calls("getUpdates").length, polls, "no getUpdates since");
  t.equal(tg.pending().length, 1, "the message waits at Telegram, untaken");
  t.notOk(w.seen.slice(mark).some((s) => s.event === "persona:changed" && s.e.change === "state"), "she was not restarted");
  t.notOk(fs.existsSync(path.join(w.home, "personas", w.id, "channels", "telegram.json")), "what the channel kept is gone");

  // Added again on the running persona: connected, and the waiting message comes in — to a chat
  // she no longer knows (removing the channel forgot its pairings), so it gets a code.
  const sentBefore = tg.sent(CHAT).length;
  await addTelegram(w);
  await until(() => tg.sent(CHAT).length === sentBefore + 1, 5000, "a reply to the waiting message");
  t.match(tg.sent(CHAT).at(-1)!.text, /^Hello! This is Ada\. Before I can talk with you here, pair this chat/);
  t.notOk(w.seen.slice(mark).some((s) => s.event === "persona:changed" && s.e.change === "state"), "still without a restart");
});
