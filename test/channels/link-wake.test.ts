import t from "tap";
import { defineChannel } from "../../core/api/index.js";
import { ChannelLink } from "../../core/channels/link.js";
import type { ChannelFile } from "../../core/persona-store.js";
import { until } from "../mind/helpers.js";

// When she wakes (a daemon restart), her mind resumes before her channels have read what they
// kept, and an answer to a message that waited can be ready first. It must wait for the
// channel, not be lost: found by telegram.test.ts ("a restart in the middle of a conversation"),
// where it happened about one run in five; here it happens every time.

t.test("words said to a channel before it has read its file wait for it, and are sent once", async (t) => {
  const sent: [string, string][] = [];
  let release!: () => void;
  const reading = new Promise<void>((r) => (release = r));
  const saved: ChannelFile[] = [];
  const plugin = defineChannel({
    name: "slowchat",
    version: "1.0.0",
    title: "Slow chat",
    credentials: [],
    maxText: 100,
    async validate() {
      return { name: "slow" };
    },
    async connect(_c, ctx) {
      return {
        async send(chat, text) {
          sent.push([chat, text]);
        },
        closed: new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
        async close() {},
      };
    },
  });
  const link = new ChannelLink({
    persona: "p1",
    name: () => "Ada",
    plugin,
    credentials: {},
    paired: () => new Set(["c1"]),
    load: async () => {
      await reading;
      return { stored: {}, pending: [], outbox: [], seen: [] };
    },
    save: async (f) => void saved.push(structuredClone(f)),
    deliver: async () => {},
    known: async () => false,
    state: () => {},
    log: { info() {}, warn() {}, error() {} },
    scrub: (s) => s,
    retryMs: 10,
  });
  t.teardown(() => link.close());

  const said = link.say("c1", "Good morning! I was away for a moment.");
  const starting = link.start();
  release();
  await starting;
  await said;
  await until(() => sent.length === 1, 2000, "her words sent");
  t.same(sent, [["c1", "Good morning! I was away for a moment."]]);
  t.ok(saved.some((f) => f.outbox.length === 1), "kept in the outbox until sent");
  await until(() => saved.at(-1)!.outbox.length === 0, 2000, "the outbox emptied");
});
