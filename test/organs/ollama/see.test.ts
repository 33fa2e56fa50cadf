import t from "tap";
import ollama from "../../../organs/ollama/index.js";
import { OrganFault } from "../../../core/api/index.js";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { context, PNG } from "./context.js";

t.test("see: the question and the image (base64) in one user message; usage reported", async (t) => {
  const f = await startFakeOllama({ models: ["llava"], vision: ["llava"] });
  t.teardown(() => f.close());
  f.reply("A single transparent pixel.");
  const ctx = context({ role: "vision" });
  // A view into a larger buffer: only the image's own bytes may be sent.
  const backing = Buffer.concat([Buffer.from("junk-before"), PNG, Buffer.from("junk-after")]);
  const image = new Uint8Array(backing.buffer, backing.byteOffset + 11, PNG.length);
  const text = await ollama.see!({ provider: "ollama", model: "llava", url: f.url }, ctx).see(image, "image/png", "What is in this picture?");
  t.equal(text, "A single transparent pixel.");
  const chat = f.requests.find((r) => r.path === "/api/chat")!;
  t.equal(chat.status, 200, "the fake accepted the request as Ollama would");
  t.same(chat.body, {
    model: "llava",
    messages: [{ role: "user", content: "What is in this picture?", images: [PNG.toString("base64")] }],
    stream: true,
  });
  t.same(ctx.usages, [{ input: f.sent[0]!.prompt_eval_count, output: f.sent[0]!.eval_count }]);
});

t.test("see: bytes that are not an image are refused by Ollama, as a rejected fault", async (t) => {
  const f = await startFakeOllama({ models: ["llava"], vision: ["llava"] });
  t.teardown(() => f.close());
  const err = await ollama.see!({ provider: "ollama", model: "llava", url: f.url }, context({ role: "vision" }))
    .see(new TextEncoder().encode("not an image"), "image/png", "what is it?")
    .catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.match(err.message, /^Organ 'vision' \(ollama, llava\) at .*: 400 from .* \(image: unknown format\)\.$/);
});
