import t from "tap";
import { answerWithSchema, extractJson, schemaProblems, OrganFault, type ChatMessage, type ThinkResult } from "../../../core/api/index.js";

const target = { role: "thinking" as const, provider: "fake", model: "m", url: "http://127.0.0.1:9" };
const schema = { type: "object", properties: { say: { type: "string" } }, required: ["say"], additionalProperties: false };

t.test("extractJson finds the JSON a model meant", async (t) => {
  t.same(extractJson('{"a":1}'), { a: 1 }, "bare JSON");
  t.same(extractJson('Sure! ```json\n{"say": "hi"}\n```\nAnything else?'), { say: "hi" }, "fenced, with prose around");
  t.same(extractJson('<think>{"not": "this"}</think>{"say":"that"}'), { say: "that" }, "think blocks are dropped");
  t.same(extractJson('text {broken then {"ok": "a } inside a string"} end'), { ok: "a } inside a string" }, "brackets in strings and a false start");
  t.same(extractJson("[1, 2, 3] and more"), [1, 2, 3], "arrays");
  t.equal(extractJson("no json here at all"), undefined);
  t.equal(extractJson('{"unterminated": '), undefined);
});

t.test("schemaProblems names what is wrong", async (t) => {
  t.equal(schemaProblems(schema, { say: "hi" }), null);
  t.match(schemaProblems(schema, { said: "hi" }), /say/);
  t.match(schemaProblems(schema, "hi"), /object/);
});

t.test("answerWithSchema", async (t) => {
  t.test("takes the provider's own JSON when it fits", async (t) => {
    const calls: ChatMessage[][] = [];
    const r = await answerWithSchema({ messages: [{ role: "user", content: "hi" }], schema }, async (m) => {
      calls.push(m);
      return { text: '{"say":"hello"}', usage: { input: 3, output: 2 } };
    }, target);
    t.same(r.json, { say: "hello" });
    t.equal(calls.length, 1, "one call");
  });

  t.test("retries once, quoting the problem, and sums usage", async (t) => {
    const calls: ChatMessage[][] = [];
    const replies: ThinkResult[] = [
      { text: "I would say hello.", usage: { input: 5, output: 4 } },
      { text: '```json\n{"say":"hello"}\n```', usage: { input: 9, output: 3 } },
    ];
    const r = await answerWithSchema({ messages: [{ role: "user", content: "hi" }], schema }, async (m) => {
      calls.push(m);
      return replies[calls.length - 1]!;
    }, target);
    t.same(r.json, { say: "hello" });
    t.same(r.usage, { input: 14, output: 7 });
    t.equal(calls.length, 2);
    const last = calls[1]!.at(-1)!;
    t.equal(last.role, "user");
    t.match(last.content, /no JSON/, "the retry quotes why the first answer failed");
    t.equal(calls[1]![1]!.content, "I would say hello.", "the first answer is in the retry's history");
  });

  t.test("a second miss is a malformed organ fault, not a crash", async (t) => {
    const err = await answerWithSchema({ messages: [{ role: "user", content: "hi" }], schema }, async () => ({ text: '{"shout":"HI"}' }), target).catch((e) => e);
    t.ok(err instanceof OrganFault);
    t.equal(err.kind, "malformed");
    t.equal(err.status, 400);
    t.match(err.message, /Organ 'thinking' \(fake, m\) at http:\/\/127\.0\.0\.1:9/);
  });

  t.test("without a schema the text is returned as it is", async (t) => {
    const r = await answerWithSchema({ messages: [{ role: "user", content: "hi" }] }, async () => ({ text: "just words" }), target);
    t.same(r, { text: "just words" });
  });
});
