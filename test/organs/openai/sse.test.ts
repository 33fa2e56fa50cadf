import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import openai from "../../../organs/openai/index.js";
import { sseParser } from "../../../organs/openai/src/sse.js";
import { OrganFault } from "../../../core/api/index.js";
import { context } from "./context.js";

const parse = (pieces: string[]) => {
  const out: string[] = [];
  const p = sseParser((d) => out.push(d));
  for (const piece of pieces) p.feed(new TextEncoder().encode(piece));
  p.end();
  return out;
};

t.test("sseParser: events, CRLF, comments, multi-line data, split bytes, no final blank line", async (t) => {
  t.same(parse(["data: a\n\ndata: b\n\n"]), ["a", "b"]);
  t.same(parse(["data: a\r\n\r\n: keep-alive\r\n\r\nevent: x\r\ndata:b\r\n\r\n"]), ["a", "b"], "CRLF, comments and other fields");
  t.same(parse(["data: one\ndata: two\n\n"]), ["one\ntwo"], "lines of one event are joined");
  t.same(parse(["da", "ta: {\"x\"", ":1}\n", "\nda", "ta: [DONE]\n\n"]), ['{"x":1}', "[DONE]"], "split anywhere");
  const euro = new TextEncoder().encode("data: €\n\n");
  const out: string[] = [];
  const p = sseParser((d) => out.push(d));
  p.feed(euro.subarray(0, 7)); // cuts the three bytes of € in two
  p.feed(euro.subarray(7));
  p.end();
  t.same(out, ["€"], "a character split across chunks");
  t.same(parse(["data: last"]), ["last"], "a last event without its blank line");
});

/** A server streaming the given raw SSE text after 200 headers. */
async function streaming(t: Test, raw: string): Promise<string> {
  const s = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(raw);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`;
}

const chunk = (content: string) => `data: ${JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content } }] })}\n\n`;

t.test("an error event mid-stream (OpenRouter style) is a server fault", async (t) => {
  const url = await streaming(t, chunk("Hel") + `data: ${JSON.stringify({ error: { message: "upstream overloaded", code: 502 } })}\n\n`);
  const deltas: string[] = [];
  const err = await openai.think!({ provider: "openai", model: "m", url }, context()).think({ messages: [{ role: "user", content: "hi" }], onDelta: (d) => deltas.push(d) }).catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "server");
  t.match(err.message, /stream broke off .*upstream overloaded/);
  t.same(deltas, ["Hel"]);
});

t.test("stray lines are skipped, a stream without [DONE] still counts, no usage is fine", async (t) => {
  const url = await streaming(t, ": OPENROUTER PROCESSING\n\n" + chunk("Hi") + "data: not json\n\n" + chunk(" there"));
  const ctx = context();
  const r = await openai.think!({ provider: "openai", model: "m", url }, ctx).think({ messages: [{ role: "user", content: "hi" }], onDelta: () => {} });
  t.equal(r.text, "Hi there");
  t.equal(r.usage, undefined);
  t.same(ctx.usages, []);
});
