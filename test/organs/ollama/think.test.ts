import t, { type Test } from "tap";
import ollama from "../../../organs/ollama/index.js";
import { OrganFault, type OrganSpec, type ThinkRequest } from "../../../core/api/index.js";
import { startFakeOllama, type FakeOllama, type FakeOllamaOptions } from "../../fixtures/fake-ollama.js";
import { MORNING, MOOD_SCHEMA as SCHEMA, thinkWithBrokenListener } from "../../helpers/model-context.js";
import { context, type RecordingContext } from "./context.js";

async function fake(t: Test, opts: FakeOllamaOptions = {}): Promise<{ f: FakeOllama; spec: OrganSpec }> {
  const f = await startFakeOllama({ models: ["llama3.2"], ...opts });
  t.teardown(() => f.close());
  return { f, spec: { provider: "ollama", model: "llama3.2", url: f.url } };
}

const think = (spec: OrganSpec, ctx: RecordingContext, req: ThinkRequest) => ollama.think!(spec, ctx).think(req);
const chats = (f: FakeOllama) => f.requests.filter((r) => r.path === "/api/chat");

t.test("plain think: one /api/chat call, the answer's text", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("Good morning, Ada.");
  const ctx = context();
  // Every message marked for caching, which Ollama has no use for.
  const r = await think(spec, ctx, { messages: MORNING.map((m) => ({ ...m, cache: true })) });
  t.equal(r.text, "Good morning, Ada.");
  t.equal(r.json, undefined, "no schema, no json");
  t.equal(chats(f).length, 1, "a plain message costs one call");
  const body = chats(f)[0]!.body;
  t.same(body, {
    model: "llama3.2",
    messages: [
      { role: "system", content: "You are Ada's companion." },
      { role: "user", content: "morning!" },
    ],
    stream: true,
  }, "exactly Ollama's request shape: no cache flag, no format; streamed, so only silence is a timeout");
  t.equal(chats(f)[0]!.status, 200);
});

t.test("think with a schema: the schema is the format, the answer parsed as json", async (t) => {
  const { f, spec } = await fake(t);
  f.reply('{"say": "hello", "mood": "glad"}');
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "hello", mood: "glad" });
  t.same(chats(f)[0]!.body.format, SCHEMA, "the JSON schema went in `format`");
  t.equal(chats(f).length, 1);
});

t.test("without a scripted reply the fake's constrained answer still fits (default path)", async (t) => {
  const { f, spec } = await fake(t);
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "", mood: "calm" }, "the smallest value fitting the schema, parsed");
  t.equal(f.sent[0]!.text, JSON.stringify(r.json));
});

t.test("prose-wrapped JSON (a model that ignored the format) is extracted", async (t) => {
  const { f, spec } = await fake(t);
  f.reply('Of course! Here it is:\n```json\n{"say": "hi there", "mood": "calm"}\n```\nAnything else?');
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA });
  t.same(r.json, { say: "hi there", mood: "calm" });
  t.equal(chats(f).length, 1, "no retry needed");
});

t.test("a reasoning model's <think> block is not part of the answer", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("<think>\nThe person greets me; I greet back.\n</think>\n\nHello!");
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }] });
  t.equal(r.text, "Hello!");
});

t.test("invalid, then valid: one retry that quotes the problem", async (t) => {
  const { f, spec } = await fake(t);
  f.reply('{"say": 42, "mood": "glad"}', '{"say": "forty-two", "mood": "glad"}');
  const ctx = context();
  const r = await think(spec, ctx, { messages: [{ role: "user", content: "a number?" }], schema: SCHEMA });
  t.same(r.json, { say: "forty-two", mood: "glad" });
  const [first, second] = chats(f);
  t.equal(chats(f).length, 2);
  const msgs = second!.body.messages as { role: string; content: string }[];
  t.same(msgs.slice(0, 1), first!.body.messages, "the retry starts with the same conversation");
  t.same(msgs[1], { role: "assistant", content: '{"say": 42, "mood": "glad"}' }, "then her first answer");
  t.equal(msgs[2]!.role, "user");
  t.match(msgs[2]!.content, /\/say must be string/, "and a note quoting what was wrong");
  t.same(second!.body.format, SCHEMA, "still constrained by the schema");
  t.same(ctx.usages, f.sent.map((s) => ({ input: s.prompt_eval_count, output: s.eval_count })), "each call's usage reported");
  t.same(r.usage, { input: f.sent[0]!.prompt_eval_count + f.sent[1]!.prompt_eval_count, output: f.sent[0]!.eval_count + f.sent[1]!.eval_count }, "the result carries both");
});

t.test("twice invalid: a malformed organ fault, not a crash", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("I would rather not.", '{"say": "x", "mood": "furious"}');
  const err = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA }).catch((e) => e);
  t.ok(err instanceof OrganFault, String(err));
  t.equal(err.kind, "malformed");
  t.equal(err.transient, false);
  t.match(err.message, `Organ 'thinking' (ollama, llama3.2) at ${f.url}: answered twice without JSON that fits the schema`);
  t.match(err.message, /mood must be equal to one of the allowed values/);
  t.equal(chats(f).length, 2, "exactly one retry");
});

t.test("streaming: deltas in order, the text is their concatenation, usage from the final chunk", async (t) => {
  const { f, spec } = await fake(t);
  const chunks = ["Once", " upon", " a", " time", ", the", " end."];
  f.reply({ chunks });
  const ctx = context();
  const deltas: string[] = [];
  const r = await think(spec, ctx, { messages: [{ role: "user", content: "a story" }], onDelta: (d) => deltas.push(d) });
  t.same(deltas, chunks, "every chunk handed on, in order");
  t.equal(r.text, deltas.join(""));
  t.same(ctx.usages, [{ input: f.sent[0]!.prompt_eval_count, output: f.sent[0]!.eval_count }]);
  t.same(r.usage, ctx.usages[0]);
});

t.test("streaming: deltas arrive before the answer is complete", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ["one", " two", " three"], delayMs: 150 });
  let firstAt = 0;
  const started = Date.now();
  const r = await think(spec, context(), { messages: [{ role: "user", content: "count" }], onDelta: () => (firstAt ||= Date.now()) });
  const total = Date.now() - started;
  t.ok(firstAt - started < total - 200, `first delta after ${firstAt - started} ms, whole answer after ${total} ms`);
  t.equal(r.text, "one two three");
});

t.test("streaming a reasoning model: the thoughts never reach onDelta, even cut across chunks", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ["<thi", "nk>", "Should I", " greet?", "</th", "ink>", "\n\n", "Hi", " there"] });
  const deltas: string[] = [];
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], onDelta: (d) => deltas.push(d) });
  t.same(deltas, ["Hi", " there"]);
  t.equal(r.text, "Hi there");
});

t.test("streaming with a schema: deltas stream, the json is parsed at the end", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ['{"say":', ' "hey",', ' "mood": "calm"}'] });
  const deltas: string[] = [];
  const r = await think(spec, context(), { messages: [{ role: "user", content: "hi" }], schema: SCHEMA, onDelta: (d) => deltas.push(d) });
  t.same(r.json, { say: "hey", mood: "calm" });
  t.equal(deltas.join(""), r.text);
  t.same(chats(f)[0]!.body.format, SCHEMA);
});

t.test("an Ollama older than 0.5 (format takes only \"json\"): json mode with the schema in the prompt, remembered", async (t) => {
  const { f, spec } = await fake(t, { schemaFormat: false });
  f.reply('{"say": "old but fine", "mood": "calm"}', '{"say": "again", "mood": "glad"}');
  const ctx = context();
  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "hi" },
  ];
  const r = await think(spec, ctx, { messages, schema: SCHEMA });
  t.same(r.json, { say: "old but fine", mood: "calm" });
  const [refused, fallback] = chats(f);
  t.equal(refused!.status, 400, "the schema format was refused");
  t.equal(fallback!.body.format, "json");
  t.match(fallback!.body.messages[0].content, /^Be brief\.\n\nAnswer with one JSON value that fits this JSON schema:\n\{"type":"object"/);
  t.same(fallback!.body.messages[1], messages[1]);
  t.match(ctx.logs.map((l) => l.msg).join("\n"), /takes no JSON schema as format/);

  const again = await think(spec, ctx, { messages, schema: SCHEMA });
  t.same(again.json, { say: "again", mood: "glad" });
  t.equal(chats(f).length, 3, "the second think went straight to json mode");
  t.equal(chats(f)[2]!.body.format, "json");
});

t.test("an error from onDelta is the caller's, passed through as it is", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("a b c");
  const { err, thrown } = await thinkWithBrokenListener((req) => think(spec, context(), req));
  t.equal(err, thrown);
});
