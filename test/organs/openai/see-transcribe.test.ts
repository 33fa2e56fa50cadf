import t, { type Test } from "tap";
import openai from "../../../organs/openai/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { startFakeOpenAI, type FakeOpenAI } from "../../fixtures/fake-openai.js";
import { context } from "./context.js";

const KEY = "sk-test-senses-0123456789abcdef";
// A real 1×1 PNG: the fake, like OpenAI, refuses bytes that are not an image.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

async function fake(t: Test, models?: string[]): Promise<FakeOpenAI> {
  const f = await startFakeOpenAI({ apiKey: KEY, models });
  t.teardown(() => f.close());
  return f;
}
const spec = (f: FakeOpenAI, model: string): OrganSpec => ({ provider: "openai", model, url: `${f.url}/v1`, api_key: KEY });

t.test("see: the question and a base64 image_url part in one user message", async (t) => {
  const f = await fake(t);
  f.reply({ content: "A single grey pixel.", usage: { prompt_tokens: 90, completion_tokens: 6 } });
  const ctx = context({ role: "vision" });
  const text = await openai.see!(spec(f, "gpt-4o"), ctx).see(PNG, "image/png", "What is in this picture?");
  t.equal(text, "A single grey pixel.");
  t.same(ctx.usages, [{ input: 90, output: 6 }]);
  const req = f.requests.find((r) => r.path === "/v1/chat/completions")!;
  t.equal(req.status, 200);
  t.same(req.body.messages, [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
      ],
    },
  ]);
});

t.test("see: a view into a larger buffer sends only its own bytes", async (t) => {
  const f = await fake(t);
  const big = Buffer.concat([Buffer.from("junk-before"), PNG, Buffer.from("junk-after")]);
  const view = new Uint8Array(big.buffer, big.byteOffset + 11, PNG.length);
  await openai.see!(spec(f, "gpt-4o"), context({ role: "vision" })).see(view, "image/png", "?");
  const url: string = f.requests.at(-1)!.body.messages[0].content[1].image_url.url;
  t.equal(url, `data:image/png;base64,${PNG.toString("base64")}`);
});

t.test("see: bytes that are not an image are refused by the server as OpenAI would", async (t) => {
  const f = await fake(t);
  const err = await openai.see!(spec(f, "gpt-4o"), context({ role: "vision" })).see(Buffer.from("not an image"), "image/png", "?").catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.match(err.message, /Organ 'vision' \(openai, gpt-4o\).*400 .*unsupported image/);
});

t.test("transcribe: multipart file + model → text, duration usage ignored", async (t) => {
  const f = await fake(t);
  f.transcript("Remind me to water the plants.");
  const audio = Buffer.from("RIFF....WAVEfmt fake audio bytes");
  const ctx = context({ role: "hearing" });
  const text = await openai.transcribe!(spec(f, "whisper-1"), ctx).transcribe(audio, "voice.wav");
  t.equal(text, "Remind me to water the plants.");
  const req = f.requests.find((r) => r.path === "/v1/audio/transcriptions")!;
  t.equal(req.status, 200);
  t.equal(req.headers.authorization, `Bearer ${KEY}`);
  t.match(req.headers["content-type"], /^multipart\/form-data; boundary=/);
  t.same(req.body.fields, { model: "whisper-1" });
  t.equal(req.body.file.name, "voice.wav");
  t.equal(req.body.file.type, "audio/wav");
  t.ok(Buffer.compare(req.body.file.bytes, audio) === 0, "the bytes arrive unchanged");
  t.same(ctx.usages, [], "whisper reports seconds, not tokens: nothing to report");
});

t.test("transcribe: token usage of gpt-4o-transcribe is reported", async (t) => {
  const f = await fake(t, ["gpt-4o-mini-transcribe"]);
  f.transcript("hello");
  const ctx = context({ role: "hearing" });
  await openai.transcribe!(spec(f, "gpt-4o-mini-transcribe"), ctx).transcribe(Buffer.alloc(1000, 1), "note.ogg");
  t.equal(ctx.usages.length, 1);
  t.same(ctx.usages[0], { input: 10, output: 2 });
});

t.test("transcribe: an unknown model is a model fault naming it", async (t) => {
  const f = await fake(t);
  const err = await openai.transcribe!(spec(f, "whisper-9"), context({ role: "hearing" })).transcribe(Buffer.alloc(100, 1), "a.mp3").catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "model");
  t.equal(err.httpStatus, 404);
  t.match(err.message, /Organ 'hearing' \(openai, whisper-9\).*model 'whisper-9' not found/);
});

t.test("transcribe: a file type the server does not take is refused", async (t) => {
  const f = await fake(t);
  const err = await openai.transcribe!(spec(f, "whisper-1"), context({ role: "hearing" })).transcribe(Buffer.alloc(100, 1), "voice.txt").catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.match(err.message, /Invalid file format/);
});
