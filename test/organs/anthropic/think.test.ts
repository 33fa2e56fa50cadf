import t, { type Test } from "tap";
import anthropic from "../../../organs/anthropic/index.js";
import { OrganFault, type OrganSpec, type ThinkRequest } from "../../../core/api/index.js";
import { FAKE_KEY, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from "../../fixtures/fake-anthropic.js";
import { LOOSE_MOOD_SCHEMA as LOOSE, MORNING, MOOD_SCHEMA as SCHEMA, thinkWithBrokenListener } from "../../helpers/model-context.js";
import { context, type RecordingContext } from "./context.js";

/** Her identity: long enough (over 1024 tokens) for the API to cache it. */
const IDENTITY = "You are Ada's companion. You remember her garden, her cat Miso and her sister Bea. ".repeat(60);

async function fake(t: Test, opts: FakeAnthropicOptions = {}): Promise<{ f: FakeAnthropic; spec: OrganSpec }> {
  const f = await startFakeAnthropic(opts);
  t.teardown(() => f.close());
  return { f, spec: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY } };
}

const think = (spec: OrganSpec, ctx: RecordingContext, req: ThinkRequest) => anthropic.think!(spec, ctx).think(req);

t.test("plain think: one streamed /v1/messages call with Anthropic's headers and shape", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("Good morning, Ada.");
  const ctx = context();
  const r = await think(spec, ctx, { messages: MORNING });
  t.equal(r.text, "Good morning, Ada.");
  t.equal(r.json, undefined, "no schema, no json");
  const calls = f.messages();
  t.equal(calls.length, 1, "a plain message costs one call");
  const q = calls[0]!;
  t.equal(q.status, 200, "the fake, which checks like the API, accepted it");
  t.equal(q.method, "POST");
  t.equal(q.headers["x-api-key"], FAKE_KEY);
  t.equal(q.headers["anthropic-version"], "2023-06-01");
  t.match(q.headers["content-type"], /^application\/json/);
  t.equal(q.headers.authorization, undefined, "the key goes in x-api-key only");
  t.same(q.body, {
    model: "claude-sonnet-4-5",
    max_tokens: 4096,
    stream: true,
    system: [{ type: "text", text: "You are Ada's companion." }],
    messages: [{ role: "user", content: [{ type: "text", text: "morning!" }] }],
  }, "system apart as text blocks, max_tokens set, streamed, nothing else");
});

t.test("a schema becomes a forced tool; its input is the json", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ tool: { say: "hello", mood: "glad" } });
  const ctx = context();
  const r = await think(spec, ctx, { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "hello", mood: "glad" });
  t.same(JSON.parse(r.text), r.json, "the text is the tool input's JSON");
  const body = f.messages()[0]!.body;
  t.equal(body.tools.length, 1);
  t.equal(body.tools[0].name, "answer");
  t.type(body.tools[0].description, "string");
  t.same(body.tools[0].input_schema, SCHEMA, "the schema is the tool's input_schema, untouched");
  t.same(body.tool_choice, { type: "tool", name: "answer" }, "the tool is forced");
  t.equal(f.messages().length, 1, "no retry needed");
  t.equal(ctx.usages.length, 1);
});

t.test("without a scripted reply the fake's smallest fitting input is taken (default path)", async (t) => {
  const { f, spec } = await fake(t);
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "", mood: "calm" });
  t.equal(f.messages()[0]!.status, 200);
});

t.test("a schema that is not an object is wrapped as {answer} for the tool and unwrapped again", async (t) => {
  const { f, spec } = await fake(t);
  const list = { type: "array", items: { type: "string" }, minItems: 1 };
  f.reply({ tool: { answer: ["tea", "cake"] } });
  const r = await think(spec, context(), { messages: [{ role: "user", content: "two things?" }], schema: list });
  t.same(r.json, ["tea", "cake"]);
  t.same(f.messages()[0]!.body.tools[0].input_schema, { type: "object", properties: { answer: list }, required: ["answer"], additionalProperties: false });
});

t.test("a schema strict mode can take goes as a strict tool, with the beta that asks for it", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ tool: { say: "hi", mood: "calm" } });
  await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  const [req] = f.messages();
  t.equal(req!.body.tools[0].strict, true, "strict");
  t.match(req!.headers["anthropic-beta"], /structured-outputs-2025-11-13/);
  f.reply({ tool: { say: 42, mood: "glad" } });
  const before = f.messages().length;
  await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA }).catch(() => null);
  t.equal(f.messages()[before]!.status, 500, "the fake will not be scripted to break a strict schema (the real API never does): a 500, not an answer outside it");
  f.reply({ tool: { say: "hi" } });
  await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: LOOSE }).catch(() => null);
  t.equal(f.messages().at(-1)!.body.tools[0].strict, undefined, "an open schema goes best effort, not strict");
});

t.test("invalid, then valid: one retry that quotes the problem (a schema asked best effort)", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ tool: { say: 42, mood: "glad" } }, { tool: { say: "forty-two", mood: "glad" } });
  const ctx = context();
  const r = await think(spec, ctx, { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "a number?" }], schema: LOOSE });
  t.same(r.json, { say: "forty-two", mood: "glad" });
  const [first, second] = f.messages();
  t.equal(f.messages().length, 2);
  t.same(second!.body.system, first!.body.system, "the same system prompt");
  const turns = second!.body.messages as { role: string; content: { text: string }[] }[];
  t.same(turns.map((m) => m.role), ["user", "assistant", "user"], "her first answer, then a note, alternating");
  t.same(turns[0], first!.body.messages[0], "the retry starts with the same conversation");
  t.same(JSON.parse(turns[1]!.content[0]!.text), { say: 42, mood: "glad" }, "her first answer, quoted as she gave it");
  t.match(turns[2]!.content[0]!.text, /\/say must be string/, "and a note quoting what was wrong");
  t.same(second!.body.tool_choice, { type: "tool", name: "answer" }, "still forced");
  t.equal(second!.status, 200, "the API takes the retry's shape");
  const sent = f.messages().map((q) => q.usage!);
  t.same(ctx.usages, sent.map((u) => ({ input: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens, output: u.output_tokens })), "each call's usage reported");
  t.same(r.usage, { input: ctx.usages[0]!.input + ctx.usages[1]!.input, output: ctx.usages[0]!.output + ctx.usages[1]!.output }, "the result carries both");
});

t.test("a tool input cut short (max_tokens) is asked for again, not a crash", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ toolJson: ['{"say": "a very long', " answer that"], stopReason: "max_tokens" }, { tool: { say: "short", mood: "calm" } });
  const ctx = context();
  const r = await think(spec, ctx, { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "short", mood: "calm" });
  t.equal(f.messages().length, 2);
  t.match(ctx.logs.map((l) => l.msg).join("\n"), /max_tokens/, "the cut is logged");
});

t.test("twice invalid: a malformed organ fault, not a crash", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ tool: { say: "x" } }, { tool: { say: "x", mood: "furious" } });
  const err = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: LOOSE }).catch((e) => e);
  t.ok(err instanceof OrganFault, String(err));
  t.equal(err.kind, "malformed");
  t.match(err.message, `Organ 'thinking' (anthropic, claude-sonnet-4-5) at ${f.url}: answered twice without JSON that fits the schema`);
  t.match(err.message, /mood must be equal to one of the allowed values/);
  t.equal(f.messages().length, 2, "exactly one retry");
});

t.test("streaming: text deltas in order, before the answer is complete; the text is their join", async (t) => {
  const { f, spec } = await fake(t);
  const chunks = ["Once", " upon", " a", " time", ", the", " end."];
  f.reply({ chunks, delayMs: 60 });
  const ctx = context();
  const deltas: string[] = [];
  const seen: number[] = [];
  const r = await think(spec, ctx, { messages: [{ role: "user", content: "a story" }], onDelta: (d) => (deltas.push(d), seen.push(f.eventsSent)) });
  t.same(deltas, chunks, "every chunk handed on, in order");
  t.equal(r.text, chunks.join(""));
  t.ok(seen[0]! < f.eventsSent, `the first delta came when ${seen[0]} of ${f.eventsSent} events were sent`);
  t.same(ctx.usages, [{ input: f.messages()[0]!.usage!.input_tokens, output: f.messages()[0]!.usage!.output_tokens }], "usage from message_start and message_delta");
});

t.test("a forced tool's input_json pieces stream like any provider's JSON answer, and the json comes whole at the end", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ toolJson: ['{"say": "he', 'y", "mood"', ': "calm"}'] });
  const deltas: string[] = [];
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA, onDelta: (d) => deltas.push(d) });
  t.same(r.json, { say: "hey", mood: "calm" });
  t.same(deltas, ['{"say": "he', 'y", "mood"', ': "calm"}'], "the JSON pieces, in order (her mind picks out her words)");
});

t.test("prompt caching: cache_control on the block that ends her identity, and only there", async (t) => {
  const { f, spec } = await fake(t);
  const messages: ThinkRequest["messages"] = [
    { role: "system", content: IDENTITY },
    { role: "system", content: "Who Ada is: a gardener.", cache: true },
    { role: "system", content: "Yesterday: she planted tulips." },
    { role: "user", content: "hello" },
  ];
  await think(spec, context(), { messages });
  const body = f.messages()[0]!.body;
  t.same(body.system, [
    { type: "text", text: IDENTITY },
    { type: "text", text: "Who Ada is: a gardener.", cache_control: { type: "ephemeral" } },
    { type: "text", text: "Yesterday: she planted tulips." },
  ]);
  t.notMatch(JSON.stringify(body.messages), /cache_control/, "nothing in the conversation is marked");
});

t.test("prompt caching: a second call reads the identity from the cache, and usage counts it", async (t) => {
  const { f, spec } = await fake(t);
  const identity = { role: "system" as const, content: IDENTITY, cache: true };
  const ctx = context();
  await think(spec, ctx, { messages: [identity, { role: "user", content: "hello" }] });
  await think(spec, ctx, { messages: [identity, { role: "user", content: "hello" }, { role: "assistant", content: "Hi!" }, { role: "user", content: "how are you?" }] });
  const [a, b] = f.messages().map((q) => q.usage!);
  t.ok(a!.cache_creation_input_tokens > 1000, `the first call wrote the identity (${a!.cache_creation_input_tokens} tokens)`);
  t.equal(b!.cache_read_input_tokens, a!.cache_creation_input_tokens, "the second read exactly that prefix");
  t.ok(b!.input_tokens < 50, "and paid full price only for the conversation");
  t.same(ctx.usages[1], { input: b!.input_tokens + b!.cache_read_input_tokens + b!.cache_creation_input_tokens, output: b!.output_tokens }, "input counts cached tokens too");
});

t.test("a cache mark on a conversation message lands on its block", async (t) => {
  const { f, spec } = await fake(t);
  await think(spec, context(), {
    messages: [
      { role: "user", content: "My notes: roses, tulips.", cache: true },
      { role: "assistant", content: "Noted." },
      { role: "user", content: "and lilies" },
    ],
  });
  const msgs = f.messages()[0]!.body.messages;
  t.same(msgs[0], { role: "user", content: [{ type: "text", text: "My notes: roses, tulips.", cache_control: { type: "ephemeral" } }] });
  t.equal(f.messages()[0]!.body.system, undefined, "no system key without system messages");
});

t.test("more than four marks: the last four are kept (the API refuses five)", async (t) => {
  const { f, spec } = await fake(t);
  const messages = ["a", "b", "c", "d", "e", "f"].map((x) => ({ role: "system" as const, content: x, cache: true }));
  await think(spec, context(), { messages: [...messages, { role: "user", content: "hi" }] });
  const q = f.messages()[0]!;
  t.equal(q.status, 200);
  t.same(q.body.system.map((b: { cache_control?: unknown }) => !!b.cache_control), [false, false, true, true, true, true]);
});

t.test("the conversation is made one the API takes: turns alternate, open and end with the person", async (t) => {
  const { f, spec } = await fake(t);
  await think(spec, context(), {
    messages: [
      { role: "system", content: "You are her companion." },
      { role: "assistant", content: "Good morning! The tulips are up." },
      { role: "user", content: "oh nice" },
      { role: "user", content: "" },
      { role: "user", content: "send a photo?" },
      { role: "system", content: "The person attached garden.jpg: tulips in a row." },
      { role: "assistant", content: "Lovely." },
    ],
  });
  const q = f.messages()[0]!;
  t.equal(q.status, 200, `accepted: ${JSON.stringify(q.body.messages)}`);
  t.same(q.body.system, [{ type: "text", text: "You are her companion." }], "only the leading system message is the system prompt");
  t.same(q.body.messages, [
    { role: "user", content: [{ type: "text", text: "(The conversation begins.)" }] },
    { role: "assistant", content: [{ type: "text", text: "Good morning! The tulips are up." }] },
    {
      role: "user",
      content: [
        { type: "text", text: "oh nice" },
        { type: "text", text: "send a photo?" },
        { type: "text", text: "The person attached garden.jpg: tulips in a row." },
      ],
    },
    { role: "assistant", content: [{ type: "text", text: "Lovely." }] },
    { role: "user", content: [{ type: "text", text: "(Your turn.)" }] },
  ]);
});

t.test("an empty marked message passes its mark to the block before it", async (t) => {
  const { f, spec } = await fake(t);
  await think(spec, context(), { messages: [{ role: "system", content: "identity" }, { role: "system", content: "", cache: true }, { role: "user", content: "hi" }] });
  t.same(f.messages()[0]!.body.system, [{ type: "text", text: "identity", cache_control: { type: "ephemeral" } }]);
});

t.test("an error from onDelta is the caller's, passed through as it is", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("a b c");
  const { err, thrown } = await thinkWithBrokenListener((req) => think(spec, context(), req));
  t.equal(err, thrown);
});

t.test("the url may be given with /v1 (as people paste it): the path is not doubled", async (t) => {
  const { f, spec } = await fake(t);
  const r = await think({ ...spec, url: `${f.url}/v1/` }, context(), { messages: [{ role: "user", content: "hi" }] });
  t.equal(r.text, "Hello.");
  t.equal(f.requests[0]!.path, "/v1/messages");
});
