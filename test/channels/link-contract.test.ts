import t from "tap";
import { Invalid, NotFound, Unauthorized } from "../../core/api/errors.js";
import type { ChannelPlugin, ChannelContext } from "../../core/api/plugin.js";
import { ChannelLink } from "../../core/channels/link.js";
import type { ChannelState } from "../../core/api/types.js";
import type { ChannelFile } from "../../core/persona-store.js";
import { until } from "../mind/helpers.js";

// A channel plugin written in plain JavaScript is held to its contract by nothing but the
// daemon: it may return a connection without `closed`, give no promises back, or leave a
// rejection of ours unawaited. None of that may take the daemon down.

const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => void unhandled.push(err);
process.on("unhandledRejection", onUnhandled);
t.teardown(() => void process.off("unhandledRejection", onUnhandled));

function linkOf(connect: (ctx: ChannelContext) => unknown, states: [ChannelState, string | null][], saved: ChannelFile[] = [], kept: ChannelFile = { stored: {}, pending: [], outbox: [], seen: [] }) {
  const plugin = {
    kind: "channel",
    name: "jschat",
    version: "1.0.0",
    title: "JS chat",
    credentials: [],
    maxText: 4096,
    validate: async () => ({ name: "js" }),
    connect: async (_c: Record<string, string>, ctx: ChannelContext) => connect(ctx),
  } as unknown as ChannelPlugin;
  return new ChannelLink({
    persona: "p1",
    name: () => "Ada",
    plugin,
    credentials: {},
    paired: () => new Set(["c1"]),
    load: async () => structuredClone(kept),
    save: async (f) => void saved.push(structuredClone(f)),
    deliver: async () => {},
    known: async () => false,
    state: (s, detail) => void states.push([s, detail]),
    log: { info() {}, warn() {}, error() {} },
    scrub: (s) => s,
    retryMs: 10,
  });
}

t.test("a connection without `closed` is a failed channel that says the plugin needs fixing, not a crash", async (t) => {
  const states: [ChannelState, string | null][] = [];
  let closedIt = 0;
  const link = linkOf(() => ({ send() {}, close: () => void closedIt++ }), states);
  await link.start();
  await until(() => link.state === "failed", 2000, "the channel failed");
  t.match(link.detail, /connect\(\) must return \{ send, close, closed \}.*returned \{ send, close \}.*needs fixing/);
  t.equal(closedIt, 1, "what it opened is closed");
  await link.close();
  t.same(unhandled, [], "nothing was left unhandled");
});

t.test("a plugin that returns nothing from connect() fails the same way", async (t) => {
  const states: [ChannelState, string | null][] = [];
  const link = linkOf(() => undefined, states);
  await link.start();
  await until(() => link.state === "failed", 2000, "the channel failed");
  t.match(link.detail, /returned undefined/);
  await link.close();
  t.same(unhandled, []);
});

t.test("close and typing that give back no promise, and a receive left unawaited while closing, are taken in stride", async (t) => {
  const states: [ChannelState, string | null][] = [];
  let ctx!: ChannelContext;
  let typed = 0;
  const link = linkOf((c) => {
    ctx = c;
    return {
      send() {},
      typing: () => void typed++,
      close: () => undefined,
      closed: new Promise(() => {}),
    };
  }, states);
  await link.start();
  await until(() => link.state === "connected", 2000, "connected");
  link.typing("c1");
  await until(() => typed > 0, 2000, "typing shown");
  link.stopTyping("c1");
  await link.close();
  t.equal(link.state, "disconnected");
  // A plugin that did not await: the rejection is handled, yet one who awaits it still hears why.
  void ctx.receive({ chat: "c1", id: "m1", text: "late" });
  await t.rejects(ctx.receive({ chat: "c1", id: "m2", text: "later" }), /closing/);
  await new Promise((r) => setImmediate(r));
  t.same(unhandled, [], "nothing was left unhandled");
});

t.test("a stranger's flood while the platform refuses to send leaves one pairing reply per chat waiting, not one per message", async (t) => {
  const saved: ChannelFile[] = [];
  let ctx!: ChannelContext;
  let tries = 0;
  const link = linkOf((c) => {
    ctx = c;
    return {
      async send() {
        tries++;
        throw new Error("429 Too Many Requests");
      },
      async close() {},
      closed: new Promise(() => {}),
    };
  }, [], saved);
  await link.start();
  await until(() => link.state === "connected", 2000, "connected");
  for (let i = 0; i < 20; i++) await ctx.receive({ chat: "stranger", id: `m${i}`, text: "hi" });
  await ctx.receive({ chat: "another", id: "a1", text: "hello" });
  await until(() => tries > 0, 2000, "a send was tried");
  const outbox = saved.at(-1)!.outbox;
  t.same(outbox.map((o) => o.chat), ["stranger", "another"], "one reply waits per chat");
  t.ok(outbox.every((o) => o.pairing && /pair this chat: enter the code [A-Z2-9]{8}/.test(o.text)), "and each is the pairing reply");
  t.equal(saved.at(-1)!.seen.length, 21, "every message was taken");
  await link.close();
  t.same(unhandled, []);
});

t.test("supervision: a refused token is failed for good; a connection that ends by itself is connected again; one that comes after close is closed", async (t) => {
  const states: [ChannelState, string | null][] = [];
  let tries = 0;
  const refused = linkOf(() => {
    tries++;
    throw new Unauthorized("the token was revoked");
  }, states);
  await refused.start();
  await until(() => refused.state === "failed", 2000, "failed");
  t.equal(refused.detail, "the token was revoked");
  await refused.close();
  t.equal(tries, 1, "not tried again: trying cannot help");

  let end!: () => void;
  let connects = 0;
  const ending = linkOf(() => {
    connects++;
    return { async send() {}, async close() {}, closed: new Promise<void>((r) => (end = r)) };
  }, states);
  await ending.start();
  await until(() => ending.state === "connected", 2000, "connected");
  end();
  await until(() => connects === 2 && ending.state === "connected", 2000, "connected again");
  t.ok(states.some(([s, d]) => s === "retrying" && d === "the connection ended"), "retrying, saying why");
  await ending.close();

  let arrive!: () => void;
  let closedLate = 0;
  const late = linkOf(async () => {
    await new Promise<void>((r) => (arrive = r));
    return { async send() {}, close: async () => void closedLate++, closed: new Promise(() => {}) };
  }, states);
  await late.start();
  await until(() => typeof arrive === "function", 2000, "connecting");
  const closing = late.close();
  arrive();
  await closing;
  await until(() => closedLate === 1, 2000, "the connection that came after close was closed");
  t.equal(late.state, "disconnected");
  t.same(unhandled, []);
});

t.test("sending: a message the platform will never take is dropped and the rest go on; nothing to say sends nothing", async (t) => {
  const sent: string[] = [];
  const saved: ChannelFile[] = [];
  const link = linkOf(() => ({
    async send(chat: string, text: string) {
      if (chat === "gone") throw new NotFound("chat not found");
      if (chat === "blocked") throw new Invalid("the bot was blocked by the user");
      sent.push(text);
    },
    async close() {},
    closed: new Promise(() => {}),
  }), [], saved);
  await link.start();
  await until(() => link.state === "connected", 2000, "connected");
  await link.say("gone", "to a chat that is gone");
  await link.say("blocked", "to one that blocked her");
  await link.say("c1", "   ");
  await link.say("c1", "to one that is there");
  await until(() => sent.length === 1 && saved.at(-1)!.outbox.length === 0, 2000, "the outbox emptied");
  t.same(sent, ["to one that is there"], "only the one that can be taken, after the two dropped");
  await link.close();
});

t.test("a pairing reply that waited past its code's ten minutes is replaced by one with the new code", async (t) => {
  const saved: ChannelFile[] = [];
  let ctx!: ChannelContext;
  const past = new Date(Date.now() - 60_000).toISOString();
  const kept: ChannelFile = {
    stored: {},
    pending: [{ chat: "stranger", code: "OLDC0DE2", expires: past }],
    outbox: [{ id: "o1", chat: "stranger", text: "pair with OLDC0DE2", pairing: true }, { id: "o2", chat: "c1", text: "her words" }],
    seen: [],
  };
  const link = linkOf((c) => {
    ctx = c;
    return { send: async () => Promise.reject(new Error("the platform is down")), async close() {}, closed: new Promise(() => {}) };
  }, [], saved, kept);
  await link.start();
  await until(() => link.state === "connected", 2000, "connected");
  await ctx.receive({ chat: "stranger", id: "m1", text: "hello again" });
  const outbox = saved.at(-1)!.outbox;
  t.same(outbox.map((o) => o.id === "o2" ? "her words" : o.chat), ["her words", "stranger"], "her words stay; the old reply is gone, a new one waits");
  const code = saved.at(-1)!.pending.find((p) => p.chat === "stranger")!.code;
  t.not(code, "OLDC0DE2", "a new code");
  t.match(outbox.find((o) => o.pairing)!.text, code, "and the waiting reply carries it");
  await link.close();
});
