import t, { type Test } from "tap";
import OpenAI, { toFile } from "openai";
import { startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";

// The fake must answer the official client (openai 6.49.0) the way OpenAI does, and refuse
// what OpenAI refuses with errors the client understands; otherwise tests against it prove
// nothing about the real service.

const KEY = "sk-test-contract-0123456789abcdef";

async function setup(t: Test, opts: Parameters<typeof startFakeOpenAI>[0] = {}): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  const fake = await startFakeOpenAI({ apiKey: KEY, ...opts });
  t.teardown(() => fake.close());
  return { fake, client: new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: KEY, maxRetries: 0 }) };
}

t.test("models.list", async (t) => {
  const { client } = await setup(t, { models: ["gpt-4o-mini", "whisper-1"] });
  const ids: string[] = [];
  for await (const m of client.models.list()) ids.push(m.id);
  t.same(ids, ["gpt-4o-mini", "whisper-1"]);
  const one = await client.models.retrieve("whisper-1");
  t.equal(one.object, "model");
  const missing = await client.models.retrieve("nope").catch((e) => e);
  t.ok(missing instanceof OpenAI.NotFoundError);
});

t.test("chat.completions.create, not streamed", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ content: "Hi, Ada.", usage: { prompt_tokens: 9, completion_tokens: 3 } });
  const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }] });
  t.equal(c.object, "chat.completion");
  t.equal(c.choices[0]!.message.role, "assistant");
  t.equal(c.choices[0]!.message.content, "Hi, Ada.");
  t.equal(c.choices[0]!.finish_reason, "stop");
  t.same({ p: c.usage!.prompt_tokens, c: c.usage!.completion_tokens, t: c.usage!.total_tokens }, { p: 9, c: 3, t: 12 });
  t.equal(fake.requests.at(-1)!.headers.authorization, `Bearer ${KEY}`);
});

t.test("chat.completions.create with a strict json_schema", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply('{"say":"hi"}');
  const c = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Greet" }],
    response_format: { type: "json_schema", json_schema: { name: "reply", strict: true, schema: { type: "object", properties: { say: { type: "string" } }, required: ["say"], additionalProperties: false } } },
  });
  t.same(JSON.parse(c.choices[0]!.message.content!), { say: "hi" });
});

t.test("chat.completions.create, streamed, with usage", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ content: "One, two, three.", chunks: ["One", ", two", ", three", "."], usage: { prompt_tokens: 7, completion_tokens: 4 } });
  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Count" }], stream: true, stream_options: { include_usage: true } });
  const deltas: string[] = [];
  let usage: OpenAI.CompletionUsage | null | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    t.equal(chunk.object, "chat.completion.chunk");
    const c = chunk.choices[0];
    if (c?.delta.content) deltas.push(c.delta.content);
    if (c?.finish_reason) finish = c.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  t.same(deltas, ["One", ", two", ", three", "."]);
  t.equal(finish, "stop");
  t.same({ p: usage?.prompt_tokens, c: usage?.completion_tokens }, { p: 7, c: 4 });
});

t.test("audio.transcriptions.create with a small file", async (t) => {
  const { fake, client } = await setup(t);
  fake.transcript("Water the plants at six.");
  const audio = Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt a tiny fake wave file");
  const r = await client.audio.transcriptions.create({ file: await toFile(audio, "note.wav", { type: "audio/wav" }), model: "whisper-1" });
  t.equal(r.text, "Water the plants at six.");
  const req = fake.requests.at(-1)!;
  t.equal(req.status, 200);
  t.equal(req.body.fields.model, "whisper-1");
  t.ok(Buffer.compare(req.body.file.bytes, audio) === 0);
});

t.test("what OpenAI refuses, the fake refuses, as errors the client types", async (t) => {
  const { client, fake } = await setup(t);
  const wrong = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: "sk-wrong-abcdefghijklmnop", maxRetries: 0 });
  const e401 = await wrong.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
  t.ok(e401 instanceof OpenAI.AuthenticationError);
  t.equal(e401.code, "invalid_api_key");
  t.match(e401.message, /Incorrect API key provided: sk-\*+mnop/);

  const chat = (body: Record<string, unknown>) => client.chat.completions.create(body as never).catch((e) => e);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["no model", { messages: [{ role: "user", content: "x" }] }, /you must provide a model parameter/],
    ["no messages", { model: "gpt-4o-mini" }, /Missing required parameter: 'messages'/],
    ["a made-up role", { model: "gpt-4o-mini", messages: [{ role: "bot", content: "x" }] }, /Invalid value: 'bot'/],
    ["an unknown response_format", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], response_format: { type: "yaml" } }, /Supported values are: 'json_object', 'json_schema', and 'text'/],
    ["json_object without the word", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }, /must contain the word 'json'/],
    ["a non-strict schema in strict mode", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "r", strict: true, schema: { type: "object", properties: { a: { type: "string" } } } } } }, /'additionalProperties' is required/],
    ["stream_options without stream", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } }, /only allowed when 'stream' is enabled/],
    ["an unknown argument", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], temprature: 0.2 }, /Unrecognized request argument supplied: temprature/],
    ["an image in a system message", { model: "gpt-4o", messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }] }, /only allowed for messages with role 'user'/],
  ];
  for (const [what, body, message] of cases) {
    const e = await chat(body);
    t.ok(e instanceof OpenAI.BadRequestError, `${what}: 400`);
    t.match(e.message, message, what);
  }
  const e404 = await chat({ model: "gpt-9", messages: [{ role: "user", content: "x" }] });
  t.ok(e404 instanceof OpenAI.NotFoundError);
  t.equal(e404.code, "model_not_found");

  const noFile = await fetch(`${fake.url}/v1/audio/transcriptions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: (() => { const f = new FormData(); f.append("model", "whisper-1"); return f; })() });
  t.equal(noFile.status, 400);
  t.match(await noFile.text(), /Missing required parameter: 'file'/);
  const noModel = await client.audio.transcriptions.create({ file: await toFile(Buffer.from("abc"), "a.wav"), model: "" }).catch((e) => e);
  t.ok(noModel instanceof OpenAI.BadRequestError);
  t.match(noModel.message, /model parameter/);
});

t.test("injected faults look like OpenAI's to the client", async (t) => {
  const { client, fake } = await setup(t);
  fake.fail({ status: 429, retryAfter: "7" });
  const e429 = await client.models.list().catch((e) => e);
  t.ok(e429 instanceof OpenAI.RateLimitError);
  t.equal(e429.headers.get("retry-after"), "7");
  t.equal(e429.code, "rate_limit_exceeded");
  fake.fail({ status: 500 });
  t.ok((await client.models.list().catch((e) => e)) instanceof OpenAI.InternalServerError);
});

t.test("a server refusing json_schema, as older local servers do", async (t) => {
  const { client } = await setup(t, { responseFormats: ["json_object"] });
  const e = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } } })
    .catch((e) => e);
  t.ok(e instanceof OpenAI.BadRequestError);
  t.match(e.message, /response_format/);
  const ok = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "answer in JSON" }], response_format: { type: "json_object" } });
  t.equal(ok.choices.length, 1);
});
