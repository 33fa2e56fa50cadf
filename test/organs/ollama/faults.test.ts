import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import ollama from "../../../organs/ollama/index.js";
import { OrganFault, type OrganSpec, type ThinkRequest } from "../../../core/api/index.js";
import { startFakeOllama, type FakeOllama } from "../../fixtures/fake-ollama.js";
import { closedUrl, context, type RecordingContext } from "./context.js";

// Every way a call to Ollama can go wrong, each a typed OrganFault naming the organ, the
// provider, the url and what to do.

const hi: ThinkRequest = { messages: [{ role: "user", content: "hi" }] };
// Every call streams, so a listener for deltas changes nothing in the protocol; some tests pass one to see what came before a fault.
const streamed = (deltas: string[]): ThinkRequest => ({ ...hi, onDelta: (d) => deltas.push(d) });

async function fake(t: Test): Promise<{ f: FakeOllama; spec: OrganSpec }> {
  const f = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => f.close());
  return { f, spec: { provider: "ollama", model: "llama3.2", url: f.url } };
}

/** Runs a think that must fail; checks it is an OrganFault that names the organ. */
async function fault(t: Test, spec: OrganSpec, ctx: RecordingContext = context(), req: ThinkRequest = hi): Promise<OrganFault> {
  const err = await ollama.think!(spec, ctx).think(req).then(
    () => null,
    (e) => e,
  );
  t.ok(err instanceof OrganFault, `an OrganFault, got ${err?.name}: ${err?.message}`);
  t.match(err.message, `Organ 'thinking' (ollama, ${spec.model}) at ${spec.url}: `);
  t.equal(err.status, 400, "rendered as a 400");
  return err;
}

const chats = (f: FakeOllama) => f.requests.filter((r) => r.path === "/api/chat");

t.test("connection refused: unreachable, transient, says to start Ollama", async (t) => {
  const url = await closedUrl();
  const err = await fault(t, { provider: "ollama", model: "llama3.2", url });
  t.equal(err.kind, "unreachable");
  t.equal(err.transient, true);
  t.equal(err.httpStatus, null);
  t.same(err.target, { role: "thinking", provider: "ollama", model: "llama3.2", url });
  t.equal(err.message, `Organ 'thinking' (ollama, llama3.2) at ${url}: connection refused — start Ollama (\`ollama serve\`) or fix the url.`);
});

t.test("DNS failure: a host that does not resolve", async (t) => {
  const err = await fault(t, { provider: "ollama", model: "llama3.2", url: "http://nonexistent.invalid:11434" });
  t.equal(err.kind, "dns");
  t.equal(err.transient, true);
  t.match(err.message, /does not resolve — check the url/);
});

t.test("timeout: a server that never answers within the organ timeout", async (t) => {
  const { f, spec } = await fake(t);
  f.hang(5);
  const started = Date.now();
  const err = await fault(t, spec, context({ timeoutMs: 200 }));
  t.equal(err.kind, "timeout");
  t.equal(err.transient, true);
  t.match(err.message, /no answer within 0\.2 s — is the model still loading/);
  t.ok(Date.now() - started < 2_000, "bounded");
  t.equal(chats(f).length, 1, "a model that is still loading is not asked again and again");
  const streamedErr = await fault(t, spec, context({ timeoutMs: 200 }), streamed([]));
  t.equal(streamedErr.kind, "timeout", "the same with a listener for deltas");
});

t.test("timeout mid-stream: a first chunk, then silence", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("one two three four");
  f.fail("stall");
  const deltas: string[] = [];
  const err = await fault(t, spec, context({ timeoutMs: 300 }), streamed(deltas));
  t.equal(err.kind, "timeout");
  t.match(err.message, /the stream went silent for 0\.3 s/);
  t.same(deltas, ["one "], "the delta that came before the silence was handed on");
  t.equal(chats(f).length, 1, "a stream cut after it began is not silently re-asked");
});

t.test("a stream longer than the timeout is fine while it keeps talking", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ["a", "b", "c", "d", "e", "f"], delayMs: 100 });
  const deltas: string[] = [];
  const started = Date.now();
  const r = await ollama.think!(spec, context({ timeoutMs: 300 })).think(streamed(deltas));
  t.ok(Date.now() - started > 450, "the whole answer took longer than the timeout");
  t.equal(r.text, "abcdef");
});

t.test("connection dropped mid-answer: unreachable", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("drop");
  const deltas: string[] = [];
  const err = await fault(t, spec, context(), streamed(deltas));
  t.equal(err.kind, "unreachable");
  t.match(err.message, /the connection dropped before the answer was complete/);
  t.same(deltas, ["You "], "the delta before the cut was handed on");
  t.equal(chats(f).length, 1, "an answer cut after it began is not silently re-asked");
});

t.test("404: the model is not on the server — run `ollama pull`", async (t) => {
  const { f, spec } = await fake(t);
  const missing = { ...spec, model: "mistral" };
  const err = await fault(t, missing);
  t.equal(err.kind, "model");
  t.equal(err.transient, false);
  t.equal(err.httpStatus, 404);
  t.match(err.message, `404 from ${new URL(f.url).host}: model 'mistral' not found — run \`ollama pull mistral\``);
  t.match(err.message, /model "mistral" not found, try pulling it first/, "Ollama's own words are kept");
  t.equal(chats(f).length, 1, "a 404 is not retried");
  const streamedErr = await fault(t, missing, context(), streamed([]));
  t.equal(streamedErr.kind, "model");
});

t.test("429 with Retry-After: waited as told, then the answer", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "1" });
  f.reply("after the wait");
  const started = Date.now();
  const r = await ollama.think!(spec, context()).think(hi);
  const took = Date.now() - started;
  t.equal(r.text, "after the wait");
  t.ok(took >= 950, `waited the Retry-After second (${took} ms)`);
  t.same(chats(f).map((q) => q.status), [429, 200]);
});

t.test("429 every time: a rate fault after the bounded retries", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 429, retryAfter: "0", times: 3 });
  const err = await fault(t, spec);
  t.equal(err.kind, "rate");
  t.equal(err.httpStatus, 429);
  t.equal(chats(f).length, 3);
});

t.test("500: retried with backoff, then a server fault", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 500, times: 3 });
  const started = Date.now();
  const err = await fault(t, spec);
  t.equal(err.kind, "server");
  t.equal(err.transient, true);
  t.equal(err.httpStatus, 500);
  t.match(err.message, /500 from .*: the provider failed, still failing after retrying \(llama runner process has terminated: exit status 2\)/);
  t.equal(chats(f).length, 3, "three attempts in all");
  t.ok(Date.now() - started >= 1_400, "with backoff between them (0.5 s, then 1 s)");
});

t.test("500 once: the retry answers", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 500 });
  f.reply("recovered");
  const r = await ollama.think!(spec, context()).think(hi);
  t.equal(r.text, "recovered");
  t.same(chats(f).map((q) => q.status), [500, 200]);
});

t.test("malformed body: a line that is not JSON", async (t) => {
  const { f, spec } = await fake(t);
  f.malformed();
  const err = await fault(t, spec);
  t.equal(err.kind, "malformed");
  t.equal(err.transient, false);
  t.match(err.message, /streamed \/api\/chat a line that is not JSON \("<html>Bad Gateway<\/html>"\) — is the url an Ollama server/);
});

t.test("JSON of the wrong shape: no done chunk ever", async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: [{ message: { content: "I am OpenAI-shaped" } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const err = await fault(t, { provider: "ollama", model: "llama3.2", url });
  t.equal(err.kind, "malformed");
  t.match(err.message, /the \/api\/chat stream ended before its final chunk \(done: true\)/);
});

t.test("an {error} line inside the stream: a server fault, the deltas before it handed on", async (t) => {
  const { f, spec } = await fake(t);
  f.reply({ chunks: ["Half an ", "answer"], error: "an error was encountered while running the model: CUDA error: out of memory" });
  const deltas: string[] = [];
  const err = await fault(t, spec, context(), streamed(deltas));
  t.equal(err.kind, "server");
  t.match(err.message, /the answer broke off with an error from Ollama \(an error was encountered while running the model: CUDA error: out of memory\)/);
  t.same(deltas, ["Half an ", "answer"]);
});

t.test("an empty stream: malformed, saying the model may have failed to load", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("empty");
  const err = await fault(t, spec, context(), streamed([]));
  t.equal(err.kind, "malformed");
  t.match(err.message, /an empty stream — the model may have failed to load/);
});

t.test("a caller's abort passes through as an abort, not a fault", async (t) => {
  const { f, spec } = await fake(t);
  f.hang(1);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("persona stopped")), 100);
  const err = await ollama.think!(spec, context({ signal: ac.signal })).think(hi).catch((e) => e);
  t.notOk(err instanceof OrganFault);
  t.equal(err.message, "persona stopped");
  f.hang(1);
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(new Error("persona stopped again")), 100);
  const err2 = await ollama.think!(spec, context({ signal: ac2.signal })).think(streamed([])).catch((e) => e);
  t.notOk(err2 instanceof OrganFault, "streamed too");
  t.equal(err2.message, "persona stopped again");
});

t.test("a key given for a proxied Ollama is sent as a bearer token and never shown", async (t) => {
  const { f, spec } = await fake(t);
  const key = "proxy-secret-0f9e8d7c6b5a";
  const ctx = context();
  const ok = await ollama.think!({ ...spec, api_key: key }, ctx).think(hi);
  t.type(ok.text, "string");
  t.equal(chats(f)[0]!.headers.authorization, `Bearer ${key}`);
  f.fail({ status: 401, error: `invalid key ${key}` });
  const err = await fault(t, { ...spec, api_key: key }, ctx);
  t.equal(err.kind, "auth");
  t.notMatch(err.message, key, "the key is scrubbed from the provider's words");
  t.notMatch(JSON.stringify(ctx.logs), key);
});
