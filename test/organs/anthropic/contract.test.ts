import t, { type Test } from "tap";
import Anthropic from "@anthropic-ai/sdk";
import { FAKE_KEY, startFakeAnthropic, type FakeAnthropic } from "../../fixtures/fake-anthropic.js";

// The fake must answer the official client (@anthropic-ai/sdk 1.14.0, API version
// 2026-10-21, the key sent as `Authorization: Bearer`) the way Anthropic does, and refuse
// what Anthropic refuses with errors the client understands; otherwise tests against it
// prove nothing about the real service.

async function setup(t: Test, apiKey = FAKE_KEY, defaultHeaders?: Record<string, string>): Promise<{ fake: FakeAnthropic; client: Anthropic }> {
  const fake = await startFakeAnthropic();
  t.teardown(() => fake.close());
  return { fake, client: new Anthropic({ baseURL: fake.url, apiKey, maxRetries: 0, defaultHeaders }) };
}

const hello = [{ role: "user" as const, content: "Hello, Claude" }];

t.test("messages.create, not streamed: text, stop reason and usage as the SDK types them", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply("Hi, Ada.");
  const m = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 256, messages: hello });
  t.equal(m.type, "message");
  t.equal(m.role, "assistant");
  t.equal(m.model, "claude-sonnet-4-5");
  t.same(m.content, [{ type: "text", text: "Hi, Ada." }]);
  t.equal(m.stop_reason, "end_turn");
  t.type(m.usage.input_tokens, "number");
  t.equal(m.usage.output_tokens, 2);
  const q = fake.messages()[0]!;
  t.equal(q.headers.authorization, `Bearer ${FAKE_KEY}`, "the SDK sends the key as a bearer token");
  t.equal(q.headers["x-api-key"], undefined);
  t.equal(q.headers["anthropic-version"], "2026-10-21");
});

t.test("messages.create with a forced tool: a tool_use block whose input is the answer", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ tool: { say: "hi", mood: "glad" } });
  const m = await client.messages.create({
    model: "claude-sonnet-4-5",
    max_tokens: 256,
    messages: hello,
    tools: [{ name: "answer", description: "the answer", input_schema: { type: "object", properties: { say: { type: "string" }, mood: { type: "string" } } } }],
    tool_choice: { type: "tool", name: "answer" },
  });
  t.equal(m.stop_reason, "tool_use");
  t.equal(m.content.length, 1);
  const block = m.content[0]!;
  t.equal(block.type, "tool_use");
  if (block.type === "tool_use") {
    t.equal(block.name, "answer");
    t.same(block.input, { say: "hi", mood: "glad" });
  }
});

t.test("messages.stream: events in order, finalText and finalMessage", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ chunks: ["Once", " upon", " a time."] });
  const stream = client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 256, system: [{ type: "text", text: "Be kind.", cache_control: { type: "ephemeral" } }], messages: hello });
  const deltas: string[] = [];
  stream.on("text", (d) => deltas.push(d));
  t.equal(await stream.finalText(), "Once upon a time.");
  t.same(deltas, ["Once", " upon", " a time."]);
  const final = await stream.finalMessage();
  t.equal(final.stop_reason, "end_turn");
  t.equal(final.usage.output_tokens, fake.messages()[0]!.usage!.output_tokens, "message_delta's usage folded in");
  t.equal(fake.messages()[0]!.body.stream, true);
});

t.test("messages.stream with a forced tool: the input_json pieces make the input", async (t) => {
  const { fake, client } = await setup(t);
  fake.reply({ toolJson: ['{"items": ["te', 'a", "cake"]}'] });
  const stream = client.messages.stream({
    model: "claude-haiku-4-5",
    max_tokens: 256,
    messages: hello,
    tools: [{ name: "answer", input_schema: { type: "object", properties: { items: { type: "array", items: { type: "string" } } } } }],
    tool_choice: { type: "tool", name: "answer" },
  });
  const final = await stream.finalMessage();
  const block = final.content[0]!;
  t.equal(block.type, "tool_use");
  if (block.type === "tool_use") t.same(block.input, { items: ["tea", "cake"] });
});

t.test("an error event mid-stream reaches the SDK as an API error", async (t) => {
  const { fake, client } = await setup(t);
  fake.fail({ streamError: "overloaded_error" });
  const err = await client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 64, messages: hello }).finalText().catch((e) => e);
  t.ok(err instanceof Anthropic.APIError, String(err));
  t.match(String(err.message), /Overloaded/);
});

t.test("models.retrieve and models.list (paged)", async (t) => {
  const { client } = await setup(t);
  const m = await client.models.retrieve("claude-opus-4-8");
  t.equal(m.type, "model");
  t.equal(m.id, "claude-opus-4-8");
  t.equal(m.lifecycle, "active");
  t.equal(m.capabilities?.image_input.supported, true);
  const ids: string[] = [];
  for await (const x of client.models.list({ limit: 1 })) ids.push(x.id);
  t.same(ids, ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-8"], "every page followed through after_id");
  const missing = await client.models.retrieve("claude-nope").catch((e) => e);
  t.ok(missing instanceof Anthropic.NotFoundError);
  t.equal(missing.type, "not_found_error");
});

t.test("a wrong key: AuthenticationError; x-api-key wins over a bearer token when both come", async (t) => {
  const { client } = await setup(t, "sk-ant-api03-wrong");
  const err = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello }).catch((e) => e);
  t.ok(err instanceof Anthropic.AuthenticationError, String(err));
  t.equal(err.status, 401);
  t.equal(err.type, "authentication_error");
  t.equal(err.apiMessage, "invalid x-api-key");
  const both = await setup(t, "sk-ant-api03-wrong", { "x-api-key": FAKE_KEY });
  const m = await both.client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello });
  t.equal(m.type, "message");
});

t.test("requests the API refuses are refused, as errors the SDK understands", async (t) => {
  const { client } = await setup(t);
  const refuse = async (params: unknown, pattern: RegExp | string, Kind: abstract new (...args: never[]) => Error = Anthropic.BadRequestError) => {
    // An explicit timeout keeps the SDK from refusing a large max_tokens itself, unstreamed.
    const err = await client.messages.create(params as Anthropic.MessageCreateParamsNonStreaming, { timeout: 10_000 }).catch((e) => e);
    t.ok(err instanceof Kind, `${String(err)} is a ${Kind.name}`);
    t.match(err.apiMessage, pattern);
  };
  await refuse({ model: "claude-sonnet-4-5", messages: hello }, "max_tokens: Field required");
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16 }, "messages: Field required");
  await refuse({ max_tokens: 16, messages: hello }, "model: Field required");
  await refuse({ model: "claude-nope", max_tokens: 16, messages: hello }, "model: claude-nope", Anthropic.NotFoundError);
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, temperature: 0.5, messages: hello }, "temperature: Extra inputs are not permitted");
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "assistant", content: "Hi" }, { role: "user", content: "x" }] }, 'first message must use the "user" role');
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "x" }, { role: "system", content: "be brief" }] }, "role 'system' is not supported on this model");
  await refuse({ model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: "x" }, { role: "assistant", content: "y" }, { role: "system", content: "be brief" }] }, "a system message must immediately follow a user message");
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "" }] }, "all messages must have non-empty content");
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: [{ type: "text", text: "" }] }] }, "text content blocks must be non-empty");
  await refuse(
    { model: "claude-sonnet-4-5", max_tokens: 16, messages: hello, tools: [{ name: "a", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "b" } },
    "Tool 'b' not found in provided tools",
  );
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello, tool_choice: { type: "tool", name: "b" } }, "tool_choice may only be specified while providing tools");
  const five = ["a", "b", "c", "d", "e"].map((text) => ({ type: "text", text, cache_control: { type: "ephemeral" } }));
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 16, system: five, messages: hello }, "A maximum of 4 blocks with cache_control may be provided. Found 5.");
  await refuse({ model: "claude-sonnet-4-5", max_tokens: 100000, messages: hello }, "max_tokens: 100000 > 64000");
});

t.test("a mid-conversation system message after a user turn is taken by a model that supports it", async (t) => {
  const { client } = await setup(t);
  const m = await client.messages.create({ model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: "x" }, { role: "system", content: "be brief" }] });
  t.equal(m.type, "message");
});

t.test("the headers the API requires: no version is a 400, a 2023-06-01 request with x-api-key is fine", async (t) => {
  const { fake } = await setup(t);
  const post = (headers: Record<string, string>) =>
    fetch(`${fake.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello }) });
  const none = await post({ "x-api-key": FAKE_KEY });
  t.equal(none.status, 400);
  t.same(await none.json(), { type: "error", error: { type: "invalid_request_error", message: "anthropic-version: header is required" }, request_id: "req_fake0" });
  const noKey = await post({ "anthropic-version": "2023-06-01" });
  t.equal(noKey.status, 401);
  t.same(((await noKey.json()) as { error: unknown }).error, { type: "authentication_error", message: "x-api-key header is required" });
  const ok = await post({ "x-api-key": FAKE_KEY, "anthropic-version": "2023-06-01" });
  t.equal(ok.status, 200);
  t.equal(((await ok.json()) as { content: { text: string }[] }).content[0]!.text, "Hello.");
  const withTemp = await fetch(`${fake.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": FAKE_KEY, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, temperature: 0.2, messages: hello }),
  });
  t.equal(withTemp.status, 200, "sampling parameters are still fine under 2023-06-01");
});

t.test("429 and 529 reach the SDK as its RateLimitError and OverloadedError", async (t) => {
  const { fake, client } = await setup(t);
  fake.fail({ status: 429, retryAfter: "1" });
  const rate = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello }).catch((e) => e);
  t.ok(rate instanceof Anthropic.RateLimitError, String(rate));
  t.equal(rate.headers.get("retry-after"), "1");
  fake.fail({ status: 529 });
  const over = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: hello }).catch((e) => e);
  t.ok(over instanceof Anthropic.InternalServerError, String(over));
  t.equal(over.status, 529);
  t.equal(over.type, "overloaded_error");
});
