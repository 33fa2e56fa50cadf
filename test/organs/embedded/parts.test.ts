import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import t, { type Test } from "tap";
import embedded from "../../../organs/embedded/index.js";
import { download } from "../../../organs/embedded/src/download.js";
import { prebuiltPackage } from "../../../organs/embedded/src/engine.js";
import { Gate } from "../../../organs/embedded/src/gate.js";
import { checkFile } from "../../../organs/embedded/src/gguf-file.js";
import { parseRef } from "../../../organs/embedded/src/reference.js";
import { toGrammarSchema } from "../../../organs/embedded/src/schema.js";
import { OrganFault, type OrganSpec, type OrganTarget } from "../../../core/api/index.js";
import { DECISION_SCHEMA } from "../../../core/mind/decision.js";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { tempHome } from "../../helpers/daemon.js";
import { context } from "../../helpers/model-context.js";

// The plugin's parts where the daemon's routes cannot reach them easily: the grammar's schema,
// the gate, what a file that is not a model looks like, a download that stalls or is refused,
// a prompt larger than her context.

const dir = tempHome("eternego-parts-");
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const target: OrganTarget = { role: "thinking", provider: "embedded", model: "m", url: "/m" };

t.test("the grammar's schema: every string and array bounded, anyOf as oneOf, what it cannot say is null", async (t) => {
  const g = toGrammarSchema(DECISION_SCHEMA) as any;
  t.match(g, { type: "object", additionalProperties: false, properties: { say: { type: "string", maxLength: 4000 }, tools: { type: "array", maxItems: 8 }, task: { type: "string", maxLength: 4000 } } });
  t.ok(Array.isArray(g.properties.tools.items.oneOf), "each tool call one of the tools");
  const range = g.properties.tools.items.oneOf.find((o: any) => o.properties.name.enum[0] === "check_calendar")?.properties.args.properties.start;
  t.same(range?.oneOf, [{ type: "string", maxLength: 4000 }, { type: "null" }], "a nullable string: a bounded string or null");
  t.same(toGrammarSchema({ type: "string", maxLength: 20, minLength: 50 }), { type: "string", maxLength: 20, minLength: 20 });
  t.same(toGrammarSchema({ type: "array", items: { const: 1 }, maxItems: 99, minItems: 2 }), { type: "array", items: { const: 1 }, maxItems: 8, minItems: 2 });
  t.same(toGrammarSchema({ type: ["integer"] }), { type: "integer" });
  t.same(toGrammarSchema({ $defs: { a: { type: "boolean" } }, $ref: "#/$defs/a" }), { $ref: "#/$defs/a", $defs: { a: { type: "boolean" } } });
  t.equal(toGrammarSchema({}), null, "any value: no grammar");
  t.equal(toGrammarSchema({ type: "object", additionalProperties: true }), null, "a free-form object: no grammar");
  t.equal(toGrammarSchema({ $ref: "https://x/y.json" }), null);
  t.equal(toGrammarSchema({ type: ["string", "date"] }), null);
  t.equal(toGrammarSchema({ allOf: [] }), null);
  t.equal(toGrammarSchema("string"), null);
});

t.test("the gate: one at a time in order, the rest told how many are ahead; a caller that stops leaves the line", async (t) => {
  const gate = new Gate(() => 1);
  const order: string[] = [];
  const waits: number[] = [];
  let release!: () => void;
  const first = gate.run(() => new Promise<void>((r) => (release = r)).then(() => void order.push("a")), () => waits.push(-1));
  const stop = new AbortController();
  const second = gate.run(async () => void order.push("b"), (n) => waits.push(n), stop.signal);
  const third = gate.run(async () => void order.push("c"), (n) => waits.push(n));
  t.same(gate.load, { running: 1, waiting: 2 });
  stop.abort(new Error("she stopped"));
  await t.rejects(second, { message: "she stopped" }, "the stopped one leaves");
  release();
  await Promise.all([first, third]);
  t.same(order, ["a", "c"]);
  t.same(waits, [1, 2], "the first did not wait; the others heard how many were ahead");
  t.same(gate.load, { running: 0, waiting: 0 });
  const gone = new AbortController();
  gone.abort(new Error("already gone"));
  let hold!: () => void;
  const busy = gate.run(() => new Promise<void>((r) => (hold = r)), () => {});
  await t.rejects(gate.run(async () => {}, () => {}, gone.signal), { message: "already gone" });
  hold();
  await busy;
});

t.test("files that are not models, as a person would recognise them", async (t) => {
  const cases: [string, Buffer | string, RegExp][] = [
    ["json.gguf", '{"model": "llama3.2"}', /is not a GGUF model \(it is JSON text\)/],
    ["zip.gguf", Buffer.from("PK\x03\x04rest-of-a-zip", "latin1"), /it is a zip archive/],
    ["text.gguf", "hello there, model", /it begins with the text "hello there, mod"/],
    ["bytes.gguf", Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), /it begins with the bytes 00010203, not "GGUF"/],
  ];
  for (const [name, content, why] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    await t.rejects(checkFile(file, target), why, name);
  }
  const v9 = path.join(dir, "v9.gguf");
  fs.writeFileSync(v9, Buffer.concat([Buffer.from("GGUF"), Buffer.from([9, 0, 0, 0])]));
  await t.rejects(checkFile(v9, target), /is GGUF version 9, which this engine does not read/);
  t.equal(prebuiltPackage("linux", "arm"), "@node-llama-cpp/linux-armv7l");
  t.equal(prebuiltPackage("darwin", "arm64"), "@node-llama-cpp/mac-arm64-metal", "Metal, the only build on Apple silicon");
  t.equal(prebuiltPackage("freebsd", "x64"), null);
  t.throws(() => parseRef("http://[nope/x.gguf", "/m", "thinking"), /is not a URL/);
  t.match(parseRef("https://h.example/a%ZZb.gguf", "/m", "thinking").file, /^\/m\/a_ZZb-[0-9a-f]{8}\.gguf$/, "a stray % in a name");
  t.equal(parseRef("~/m.gguf", "/m", "thinking").file.endsWith("/m.gguf"), true);
  t.equal(parseRef(`file://${dir}/x.gguf`, "/m", "thinking").file, `${dir}/x.gguf`);
});

/** A server answering each request with the next of `answers` (the last one repeats). */
async function serve(t: Test, answers: ((req: http.IncomingMessage, res: http.ServerResponse) => void)[]) {
  let n = 0;
  const ranges: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    answers[Math.min(n++, answers.length - 1)]!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.gguf`, ranges, count: () => n };
}

t.test("downloads that stall, fail, are refused or answer the wrong range", async (t) => {
  const model = fs.readFileSync(writeTinyGguf({ dir, name: "dl" }).path);
  const spec: OrganSpec = { provider: "embedded", model: "x", url: embedded.defaultUrl };
  const fetchTo = (url: string, name: string, timeoutMs = 300) => download({ url, file: path.join(dir, "models", name) }, spec, context({ timeoutMs }));

  const stalled = await serve(t, [(_q, res) => (res.writeHead(200, { "content-length": model.length }), res.write(model.subarray(0, 1000)))]);
  const stall = await fetchTo(stalled.url, "stall.gguf").catch((e) => e);
  t.ok(stall instanceof OrganFault && stall.kind === "timeout", `a stalled body is a timeout: ${stall.message}`);
  t.match(stall.message, /the download went silent for 0\.3 s at 0\.0 MB of 0\.5 MB; what came is kept in .*stall\.gguf\.part/);
  t.equal(stalled.count(), 4, "tried a few times, resuming each time");
  t.same(stalled.ranges.slice(1), ["bytes=1000-", "bytes=1000-", "bytes=1000-"]);

  const failing = await serve(t, [(_q, res) => res.writeHead(503).end("busy")]);
  const fail = await fetchTo(failing.url, "fail.gguf").catch((e) => e);
  t.match(fail, { kind: "server", httpStatus: 503, message: /503 from 127\.0\.0\.1:\d+\.$/ });

  const gated = await serve(t, [(q, res) => res.writeHead(q.headers.authorization === "Bearer hf_secret" ? 200 : 401, { "content-length": q.headers.authorization ? model.length : 0 }).end(q.headers.authorization ? model : "")]);
  const refused = await fetchTo(gated.url, "gated.gguf").catch((e) => e);
  t.match(refused, { kind: "auth", message: /401 from .*: the file needs permission — a gated Hugging Face model needs its licence accepted and a token as the organ's api_key\./ });
  await download({ url: gated.url, file: path.join(dir, "models", "gated.gguf") }, { ...spec, api_key: "hf_secret" }, context());
  t.same(fs.readFileSync(path.join(dir, "models", "gated.gguf")), model, "the organ's key, sent as a bearer token, opens it");

  // A part longer than the file (416): started over. A 206 for another range: started over too.
  const partFile = path.join(dir, "models", "changed.gguf.part");
  fs.writeFileSync(partFile, Buffer.alloc(model.length + 10));
  const changed = await serve(t, [(_q, res) => res.writeHead(416).end(), (_q, res) => res.writeHead(200, { "content-length": model.length }).end(model)]);
  await fetchTo(changed.url, "changed.gguf");
  t.same(changed.ranges, [`bytes=${model.length + 10}-`, undefined]);
  t.same(fs.readFileSync(path.join(dir, "models", "changed.gguf")), model);
  fs.writeFileSync(path.join(dir, "models", "odd.gguf.part"), model.subarray(0, 100));
  const odd = await serve(t, [
    (_q, res) => res.writeHead(206, { "content-range": `bytes 5-${model.length - 1}/${model.length}`, "content-length": model.length - 5 }).end(model.subarray(5)),
    (_q, res) => res.writeHead(200, { "content-length": model.length }).end(model),
  ]);
  await fetchTo(odd.url, "odd.gguf");
  t.same(odd.ranges, ["bytes=100-", undefined], "asked from 100, answered from 5: asked again from the start");
  t.same(fs.readFileSync(path.join(dir, "models", "odd.gguf")), model);
  const short = await serve(t, [(_q, res) => res.writeHead(200).end(model.subarray(0, 64))]);
  const done = await fetchTo(short.url, "short.gguf").then(() => "fetched");
  t.equal(done, "fetched", "a server that says no size: what came is the file (prepare's checks judge it)");
});

t.test("a prompt larger than her context, and a schema the grammar cannot say", async (t) => {
  const model = writeTinyGguf({ dir, name: "small" });
  process.env.ETERNEGO_EMBEDDED_CONTEXT = "512";
  process.env.ETERNEGO_EMBEDDED_MAX_TOKENS = "24";
  t.teardown(() => {
    delete process.env.ETERNEGO_EMBEDDED_CONTEXT;
    delete process.env.ETERNEGO_EMBEDDED_MAX_TOKENS;
  });
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const spec: OrganSpec = { provider: "embedded", model: model.path, url: embedded.defaultUrl };
  const thinker = embedded.think!(spec, context({ signal: stop.signal }));
  const long = { role: "system" as const, content: "You are Ada, and you remember everything. ".repeat(120) };
  const err = await thinker.think({ messages: [long, { role: "user", content: "hi" }] }).catch((e) => e);
  t.match(err, { kind: "rejected", message: /her prompt and answer do not fit her 512-token context — set ETERNEGO_EMBEDDED_CONTEXT higher \(this model was trained for 8192 tokens\)\./ });

  const free = { type: "object", properties: { anything: {} }, required: ["anything"] };
  const misfit = await thinker.think({ messages: [{ role: "user", content: "hi" }], schema: free }).catch((e) => e);
  t.match(misfit, { kind: "malformed", message: /answered twice without JSON that fits the schema/ }, "no grammar for it: the schema went in the prompt, and a random model's text was checked and refused");
});
