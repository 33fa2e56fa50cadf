import t, { type Test } from "tap";
import anthropic from "../../../organs/anthropic/index.js";
import { OrganFault, type OrganRole, type OrganSpec } from "../../../core/api/index.js";
import { FAKE_KEY, closedUrl, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from "../../fixtures/fake-anthropic.js";
import { context } from "./context.js";

async function fake(t: Test, opts: FakeAnthropicOptions = {}): Promise<{ f: FakeAnthropic; spec: OrganSpec }> {
  const f = await startFakeAnthropic(opts);
  t.teardown(() => f.close());
  return { f, spec: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY } };
}

const prepare = (spec: OrganSpec, role: OrganRole = "thinking") => {
  const ctx = context({ role });
  return { ctx, done: anthropic.prepare(spec, ctx) };
};
const fault = async (p: Promise<unknown>): Promise<OrganFault> => {
  const err = await p.then(() => new Error("expected a fault"), (e) => e);
  if (!(err instanceof OrganFault)) throw err;
  return err;
};

t.test("the descriptor: hosted, keyed, thinking/vision/frontier, no hearing", async (t) => {
  t.equal(anthropic.kind, "model");
  t.equal(anthropic.name, "anthropic");
  t.equal(anthropic.defaultUrl, "https://api.anthropic.com");
  t.equal(anthropic.needsKey, true);
  t.same([...anthropic.roles], ["thinking", "vision", "frontier"]);
  t.type(anthropic.think, "function");
  t.type(anthropic.see, "function");
  t.equal(anthropic.transcribe, undefined, "Anthropic has no speech-to-text");
  t.ok(Object.isFrozen(anthropic));
});

t.test("a good key and a present model: one GET /v1/models/{model}, and nothing else", async (t) => {
  const { f, spec } = await fake(t);
  const { ctx, done } = prepare(spec);
  await done;
  t.same(f.requests.map((q) => `${q.method} ${q.path} ${q.status}`), ["GET /v1/models/claude-sonnet-4-5 200"]);
  t.equal(f.requests[0]!.headers["x-api-key"], FAKE_KEY);
  t.equal(f.requests[0]!.headers["anthropic-version"], "2023-06-01");
  t.same(ctx.logs, []);
});

t.test("a refused key: the 401 named, and how to fix it", async (t) => {
  const { f, spec } = await fake(t);
  const err = await fault(prepare({ ...spec, api_key: "sk-ant-api03-not-this-one" }).done);
  t.equal(err.kind, "auth");
  t.equal(err.message, `Organ 'thinking' (anthropic, claude-sonnet-4-5) at ${f.url}: 401 from ${new URL(f.url).host}: the key was refused — check the api_key (invalid x-api-key).`);
  t.notMatch(err.message, "not-this-one");
});

t.test("a missing model: 404, with the models this key can use", async (t) => {
  const { f, spec } = await fake(t);
  const err = await fault(prepare({ ...spec, model: "claude-sonet-4-5" }).done);
  t.equal(err.kind, "model");
  t.equal(err.httpStatus, 404);
  t.equal(
    err.message,
    `Organ 'thinking' (anthropic, claude-sonet-4-5) at ${f.url}: 404 from ${new URL(f.url).host}: model 'claude-sonet-4-5' not found — see the model list in the Anthropic console (this key can use: claude-sonnet-4-5, claude-haiku-4-5, claude-opus-4-8).`,
  );
  t.same(f.requests.map((q) => q.path), ["/v1/models/claude-sonet-4-5", "/v1/models"]);
});

t.test("a missing model where the list cannot be read either: the plain 404", async (t) => {
  const { f, spec } = await fake(t);
  f.fail({ status: 500, retryAfter: "0" }, { path: "/v1/models", times: 5 });
  const err = await fault(prepare({ ...spec, model: "claude-x" }).done);
  t.equal(err.kind, "model");
  t.equal(err.message, `Organ 'thinking' (anthropic, claude-x) at ${f.url}: 404 from ${new URL(f.url).host}: model 'claude-x' not found — see the model list in the Anthropic console (model: claude-x).`);
});

t.test("a retired model is refused; a deprecated one is taken, with a warning in the log", async (t) => {
  const { f, spec } = await fake(t, { models: [{ id: "claude-2-1", lifecycle: "retired" }, { id: "claude-3-opus", lifecycle: "deprecated" }] });
  const err = await fault(prepare({ ...spec, model: "claude-2-1" }).done);
  t.equal(err.kind, "model");
  t.equal(err.message, `Organ 'thinking' (anthropic, claude-2-1) at ${f.url}: model 'claude-2-1' is retired and answers no more — pick a current model from the Anthropic console.`);
  const { ctx, done } = prepare({ ...spec, model: "claude-3-opus" });
  await done;
  t.match(ctx.logs, [{ level: "warn", msg: /deprecated/, fields: { model: "claude-3-opus", retires_at: "2026-12-01T00:00:00Z" } }]);
});

t.test("a vision organ needs a model that takes images", async (t) => {
  const { f, spec } = await fake(t, { models: ["claude-sonnet-4-5", { id: "claude-text-only", vision: false }] });
  await prepare(spec, "vision").done;
  const err = await fault(prepare({ ...spec, model: "claude-text-only" }, "vision").done);
  t.equal(err.kind, "model");
  t.equal(err.message, `Organ 'vision' (anthropic, claude-text-only) at ${f.url}: model 'claude-text-only' cannot fill the 'vision' organ: it takes no images — pick a model that does.`);
  await prepare({ ...spec, model: "claude-text-only" }, "thinking").done;
  t.pass("the same model may think");
});

t.test("not the Anthropic API (answers HTML): malformed, saying what the url should be", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("malformed", { path: "/v1/models/claude-sonnet-4-5" });
  const err = await fault(prepare(spec).done);
  t.equal(err.kind, "malformed");
  t.match(err.message, /answered \/v1\/models\/claude-sonnet-4-5 with something that is not JSON \(application\/json, \d+ bytes\) — is the url the Anthropic API \(https:\/\/api\.anthropic\.com\)\?$/);
});

t.test("nothing listening: unreachable", async (t) => {
  const url = await closedUrl();
  const err = await fault(prepare({ provider: "anthropic", model: "claude-sonnet-4-5", url, api_key: FAKE_KEY }).done);
  t.equal(err.kind, "unreachable");
  t.match(err.message, "connection refused — nothing answers at that url; the Anthropic API is https://api.anthropic.com.");
});

t.test("a slow API: the configured timeout, after the bounded retries", async (t) => {
  const { f, spec } = await fake(t);
  f.fail("hang", { times: 5 });
  const ctx = context({ timeoutMs: 250 });
  const err = await fault(anthropic.prepare(spec, ctx));
  t.equal(err.kind, "timeout");
  t.match(err.message, "no answer within 0.25 s");
  t.equal(f.requests.length, 3, "each attempt waited its 0.25 s");
});
