import t, { type Test } from "tap";
import { Ollama } from "ollama";
import { startFakeOllama, type FakeOllamaOptions } from "../../fixtures/fake-ollama.js";
import { PNG } from "./context.js";

// The fake driven by the official client (ollama-js): what it sends, the fake takes; what
// the fake answers, it reads. If the fake drifts from Ollama's protocol, this fails.

async function setup(t: Test, opts: FakeOllamaOptions = {}) {
  const fake = await startFakeOllama({ models: ["llama3.2", "llava"], pullable: ["qwen3"], ...opts });
  t.teardown(() => fake.close());
  return { fake, client: new Ollama({ host: fake.url }) };
}

t.test("list and show", async (t) => {
  const { fake, client } = await setup(t);
  const list = await client.list();
  t.same(list.models.map((m) => m.name).sort(), ["llama3.2:latest", "llava:latest"]);
  for (const m of list.models) {
    t.type(m.size, "number");
    t.type(m.digest, "string");
    t.type(m.details.family, "string");
  }
  const show = await client.show({ model: "llava" });
  t.same(show.capabilities, ["completion", "vision"]);
  t.type(show.modelfile, "string");
  t.same(fake.requests.at(-1)!.body, { model: "llava" });
  const err = await client.show({ model: "nope" }).catch((e) => e);
  t.equal(err.name, "ResponseError");
  t.equal(err.status_code, 404);
  t.equal(err.error, "model 'nope' not found");
});

t.test("chat, not streamed: the whole answer with its counts", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply("Hello from the fake.");
  const r = await client.chat({ model: "llama3.2", messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "hi" }] });
  t.equal(r.message.role, "assistant");
  t.equal(r.message.content, "Hello from the fake.");
  t.equal(r.done, true);
  t.equal(r.done_reason, "stop");
  t.equal(r.prompt_eval_count, fake.sent[0]!.prompt_eval_count);
  t.equal(r.eval_count, fake.sent[0]!.eval_count);
  t.equal(fake.requests.at(-1)!.body.stream, false, "the client says stream: false");
});

t.test("chat, streamed: chunks, then a done chunk the client stops at", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ chunks: ["Once", " upon", " a time"] });
  const parts: string[] = [];
  let last: { done: boolean; eval_count?: number } | undefined;
  for await (const part of await client.chat({ model: "llama3.2", messages: [{ role: "user", content: "story" }], stream: true })) {
    parts.push(part.message.content);
    last = part;
  }
  t.same(parts, ["Once", " upon", " a time", ""], "each chunk's content, then the empty final one");
  t.equal(last?.done, true);
  t.equal(last?.eval_count, 3);
});

t.test("chat with a JSON schema format, and with images the client encodes", async (t) => {
  const { fake, client } = await setup(t);
  const schema = { type: "object", properties: { n: { type: "integer", minimum: 3 } }, required: ["n"] };
  const r = await client.chat({ model: "llama3.2", messages: [{ role: "user", content: "a number" }], format: schema });
  t.same(JSON.parse(r.message.content), { n: 3 }, "the fake's default answer fits the schema");
  t.same(fake.requests.at(-1)!.body.format, schema);

  fake.reply("one pixel");
  const seen = await client.chat({ model: "llava", messages: [{ role: "user", content: "what is this?", images: [new Uint8Array(PNG)] }] });
  t.equal(seen.message.content, "one pixel");
  t.same(fake.requests.at(-1)!.body.messages[0].images, [PNG.toString("base64")], "the client sent base64, the fake took it");
});

t.test("chat errors arrive as the client expects them", async (t) => {
  const { client } = await setup(t);
  const missing = await client.chat({ model: "mistral", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  t.equal(missing.name, "ResponseError");
  t.equal(missing.status_code, 404);
  t.equal(missing.error, 'model "mistral" not found, try pulling it first');
  const noModel = await client.chat({ model: "", messages: [] }).catch((e) => e);
  t.equal(noModel.status_code, 400);
  t.equal(noModel.error, "model is required");
  const badFormat = await client.chat({ model: "llama3.2", messages: [{ role: "user", content: "x" }], format: "yaml" }).catch((e) => e);
  t.equal(badFormat.status_code, 400);
  const badImage = await client.chat({ model: "llava", messages: [{ role: "user", content: "x", images: ["not base64!"] }] }).catch((e) => e);
  t.equal(badImage.status_code, 400);
  t.match(badImage.error, /illegal base64 data/);
});

t.test("an error line mid-stream makes the client's iterator throw", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ chunks: ["partial"], error: "model runner has unexpectedly stopped" });
  const parts: string[] = [];
  const err = await (async () => {
    for await (const part of await client.chat({ model: "llama3.2", messages: [{ role: "user", content: "hi" }], stream: true })) parts.push(part.message.content);
  })().catch((e) => e);
  t.same(parts, ["partial"]);
  t.equal(err?.message, "model runner has unexpectedly stopped");
});

t.test("pull, streamed: progress to success, then the model is listed", async (t) => {
  const { client } = await setup(t);
  const statuses: string[] = [];
  let sawBytes = false;
  for await (const p of await client.pull({ model: "qwen3", stream: true })) {
    statuses.push(p.status);
    if (typeof p.total === "number" && typeof p.completed === "number") sawBytes = true;
  }
  t.equal(statuses[0], "pulling manifest");
  t.equal(statuses.at(-1), "success", "the client stopped at success");
  t.ok(sawBytes, "layer lines carry total and completed");
  t.ok((await client.list()).models.some((m) => m.name === "qwen3:latest"));
});

t.test("pull of an unknown model: the client's iterator throws Ollama's error; not streamed, a 500", async (t) => {
  const { client } = await setup(t);
  const err = await (async () => {
    for await (const _ of await client.pull({ model: "no-such-model", stream: true })) void _;
  })().catch((e) => e);
  t.equal(err?.message, "pull model manifest: file does not exist");
  const whole = await client.pull({ model: "no-such-model" }).catch((e) => e);
  t.equal(whole.status_code, 500);
  t.equal(whole.error, "pull model manifest: file does not exist");
  const ok = await client.pull({ model: "qwen3" });
  t.same(ok, { status: "success" });
});
