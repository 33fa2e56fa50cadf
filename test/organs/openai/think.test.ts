import t, { type Test } from "tap";
import openai from "../../../organs/openai/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";
import { LOOSE_MOOD_SCHEMA as loose, MOOD_SCHEMA as schema, thinkWithBrokenListener } from "../../helpers/model-context.js";
import { context } from "./context.js";

const KEY = "sk-test-think-0123456789abcdef";

async function fake(t: Test, opts: Parameters<typeof startFakeOpenAI>[0] = {}): Promise<{ fake: FakeOpenAI; spec: OrganSpec }> {
  const f = await startFakeOpenAI({ apiKey: KEY, ...opts });
  t.teardown(() => f.close());
  return { fake: f, spec: { provider: "openai", model: "gpt-4o-mini", url: `${f.url}/v1`, api_key: KEY } };
}

const chats = (f: FakeOpenAI) => f.requests.filter((r) => r.path === "/v1/chat/completions");

t.test("plain think: one POST /chat/completions with the key, text and usage back", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply({ content: "Good morning, Ada.", usage: { prompt_tokens: 21, completion_tokens: 5 } });
  const ctx = context();
  const r = await openai.think!(spec, ctx).think({
    messages: [
      { role: "system", content: "You are Eve.", cache: true },
      { role: "user", content: "Hello" },
    ],
  });
  t.equal(r.text, "Good morning, Ada.");
  t.same(r.usage, { input: 21, output: 5 });
  t.same(ctx.usages, [{ input: 21, output: 5 }], "usage reported through the context");
  const [req] = chats(f);
  t.equal(req!.status, 200);
  t.equal(req!.headers.authorization, `Bearer ${KEY}`);
  t.same(req!.body, { model: "gpt-4o-mini", messages: [{ role: "system", content: "You are Eve." }, { role: "user", content: "Hello" }] }, "no cache flag, no response_format, no stream");
});

t.test("no key: no Authorization header at all (local servers)", async (t) => {
  const { fake: f, spec } = await fake(t, { apiKey: undefined });
  const r = await openai.think!({ ...spec, api_key: undefined }, context()).think({ messages: [{ role: "user", content: "hi" }] });
  t.equal(r.text, "Hello.");
  t.equal(chats(f)[0]!.headers.authorization, undefined);
});

t.test("a url without /v1 is normalised to the API base", async (t) => {
  const { fake: f, spec } = await fake(t);
  for (const url of [f.url, `${f.url}/`, `${f.url}/v1/`, `${f.url}/v1/chat/completions`]) {
    const r = await openai.think!({ ...spec, url }, context()).think({ messages: [{ role: "user", content: "hi" }] });
    t.equal(r.text, "Hello.", url);
  }
  t.equal(chats(f).length, 4);
  t.ok(chats(f).every((r) => r.status === 200));
});

t.test("strict mode: a scripted answer that breaks the schema is refused by the fake, as the real API never gives one", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply('{"say":"hi","mood":"furious"}');
  await openai.think!(spec, context()).think({ messages: [{ role: "user", content: "hi" }], schema }).catch(() => null);
  t.equal(chats(f)[0]!.status, 500, "a 500, not an answer outside the schema");
  const lenient = await fake(t, { lenient: true });
  lenient.fake.reply('{"say":"hi","mood":"furious"}', '{"say":"hi","mood":"calm"}');
  const r = await openai.think!(lenient.spec, context()).think({ messages: [{ role: "user", content: "hi" }], schema });
  t.same(r.json, { say: "hi", mood: "calm" }, "a lenient local server may break it: the retry then mends it");
});

t.test("schema: strict json_schema response_format, schema-valid JSON back", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply('{"say":"hi","mood":"glad"}');
  const r = await openai.think!(spec, context()).think({ messages: [{ role: "user", content: "Greet me" }], schema: { ...schema, title: "Her reply!" } });
  t.same(r.json, { say: "hi", mood: "glad" });
  const [req] = chats(f);
  t.equal(req!.status, 200, "the fake (with OpenAI's strict-schema rules) accepted the request");
  t.same(req!.body.response_format, { type: "json_schema", json_schema: { name: "Her_reply_", schema: { ...schema, title: "Her reply!" }, strict: true } });
  t.same(req!.body.messages, [{ role: "user", content: "Greet me" }], "the server enforces the schema, so the prompt is left alone");
});

t.test("one retry quoting the validation error, then valid JSON (a schema asked best effort)", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply({ content: '{"say":"hi","mood":"furious"}', usage: { prompt_tokens: 10, completion_tokens: 4 } }, { content: '{"say":"hi","mood":"calm"}', usage: { prompt_tokens: 30, completion_tokens: 4 } });
  const ctx = context();
  const r = await openai.think!(spec, ctx).think({ messages: [{ role: "user", content: "Greet me" }], schema: loose });
  t.same(r.json, { say: "hi", mood: "calm" });
  t.same(r.usage, { input: 40, output: 8 }, "usage of both calls");
  t.same(ctx.usages, [{ input: 10, output: 4 }, { input: 30, output: 4 }], "each call reported");
  const [, second] = chats(f);
  const msgs = second!.body.messages;
  t.equal(msgs.at(-2).role, "assistant");
  t.equal(msgs.at(-2).content, '{"say":"hi","mood":"furious"}');
  t.match(msgs.at(-1).content, /\/mood must be equal to one of the allowed values/, "the retry quotes the validation error");
});

t.test("two misses: a malformed organ fault, not a crash", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply("Hello there!", "Still no JSON, sorry.");
  const err = await openai.think!(spec, context()).think({ messages: [{ role: "user", content: "hi" }], schema: loose }).catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "malformed");
  t.equal(chats(f).length, 2);
});

t.test("fallback: json_schema refused → json_object → remembered for the organ", async (t) => {
  const { fake: f, spec } = await fake(t, { responseFormats: ["json_object"] });
  // A model name of its own, so the level remembered here belongs to this test only.
  f.models.add("fallback-a");
  const s = { ...spec, model: "fallback-a" };
  f.reply('{"say":"one","mood":"calm"}', '{"say":"two","mood":"glad"}');
  const ctx = context();
  const r1 = await openai.think!(s, ctx).think({ messages: [{ role: "system", content: "You are Eve." }, { role: "user", content: "1" }], schema });
  t.same(r1.json, { say: "one", mood: "calm" });
  const [refused, accepted] = chats(f);
  t.equal(refused!.status, 400);
  t.equal(refused!.body.response_format.type, "json_schema");
  t.equal(accepted!.status, 200);
  t.same(accepted!.body.response_format, { type: "json_object" });
  t.match(accepted!.body.messages[0].content, /^You are Eve\.\n\nAnswer with only one JSON value/, "the schema joins the first system message");
  t.match(accepted!.body.messages[0].content, /"mood"/, "and is quoted whole");
  t.match(ctx.logs.map((l) => l.msg).join("\n"), /json_object/, "the downgrade is logged");

  // A new Thinker for the same organ (her agent restarted): no second refusal.
  const r2 = await openai.think!(s, context()).think({ messages: [{ role: "user", content: "2" }], schema });
  t.same(r2.json, { say: "two", mood: "glad" });
  t.equal(chats(f).length, 3, "the fallback cost one extra call, once");
  t.equal(chats(f)[2]!.body.response_format.type, "json_object");
  t.equal(chats(f)[2]!.body.messages[0].role, "system", "a system message carrying the schema is added when there was none");
});

t.test("fallback: both refused → plain prompt + tolerant extraction", async (t) => {
  const { fake: f, spec } = await fake(t, { responseFormats: [] });
  f.models.add("fallback-b");
  const s = { ...spec, model: "fallback-b" };
  f.reply('Sure! Here it is:\n```json\n{"say":"hey","mood":"calm"}\n```\nAnything else?');
  const r = await openai.think!(s, context()).think({ messages: [{ role: "user", content: "hi" }], schema });
  t.same(r.json, { say: "hey", mood: "calm" });
  const c = chats(f);
  t.same(c.map((x) => [x.status, x.body.response_format?.type ?? "none"]), [[400, "json_schema"], [400, "json_object"], [200, "none"]]);
  t.match(c[2]!.body.messages[0].content, /JSON schema/);
  f.reply('{"say":"again","mood":"glad"}');
  await openai.think!(s, context()).think({ messages: [{ role: "user", content: "hi" }], schema });
  t.equal(chats(f).length, 4, "remembered: straight to the prompt level");
});

t.test("a 400 that is not about response_format is not a fallback", async (t) => {
  const { fake: f, spec } = await fake(t);
  const err = await openai.think!(spec, context()).think({ messages: [], schema }).catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.equal(err.httpStatus, 400);
  t.match(err.message, /empty array/);
  t.equal(chats(f).length, 1, "no second try");
});

t.test("stream: deltas in order, text is their join, usage from the final chunk", async (t) => {
  const { fake: f, spec } = await fake(t);
  const chunks = ["Once ", "upon ", "a ", "time", "."];
  f.reply({ content: chunks.join(""), chunks, delayMs: 30, usage: { prompt_tokens: 12, completion_tokens: 5 } });
  const deltas: string[] = [];
  let sentAtFirstDelta = -1;
  const ctx = context();
  const r = await openai.think!(spec, ctx).think({
    messages: [{ role: "user", content: "Tell me a story" }],
    onDelta: (d) => {
      if (!deltas.length) sentAtFirstDelta = f.chunksSent;
      deltas.push(d);
    },
  });
  t.same(deltas, chunks, "every delta, in order");
  t.equal(r.text, deltas.join(""));
  t.ok(sentAtFirstDelta > 0 && sentAtFirstDelta < chunks.length + 2, `the first delta arrived while the server was still sending (${sentAtFirstDelta} chunks sent)`);
  t.same(r.usage, { input: 12, output: 5 });
  t.same(ctx.usages, [{ input: 12, output: 5 }]);
  const body = chats(f)[0]!.body;
  t.equal(body.stream, true);
  t.same(body.stream_options, { include_usage: true });
});

t.test("stream with a schema: deltas of the JSON, then parsed", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.reply({ content: '{"say":"hi","mood":"calm"}', chunks: ['{"say":', '"hi",', '"mood":"calm"}'] });
  const deltas: string[] = [];
  const r = await openai.think!(spec, context()).think({ messages: [{ role: "user", content: "hi" }], schema, onDelta: (d) => deltas.push(d) });
  t.same(r.json, { say: "hi", mood: "calm" });
  t.equal(deltas.join(""), r.text);
  t.equal(chats(f)[0]!.body.response_format.type, "json_schema");
});

t.test("an error thrown by onDelta is the caller's own, not a connection fault", async (t) => {
  const { spec } = await fake(t);
  const { err, thrown } = await thinkWithBrokenListener((req) => openai.think!(spec, context()).think(req), "hi there you");
  t.equal(err, thrown);
});

t.test("a schema strict mode cannot take is sent with strict: false, at the json_schema level", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.models.add("strict-a");
  const loose = { type: "object", properties: { say: { type: "string" }, note: { type: "string" } }, required: ["say"] };
  f.reply('{"say":"hi"}');
  const r = await openai.think!({ ...spec, model: "strict-a" }, context()).think({ messages: [{ role: "user", content: "hi" }], schema: loose });
  t.same(r.json, { say: "hi" });
  t.equal(chats(f).length, 1, "accepted at once");
  t.same(chats(f)[0]!.body.response_format, { type: "json_schema", json_schema: { name: "answer", schema: loose, strict: false } });
});

t.test("a schema the server refuses in strict mode is asked again without strict, and remembered", async (t) => {
  const { fake: f, spec } = await fake(t);
  f.models.add("strict-b");
  const s = { ...spec, model: "strict-b" };
  const picky = { type: "object", properties: { say: { type: "string", minLength: 1 } }, required: ["say"], additionalProperties: false };
  f.fail({ status: 400, message: "Invalid schema for response_format 'answer': In context=('properties', 'say'), 'minLength' is not permitted." });
  f.reply('{"say":"one"}', '{"say":"two"}');
  t.same((await openai.think!(s, context()).think({ messages: [{ role: "user", content: "1" }], schema: picky })).json, { say: "one" });
  t.same(chats(f).map((c) => [c.status, c.body.response_format.json_schema.strict]), [[400, true], [200, false]]);
  t.same((await openai.think!(s, context()).think({ messages: [{ role: "user", content: "2" }], schema: picky })).json, { say: "two" });
  t.equal(chats(f).length, 3);
  t.equal(chats(f)[2]!.body.response_format.json_schema.strict, false, "no second refusal for that schema");
  t.equal(chats(f)[2]!.body.response_format.type, "json_schema", "the organ was not downgraded");
});
