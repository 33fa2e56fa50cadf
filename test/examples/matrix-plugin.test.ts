import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import matrix from "../../examples/plugins/matrix/index.js";
import { channelSchema } from "../../core/plugin-schemas.js";
import { closedBase } from "../fixtures/fake-http.js";
import { startFakeMatrix, type FakeMatrix } from "../fixtures/fake-matrix.js";
import { startFakeOllama, type FakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, tempHome, type TestDaemon } from "../helpers/daemon.js";
import { decide, lastWords, until } from "../mind/helpers.js";

// The example third-party channel plugin, loaded the way a person loads one (`--plugin PATH`),
// against a small fake Matrix homeserver: a room's message gets a pairing code, the room is
// paired, and her answer reaches the room once.

const PLUGIN = fileURLToPath(new URL("../../examples/plugins/matrix", import.meta.url));
const BOT = "@ada:fake.test";
const BOT_TOKEN = "syt_YWRh_bot_token_kept_secret";
const GRACE = "@grace:fake.test";
const WAIT_MS = 10_000;
/** A lost channel or a failed send is tried again after 50 ms here. */
const ENV = { ETERNEGO_CHANNEL_RETRY_MS: "50" };

async function homeserver(t: Test): Promise<FakeMatrix> {
  const hs = await startFakeMatrix();
  t.teardown(() => hs.close());
  hs.addUser(BOT, BOT_TOKEN);
  hs.addUser(GRACE, "syt_grace");
  return hs;
}

async function ollama(t: Test): Promise<FakeOllama> {
  const o = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => o.close());
  o.brain = (req) => decide(`ok: ${lastWords(req)}`);
  return o;
}

async function ada(d: TestDaemon, o: FakeOllama): Promise<string> {
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: o.url } } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return r.body.persona.id;
}

const bodies = (hs: FakeMatrix, room: string, sender = BOT) => hs.messages(room).filter((e) => e.sender === sender).map((e) => String(e.content.body));
const stateOf = async (d: TestDaemon, id: string) => (await d.api("GET", `/api/persona/${id}/channels`)).body.channels.find((c: { type: string }) => c.type === "matrix");

t.test("the descriptor is valid: a channel with a homeserver and a secret token, 16000 characters a message", async (t) => {
  const { error } = channelSchema.validate(matrix, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.match(matrix, { kind: "channel", name: "matrix", version: "1.0.0", title: "Matrix", maxText: 16_000 });
  t.same(
    matrix.credentials.map((c) => [c.key, c.secret, c.required]),
    [
      ["homeserver", false, true],
      ["token", true, true],
    ],
  );
  t.notOk(matrix.pairing === false, "a room must be paired before she listens to it");
  t.notOk(matrix.always, "it is added, not always there");
});

t.test("it imports only eternego/plugin and node built-ins", async (t) => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  walk(PLUGIN);
  t.ok(files.length >= 4, `${files.length} files`);
  for (const f of files) {
    const text = fs.readFileSync(f, "utf8");
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
    const foreign = specifiers.filter((s) => s !== "eternego/plugin" && !s.startsWith("node:") && !s.startsWith("./") && !s.startsWith("../"));
    t.same(foreign, [], `${path.relative(PLUGIN, f)} imports nothing else`);
    t.notOk(specifiers.some((s) => s.startsWith("../") && !path.resolve(path.dirname(f), s).startsWith(PLUGIN)), `${path.relative(PLUGIN, f)} stays in its folder`);
  }
});

t.test("loaded with --plugin: GET /api/plugins lists it loaded, with what it declares", async (t) => {
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const r = await d.api("GET", "/api/plugins");
  t.equal(r.status, 200);
  const mine = r.body.plugins.find((p: { name: string }) => p.name === "matrix");
  t.match(mine, {
    kind: "channel",
    name: "matrix",
    version: "1.0.0",
    builtin: false,
    state: "loaded",
    error: null,
    declares: { title: "Matrix", max_text: 16_000, pairing: true, always: false, credentials: [{ key: "homeserver", secret: false, required: true }, { key: "token", secret: true, required: true }] },
  });
  const bare = await startDaemon(t);
  t.notOk((await bare.api("GET", "/api/plugins")).body.plugins.some((p: { name: string }) => p.name === "matrix"), "without --plugin it is not there");
});

t.test("adding it: the token is checked with whoami, and a refusal says what to do", async (t) => {
  const hs = await homeserver(t);
  const o = await ollama(t);
  const d = await startDaemon(t, { plugins: [PLUGIN], env: ENV });
  const id = await ada(d, o);
  const add = (credentials: Record<string, string>) => d.api("POST", `/api/persona/${id}/channels`, { type: "matrix", credentials });

  const wrong = await add({ homeserver: hs.url, token: "syt_not_a_token" });
  t.equal(wrong.status, 400);
  // (The daemon scrubs every credential value from what leaves it, the homeserver URL too: "***".)
  t.match(wrong.body.detail, /^Channel 'matrix': \S+ refused the access token \(M_UNKNOWN_TOKEN\)\. Copy it again — in Element: Settings → Help & About → Access token/);
  t.notMatch(wrong.body.detail, /syt_not_a_token/, "the token is not in the message");

  const nobody = await closedBase();
  const gone = await add({ homeserver: nobody, token: BOT_TOKEN });
  t.equal(gone.status, 400);
  t.match(gone.body.detail, /^Channel 'matrix': could not reach the homeserver at \S+ \(ECONNREFUSED\)\. Check the homeserver URL and this machine's connection\.$/);

  const notMatrix = await add({ homeserver: o.url, token: BOT_TOKEN });
  t.equal(notMatrix.status, 400);
  t.match(notMatrix.body.detail, /does not answer the Matrix client API .* Give the homeserver's client URL/);
  t.notMatch(JSON.stringify([gone.body, notMatrix.body]), BOT_TOKEN);

  const ok = await add({ homeserver: `${hs.url}/`, token: BOT_TOKEN });
  t.equal(ok.status, 201, JSON.stringify(ok.body));
  t.match(ok.body.channel, { type: "matrix", name: BOT, verified: false });
  const secrets = fs.readFileSync(path.join(d.home, "personas", id, "secrets.json"), "utf8");
  t.match(secrets, BOT_TOKEN, "the token is kept in secrets.json");
  t.notMatch(fs.readFileSync(path.join(d.home, "personas", id, "persona.json"), "utf8"), BOT_TOKEN, "and only there");
});

t.test("a whole exchange: invited, a message gets a pairing code, paired, then answered in the room exactly once; a restart goes on from next_batch", async (t) => {
  const hs = await homeserver(t);
  const o = await ollama(t);
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const d = await startDaemon(t, { home, plugins: [PLUGIN], env: ENV });
  const id = await ada(d, o);

  // A room she is already in, with something said before the channel was added: history, not for her.
  const old = hs.createRoom(GRACE, { members: [BOT] });
  hs.say(old, GRACE, "said long before");
  t.equal((await d.api("POST", `/api/persona/${id}/channels`, { type: "matrix", credentials: { homeserver: hs.url, token: BOT_TOKEN } })).status, 201);
  await until(async () => (await stateOf(d, id))?.state === "connected", WAIT_MS, "the channel connected");
  await until(() => hs.syncing > 0, WAIT_MS, "a sync waiting for news");

  // Grace invites her to a room and writes: she joins, and answers with a code.
  const room = hs.createRoom(GRACE, { invite: [BOT] });
  hs.say(room, GRACE, "hello Ada?");
  const asked = await until(() => bodies(hs, room).find((b) => /code [A-Z0-9]{8}\b/.test(b)), WAIT_MS, "her pairing code in the room");
  t.match(asked, /^Hello! This is Ada\. Before I can talk with you here, pair this chat: enter the code [A-Z0-9]{8} in my Channels screen/);
  t.ok(hs.requests.some((r) => r.method === "POST" && r.path === `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/join` && r.status === 200), "she joined the room she was invited to");
  t.equal(o.requests.filter((r) => r.path === "/api/chat").length, 0, "nobody unpaired reaches her mind");
  t.same(bodies(hs, old), [], "what was said before she was there is not answered");
  const sends = hs.requests.filter((r) => r.method === "PUT" && r.path.includes("/send/m.room.message/"));
  t.match(sends[0]?.body, { msgtype: "m.text", body: asked }, "sent as m.text");

  const code = /code ([A-Z0-9]{8})\b/.exec(asked!)![1]!;
  const paired = await d.api("POST", `/api/persona/${id}/pair`, { code });
  t.equal(paired.status, 200, JSON.stringify(paired.body));
  t.match(paired.body, { chat: room, channel: { type: "matrix", verified: true } });
  await until(() => bodies(hs, room).some((b) => b === `Paired: this chat is mine now. Hello, ${GRACE}! — Ada`), WAIT_MS, "her hello once paired");

  // Paired: her answer, whose first send is stored but its answer lost, is in the room once.
  hs.loseSendAnswers(1);
  // She thinks until the room shows her writing (it is shown once she has been thinking a moment).
  const writing = until(() => hs.typing.some((x) => x.room === room && x.user === BOT && x.typing), WAIT_MS, "the room showing her writing");
  o.reply({ held: writing, then: (req) => decide(`ok: ${lastWords(req)}`) });
  hs.say(room, GRACE, "how are you?");
  await until(() => bodies(hs, room).includes("ok: how are you?"), WAIT_MS, "her answer in the room");
  const puts = await until(() => {
    const p = hs.requests.filter((r) => r.method === "PUT" && r.body?.body === "ok: how are you?");
    return p.at(-1)?.status === 200 ? p : null;
  }, WAIT_MS, "the send tried again, and answered");
  t.equal(puts!.length, 2, "sent twice");
  t.equal(puts![0]!.status, null, "the first answer was lost");
  t.equal(new Set(puts!.map((p) => p.path)).size, 1, "tried again with the same transaction id");
  t.equal(bodies(hs, room).filter((b) => b === "ok: how are you?").length, 1, "and stored once: she said it once");
  t.ok(hs.typing.some((x) => x.room === room && x.user === BOT && x.typing), "she showed she was writing");
  const conversation = (await d.api("GET", `/api/persona/${id}/conversation`)).body.messages;
  t.match(conversation.filter((m: { channel: string }) => m.channel === "matrix"), [
    { from: "person", text: "how are you?" },
    { from: "persona", text: "ok: how are you?" },
  ]);

  // A file in the room: fetched through the media API, and read.
  const mxc = hs.upload(Buffer.from("Buy oat milk\n"), "text/plain");
  hs.say(room, GRACE, { msgtype: "m.file", body: "list.txt", url: mxc, info: { size: 13, mimetype: "text/plain" } });
  await until(() => o.requests.some((r) => r.path === "/api/chat" && JSON.stringify(r.body).includes("Buy oat milk")), WAIT_MS, "the file read by her");
  await until(() => bodies(hs, room).some((b) => b.startsWith("ok: ") && b.includes("Buy oat milk")), WAIT_MS, "her answer to it in the room");
  t.ok(hs.requests.some((r) => r.path.startsWith("/_matrix/client/v1/media/download/fake.test/") && r.status === 200), "fetched with the authenticated media API");

  // The daemon restarts: the sync goes on from the next_batch kept for her; nothing is answered twice.
  await d.daemon.stop();
  const kept = JSON.parse(fs.readFileSync(path.join(home, "personas", id, "channels", "matrix.json"), "utf8")).stored.next_batch;
  const given = hs.requests.filter((r) => r.path === "/_matrix/client/v3/sync" && r.status === 200).length;
  t.ok(given > 2 && /^s\d+$/.test(kept), `the last next_batch is kept (${kept})`);
  const said = bodies(hs, room).length;
  const from = hs.requests.length;
  const again = await startDaemon(t, { home, plugins: [PLUGIN], env: ENV });
  const resumed = await until(() => hs.requests.slice(from).find((r) => r.path === "/_matrix/client/v3/sync"), WAIT_MS, "its first sync");
  t.equal(resumed!.query.get("since"), kept, "the first sync after the restart is from the kept next_batch");
  t.equal(hs.requests.slice(from).filter((r) => r.path === "/_matrix/client/v3/sync" && !r.query.has("since")).length, 0, "no initial sync again");
  await until(async () => (await stateOf(again, id))?.state === "connected", WAIT_MS, "connected again");
  hs.say(room, GRACE, "still there?");
  await until(() => bodies(hs, room).includes("ok: still there?"), WAIT_MS, "her answer after the restart");
  t.equal(bodies(hs, room).length, said + 1, `one new answer; nothing said again: ${JSON.stringify(bodies(hs, room))}`);
  // The homeserver stores a message before it answers the send: done once her outbox says so.
  const file = path.join(home, "personas", id, "channels", "matrix.json");
  await until(() => JSON.parse(fs.readFileSync(file, "utf8")).outbox.length === 0, WAIT_MS, "nothing of hers waiting to be sent");
});

t.test("a revoked token: the channel fails and says why", async (t) => {
  const hs = await homeserver(t);
  const o = await ollama(t);
  const d = await startDaemon(t, { plugins: [PLUGIN], env: ENV });
  const id = await ada(d, o);
  t.equal((await d.api("POST", `/api/persona/${id}/channels`, { type: "matrix", credentials: { homeserver: hs.url, token: BOT_TOKEN } })).status, 201);
  await until(() => hs.syncing > 0, WAIT_MS, "a sync waiting for news");
  hs.revoke(BOT_TOKEN);
  const failed = await until(async () => {
    const c = await stateOf(d, id);
    return c?.state === "failed" ? c : null;
  }, WAIT_MS, "the channel failed");
  t.match(failed.detail, /no longer takes the access token \(M_UNKNOWN_TOKEN\) — the session it belongs to was signed out\. Add the channel again with a new token\./);
  t.equal(failed.retry_at, null, "not retried");
});

t.test("the fake homeserver stores one transaction id once, as the spec says", async (t) => {
  const hs = await homeserver(t);
  const room = hs.createRoom(GRACE, { members: [BOT] });
  const put = (txn: string, body: string, token = BOT_TOKEN) =>
    fetch(`${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/${txn}`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ msgtype: "m.text", body }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { event_id?: string } }));
  const a = await put("t1", "once");
  const b = await put("t1", "once");
  t.equal(a.status, 200);
  t.equal(b.body.event_id, a.body.event_id, "the same event id");
  t.equal(bodies(hs, room).length, 1, "stored once");
  t.equal((await put("t2", "once")).status, 200);
  t.equal(bodies(hs, room).length, 2, "another id is another message");
  const stranger = await put("t1", "hi", "syt_grace");
  t.equal(stranger.status, 200, "a transaction id is per token");
  t.equal(hs.messages(room).length, 3);
  const outsider = hs.createRoom(GRACE);
  const refused = await fetch(`${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(outsider)}/send/m.room.message/x`, { method: "PUT", headers: { authorization: `Bearer ${BOT_TOKEN}` }, body: "{}" });
  t.equal(refused.status, 403);
  t.match(await refused.json(), { errcode: "M_FORBIDDEN" });
  const anon = await fetch(`${hs.url}/_matrix/client/v3/account/whoami`);
  t.match({ status: anon.status, body: await anon.json() }, { status: 401, body: { errcode: "M_MISSING_TOKEN" } });
});
