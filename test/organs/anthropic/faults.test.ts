import t, { type Test } from "tap";
import anthropic from "../../../organs/anthropic/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { FAKE_KEY, closedUrl, startFakeAnthropic, type FakeAnthropic } from "../../fixtures/fake-anthropic.js";
import { context } from "./context.js";

// Every way a call can fail becomes a typed OrganFault naming the organ, the provider,
// the url and the fix — and never the key.

async function fake(t: Test): Promise<{ f: FakeAnthropic; spec: OrganSpec }> {
  const f = await startFakeAnthropic();
  t.teardown(() => f.close());
  return { f, spec: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY } };
}

const hi = { messages: [{ role: "user" as const, content: "hi" }] };
const think = (spec: OrganSpec, timeoutMs = 10_000) => anthropic.think!(spec, context({ timeoutMs })).think(hi);
const fault = async (p: Promise<unknown>): Promise<OrganFault> => {
  const err = await p.then(
    (v) => new Error(`expected a fault, got ${JSON.stringify(v)}`),
    (e) => e,
  );
  if (!(err instanceof OrganFault)) throw err;
  return err;
};
const prefix = (url: string) => `Organ 'thinking' (anthropic, claude-sonnet-4-5) at ${url}: `;

t.test("connection refused: unreachable, and the message says what the url should be", async (t) => {
  const url = await closedUrl();
  const err = await fault(think({ provider: "anthropic", model: "claude-sonnet-4-5", url, api_key: FAKE_KEY }));
  t.equal(err.kind, "unreachable");
  t.equal(err.transient, true);
  t.equal(err.message, `${prefix(url)}connection refused — nothing answers at that url; the Anthropic API is https://api.anthropic.com.`);
  t.match(err.target, { role: "thinking", provider: "anthropic", model: "claude-sonnet-4-5", url });
});

t.test("a host that does not resolve: dns, not retried", async (t) => {
  const url = "http://nonexistent.invalid";
  const started = Date.now();
  const err = await fault(think({ provider: "anthropic", model: "claude-sonnet-4-5", url, api_key: FAKE_KEY }));
  t.equal(err.kind, "dns");
  t.equal(err.message, `${prefix(url)}the host name does not resolve — check the url.`);
  t.ok(Date.now() - started < 400, "no backoff spent on a name that will not resolve");
});

t.test("no answer at all: a timeout after ctx.timeoutMs", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("hang");
  const started = Date.now();
  const err = await fault(think(spec, 300));
  t.equal(err.kind, "timeout");
  t.equal(err.transient, true);
  t.equal(err.message, `${prefix(f.url)}no answer within 0.3 s — the API may be overloaded; try again later.`);
  t.ok(Date.now() - started < 2000, "and not much later");
});

t.test("a stream that goes silent after its first event: a timeout naming the silence", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("stall");
  const err = await fault(think(spec, 300));
  t.equal(err.kind, "timeout");
  t.equal(err.message, `${prefix(f.url)}the stream went silent for 0.3 s — the API may be overloaded; try again later.`);
});

t.test("a long answer is no timeout as long as it keeps streaming", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ["a", " b", " c", " d", " e", " f"], delayMs: 120 });
  const r = await anthropic.think!(spec, context({ timeoutMs: 300 })).think(hi);
  t.equal(r.text, "a b c d e f", "600 ms in all, never 300 ms silent");
});

t.test("the connection drops mid-answer: unreachable", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("drop");
  const err = await fault(think(spec));
  t.equal(err.kind, "unreachable");
  t.match(err.message, `${prefix(f.url)}the connection dropped before the answer was complete`);
});

t.test("401: the key was refused, not retried", async (t) => {
  const { f, spec } = await fake(t);
  const err = await fault(think({ ...spec, api_key: "sk-ant-api03-wrong-key-99999" }));
  t.equal(err.kind, "auth");
  t.equal(err.httpStatus, 401);
  t.equal(err.transient, false);
  t.equal(err.message, `${prefix(f.url)}401 from ${new URL(f.url).host}: the key was refused — check the api_key (invalid x-api-key).`);
  t.equal(f.messages().length, 1);
});

t.test("403 is the key's fault too", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 403, message: "Your API key does not have permission to use the specified resource." });
  const err = await fault(think(spec));
  t.equal(err.kind, "auth");
  t.match(err.message, "403 from");
});

t.test("404 for the model: names it and where to look", async (t) => {
  const { f, spec } = await fake(t);
  const err = await fault(think({ ...spec, model: "claude-nope" }));
  t.equal(err.kind, "model");
  t.equal(err.message, `Organ 'thinking' (anthropic, claude-nope) at ${f.url}: 404 from ${new URL(f.url).host}: model 'claude-nope' not found — see the model list in the Anthropic console (model: claude-nope).`);
});

t.test("429 with retry-after: waits as told, then succeeds", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "1" });
  f.reply("after the wait");
  const started = Date.now();
  const r = await think(spec);
  const waited = Date.now() - started;
  t.equal(r.text, "after the wait");
  t.same(f.messages().map((q) => q.status), [429, 200]);
  t.ok(waited >= 950, `honoured Retry-After: 1 (waited ${waited} ms)`);
});

t.test("529 overloaded: retried, then succeeds", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 529, retryAfter: "0" });
  const r = await think(spec);
  t.equal(r.text, "Hello.");
  t.same(f.messages().map((q) => q.status), [529, 200]);
});

t.test("500 every time: retried a bounded number of times, then a server fault", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 500, retryAfter: "0" }, { times: 10 });
  const err = await fault(think(spec));
  t.equal(err.kind, "server");
  t.equal(err.transient, true, "the mind may try again later");
  t.equal(err.httpStatus, 500);
  t.equal(err.message, `${prefix(f.url)}500 from ${new URL(f.url).host}: the provider failed, still failing after retrying (Internal server error).`);
  t.equal(f.messages().length, 3, "three attempts in all");
});

t.test("429 every time: a rate fault after the retries", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "0" }, { times: 10 });
  const err = await fault(think(spec));
  t.equal(err.kind, "rate");
  t.match(err.message, "429 from");
  t.match(err.message, "too many requests");
});

t.test("an error event mid-stream: a transient server fault quoting the API", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ streamError: "overloaded_error" });
  const err = await fault(think(spec));
  t.equal(err.kind, "server");
  t.equal(err.transient, true);
  t.equal(err.message, `${prefix(f.url)}the answer broke off with an error from the API: overloaded_error (Overloaded).`);
  t.equal(f.messages().length, 1, "a broken stream is not silently asked again: she may have said part of it");
});

t.test("an event whose data is not JSON: malformed", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("malformed");
  const err = await fault(think(spec));
  t.equal(err.kind, "malformed");
  t.equal(err.transient, false);
  t.match(err.message, `${prefix(f.url)}streamed a 'message_start' event whose data is not JSON`);
});

t.test("a server that answers JSON instead of an event stream: malformed, naming what came", async (t) => {
  const { f, spec } = await fake(t);
  // A 200 with a JSON body, as from a proxy that ignores `stream`.
  f.fail({ status: 200, message: "not a stream" });
  const err = await fault(think(spec));
  t.equal(err.kind, "malformed");
  t.match(err.message, "answered /v1/messages with application/json instead of an event stream");
});

t.test("the key never appears in a fault, even when the provider echoes it", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 401, message: `invalid x-api-key: ${FAKE_KEY}` });
  const a = await fault(think(spec));
  f.fail({ status: 400, message: `bad request for key ${FAKE_KEY}` });
  const b = await fault(think(spec));
  f.fail({ streamError: "invalid_request_error", message: `key ${FAKE_KEY} is wrong` });
  const c = await fault(think(spec));
  for (const e of [a, b, c]) {
    t.notMatch(e.message, FAKE_KEY);
    t.notMatch(JSON.stringify(e), FAKE_KEY);
    t.match(e.message, "***", "scrubbed where it was");
  }
  t.equal(b.kind, "rejected");
  t.equal(c.kind, "rejected");
});
