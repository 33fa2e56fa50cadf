import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import openai from "../../../organs/openai/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { closedUrl, startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";
import { context, type RecordingContext } from "./context.js";

const KEY = "sk-test-faults-0123456789abcdef";
const hi = { messages: [{ role: "user" as const, content: "hi" }] };

async function fake(t: Test): Promise<{ f: FakeOpenAI; spec: OrganSpec }> {
  const f = await startFakeOpenAI({ apiKey: KEY });
  t.teardown(() => f.close());
  return { f, spec: { provider: "openai", model: "gpt-4o-mini", url: `${f.url}/v1`, api_key: KEY } };
}

/** Runs a think that must fail; checks it is an OrganFault that names the organ and holds no key. */
async function fault(t: Test, spec: OrganSpec, ctx: RecordingContext, req: Parameters<ReturnType<NonNullable<typeof openai.think>>["think"]>[0] = hi): Promise<OrganFault> {
  const err = await openai.think!(spec, ctx).think(req).then(
    () => null,
    (e) => e,
  );
  t.ok(err instanceof OrganFault, `an OrganFault, got ${err?.name}`);
  t.match(err.message, new RegExp(`^Organ 'thinking' \\(openai, ${spec.model}\\) at `));
  t.notMatch(err.message, KEY, "the key is not in the message");
  t.notMatch(JSON.stringify(ctx.logs), KEY, "nor in any log line");
  return err;
}

t.test("connection refused: unreachable, transient, says to start the server", async (t) => {
  const url = await closedUrl();
  const err = await fault(t, { provider: "openai", model: "gpt-4o-mini", url, api_key: KEY }, context());
  t.equal(err.kind, "unreachable");
  t.equal(err.transient, true);
  t.equal(err.target.url, url);
  t.match(err.message, /connection refused — is the server running/);
});

t.test("DNS failure: a host that does not resolve", async (t) => {
  const err = await fault(t, { provider: "openai", model: "gpt-4o-mini", url: "http://nonexistent.invalid/v1", api_key: KEY }, context());
  t.equal(err.kind, "dns");
  t.match(err.message, /does not resolve — check the url/);
});

t.test("timeout: a server that never answers, with a small timeoutMs", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("hang", { times: 5 });
  const started = Date.now();
  const err = await fault(t, spec, context({ timeoutMs: 150 }));
  t.equal(err.kind, "timeout");
  t.match(err.message, /no answer within 0\.15 s/);
  t.ok(Date.now() - started < 5_000, "bounded");
  t.equal(f.requests.length, 3, "retried a bounded number of times");
});

t.test("timeout mid-stream: headers and a first delta, then silence", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("one two three four");
  f.fail("stall");
  const deltas: string[] = [];
  const err = await fault(t, spec, context({ timeoutMs: 300 }), { ...hi, onDelta: (d) => deltas.push(d) });
  t.equal(err.kind, "timeout");
  t.match(err.message, /did not finish within 0\.3 s/);
  t.same(deltas, ["one "], "the delta that came before the silence was handed on");
});

t.test("connection dropped mid-answer: unreachable, not a crash", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("drop");
  const err = await fault(t, spec, context(), { ...hi, onDelta: () => {} });
  t.equal(err.kind, "unreachable");
  t.equal(f.requests.length, 1, "a stream cut after it began is not silently re-asked");
  t.match(err.message, /dropped before the answer was complete/);
  f.fail("drop");
  const plain = await fault(t, spec, context());
  t.equal(plain.kind, "unreachable", "also for a non-streamed answer cut in half");
});

t.test("401 wrong key: auth fault naming the host, never the key", async (t) => {
  const { f, spec } = await fake(t);
  const wrong = "sk-wrong-key-abcdefghijklmnop";
  const ctx = context();
  const err = await fault(t, { ...spec, api_key: wrong }, ctx);
  t.equal(err.kind, "auth");
  t.equal(err.httpStatus, 401);
  t.equal(err.transient, false);
  t.match(err.message, `401 from ${new URL(f.url).host}: the key was refused`);
  t.notMatch(err.message, wrong, "the wrong key is not shown either");
  t.equal(f.requests.length, 1, "not retried");
});

t.test("401 no key", async (t) => {
  const { spec } = await fake(t);
  const err = await fault(t, { ...spec, api_key: undefined }, context());
  t.equal(err.kind, "auth");
  t.match(err.message, /didn't provide an API key/);
});

t.test("404 unknown model: model fault", async (t) => {
  const { spec } = await fake(t);
  const err = await fault(t, { ...spec, model: "gpt-7" }, context());
  t.equal(err.kind, "model");
  t.equal(err.httpStatus, 404);
  t.match(err.message, /model 'gpt-7' not found.*does not exist/);
});

t.test("429 with Retry-After, then success", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "1" });
  f.reply("after the wait");
  const started = Date.now();
  const r = await openai.think!(spec, context()).think(hi);
  t.equal(r.text, "after the wait");
  t.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms as Retry-After asked`);
  t.same(f.requests.map((r) => r.status), [429, 200]);
});

t.test("429 that never ends: rate fault after bounded retries", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "0" }, { times: 10 });
  const err = await fault(t, spec, context());
  t.equal(err.kind, "rate");
  t.equal(err.transient, true);
  t.equal(f.requests.length, 3);
});

t.test("500 retried, then a server fault", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 500 }, { times: 10 });
  const err = await fault(t, spec, context());
  t.equal(err.kind, "server");
  t.equal(err.httpStatus, 500);
  t.match(err.message, /500 from .*still failing after retrying.*Sorry about that/);
  t.same(f.requests.map((r) => r.status), [500, 500, 500]);
});

t.test("500 once, then the answer", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 503 });
  f.reply("recovered");
  t.equal((await openai.think!(spec, context()).think(hi)).text, "recovered");
});

t.test("malformed JSON body: malformed fault", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("malformed");
  const err = await fault(t, spec, context());
  t.equal(err.kind, "malformed");
  t.match(err.message, /not JSON/);
});

t.test("a 200 that is JSON but no chat completion: malformed, naming what is missing", async (t) => {
  // Something else answering on that port: JSON, but not OpenAI's shape.
  const other = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => other.close(() => r())));
  const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1`;
  const err = await fault(t, { provider: "openai", model: "gpt-4o-mini", url, api_key: KEY }, context());
  t.equal(err.kind, "malformed");
  t.match(err.message, /without choices\[0\]\.message/);
  const streamed = await fault(t, { provider: "openai", model: "gpt-4o-mini", url, api_key: KEY }, context(), { ...hi, onDelta: () => {} });
  t.equal(streamed.kind, "malformed", "a 'stream' with no chunk in it");
});

t.test("a key echoed back by a server is scrubbed from the fault", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 400, message: `Bad request for key ${KEY}` });
  const err = await fault(t, spec, context());
  t.equal(err.kind, "rejected");
  t.match(err.message, /Bad request for key \*\*\*/);
});

t.test("see and transcribe map faults the same way", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 401, message: "Incorrect API key provided" }, { times: 2 });
  const a = await openai.see!(spec, context({ role: "vision" })).see(Buffer.from("x"), "image/png", "?").catch((e) => e);
  const b = await openai.transcribe!({ ...spec, model: "whisper-1" }, context({ role: "hearing" })).transcribe(Buffer.from("x"), "a.wav").catch((e) => e);
  t.equal(a.kind, "auth");
  t.match(a.message, /^Organ 'vision'/);
  t.equal(b.kind, "auth");
  t.match(b.message, /^Organ 'hearing'/);
});

t.test("the caller's abort passes through as an abort", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("hang");
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stopped by the person")), 50);
  const err = await openai.think!(spec, context({ signal: ac.signal })).think(hi).catch((e) => e);
  t.notOk(err instanceof OrganFault);
  t.match(String(err), /stopped by the person/);
});
