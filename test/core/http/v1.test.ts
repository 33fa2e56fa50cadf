import OpenAI, { BadRequestError, ConflictError, NotFoundError } from "openai";
import t, { type Test } from "tap";
import { decide, isDecision, lastWords, living } from "../../mind/helpers.js";

// The OpenAI-compatible door, through the official SDK unchanged: she is a model, she is
// talked to, streaming and not, and the daemon's errors come out as the SDK's classes.

async function client(t: Test) {
  const her = await living(t);
  her.ollama.brain = (req) => (isDecision(req) ? decide(`You said "${lastWords(req)}". I am listening.`) : undefined);
  const openai = new OpenAI({ baseURL: `${her.d.url}/v1`, apiKey: "not-needed-on-loopback", maxRetries: 0, timeout: 20_000 });
  return { ...her, openai };
}

t.test("she is a model: listed, retrieved by id and by name", async (t) => {
  const { openai, id } = await client(t);
  const list = [];
  for await (const m of openai.models.list()) list.push(m);
  t.match(list, [{ id, object: "model", owned_by: "eternego", name: "Ada", created: Number }]);
  t.match(await openai.models.retrieve(id), { id, name: "Ada" });
  t.match(await openai.models.retrieve("ada"), { id }, "her name, in any case, is an alias");
  t.type(await openai.models.retrieve("nobody").catch((e) => e), NotFoundError, "an unknown one: the SDK's NotFoundError");
});

t.test("a completion: the last user message is read by her on the api channel; usage is her organ's count", async (t) => {
  const { openai, id, d, ollama } = await client(t);
  const sentBefore = ollama.sent.length;
  const done = await openai.chat.completions.create({
    model: "Ada",
    messages: [
      { role: "system", content: "You are a test client." },
      { role: "user", content: "an earlier thing the client remembers" },
      { role: "assistant", content: "an earlier answer" },
      { role: "user", content: [{ type: "text", text: "hello " }, { type: "text", text: "from the SDK" }] },
    ],
  });
  t.match(done, { object: "chat.completion", model: id, id: /^chatcmpl-/, created: Number });
  t.equal(done.choices[0]!.message.content, `You said "hello from the SDK". I am listening.`);
  t.equal(done.choices[0]!.finish_reason, "stop");
  const calls = ollama.sent.slice(sentBefore);
  t.same(done.usage, {
    prompt_tokens: calls.reduce((n, c) => n + c.prompt_eval_count, 0),
    completion_tokens: calls.reduce((n, c) => n + c.eval_count, 0),
    total_tokens: calls.reduce((n, c) => n + c.prompt_eval_count + c.eval_count, 0),
  }, "usage is what her thinking organ counted");
  const conversation = (await d.api("GET", `/api/persona/${id}/conversation`)).body.messages;
  t.match(conversation.slice(-2), [
    { from: "person", channel: "api", text: "hello from the SDK" },
    { from: "persona", channel: "api", text: done.choices[0]!.message.content },
  ], "the message and her answer are in her conversation, on the api channel");
  t.notOk(conversation.some((e: { text: string }) => e.text.includes("earlier thing")), "earlier messages are the client's context, not new messages to her");

  const alone = await openai.chat.completions.create({ model: "", messages: [{ role: "user", content: "no model named" }] } as never);
  t.match(alone, { model: id }, "with one running persona, model may be left out");
});

t.test("streaming: her words as chunks while she speaks, a final chunk, usage when asked, [DONE]", async (t) => {
  const { openai, id, ollama } = await client(t);
  ollama.brain = (req) => (isDecision(req) ? { chunks: ['{"say": "One, ', "two, ", 'three.", "tools": [], "task": ""}'] } : undefined);
  const stream = await openai.chat.completions.create({ model: id, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "count" }] });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  t.equal(chunks[0]!.choices[0]!.delta.role, "assistant", "the first chunk says who speaks");
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  t.equal(text, "One, two, three.", "the chunks add up to what she said");
  t.ok(chunks.filter((c) => c.choices[0]?.delta.content).length >= 2, `her words came in pieces (${chunks.length} chunks)`);
  const last = chunks.findLast((c) => c.choices.length);
  t.equal(last!.choices[0]!.finish_reason, "stop");
  t.match(chunks.at(-1), { choices: [], usage: { prompt_tokens: Number, completion_tokens: Number, total_tokens: Number } }, "usage at the end, as asked");
  t.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === id));
});

t.test("errors in OpenAI's shape, as the SDK's classes: 404, 409, 400 (no user message, bad body, a shared name)", async (t) => {
  const { openai, id, d, ollama } = await client(t);
  const unknown = await openai.chat.completions.create({ model: "nobody", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  t.type(unknown, NotFoundError);
  t.equal(unknown.code, "model_not_found");
  const noUser = await openai.chat.completions.create({ model: id, messages: [{ role: "system", content: "only a system message" }] }).catch((e) => e);
  t.type(noUser, BadRequestError);
  t.match(noUser.message, /no user message/);
  const badBody = await openai.chat.completions.create({ model: id, messages: [] }).catch((e) => e);
  t.type(badBody, BadRequestError, "a body that fails validation is a 400, as OpenAI's is");
  t.equal(badBody.param, "messages");
  t.equal((await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).status, 201);
  const shared = await openai.chat.completions.create({ model: "Ada", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  t.type(shared, BadRequestError);
  t.match(shared.message, new RegExp(`2 personas are called 'Ada': .*${id}`));
  t.equal((await d.api("POST", `/api/persona/${id}/stop`)).status, 200);
  const resting = await openai.chat.completions.create({ model: id, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  t.type(resting, ConflictError, "a resting persona: 409");
  t.match(resting.message, /is not running/);
});
