import t, { type Test } from "tap";
import anthropic from "../../../organs/anthropic/index.js";
import { OrganFault, type OrganSpec } from "../../../core/api/index.js";
import { FAKE_KEY, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from "../../fixtures/fake-anthropic.js";
import { JPEG, PNG, context } from "./context.js";

async function fake(t: Test, opts: FakeAnthropicOptions = {}): Promise<{ f: FakeAnthropic; spec: OrganSpec }> {
  const f = await startFakeAnthropic(opts);
  t.teardown(() => f.close());
  return { f, spec: { provider: "anthropic", model: "claude-sonnet-4-5", url: f.url, api_key: FAKE_KEY } };
}

t.test("see: the image as a base64 block, then the question, in one user turn", async (t) => {
  const { f, spec } = await fake(t);
  f.reply("A single grey pixel.");
  const ctx = context({ role: "vision" });
  const text = await anthropic.see!(spec, ctx).see(PNG, "image/png", "What is in this picture?");
  t.equal(text, "A single grey pixel.");
  const q = f.messages()[0]!;
  t.equal(q.status, 200, "the fake checked the bytes are the PNG they claim to be");
  t.same(q.body.messages, [
    {
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") } },
        { type: "text", text: "What is in this picture?" },
      ],
    },
  ]);
  t.equal(q.body.system, undefined);
  t.equal(q.body.tools, undefined);
  t.same(ctx.usages, [{ input: q.usage!.input_tokens, output: q.usage!.output_tokens }], "usage reported");
});

t.test("a Uint8Array view into a larger buffer sends only its own bytes", async (t) => {
  const { f, spec } = await fake(t);
  const big = Buffer.concat([Buffer.from("junk-before"), JPEG, Buffer.from("junk-after")]);
  const view = new Uint8Array(big.buffer, big.byteOffset + 11, JPEG.length);
  await anthropic.see!(spec, context({ role: "vision" })).see(view, "image/jpg", "?");
  const block = f.messages()[0]!.body.messages[0].content[0];
  t.same(block.source, { type: "base64", media_type: "image/jpeg", data: JPEG.toString("base64") }, "image/jpg is named image/jpeg, as the API wants");
  t.equal(f.messages()[0]!.status, 200);
});

t.test("an image type the API does not read: refused before any call", async (t) => {
  const { f, spec } = await fake(t);
  const err = await anthropic.see!(spec, context({ role: "vision" })).see(Buffer.from("BM...."), "image/bmp", "?").catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.equal(err.message, `Organ 'vision' (anthropic, claude-sonnet-4-5) at ${f.url}: cannot look at image/bmp images: the Anthropic API reads JPEG, PNG, GIF and WebP.`);
  t.equal(f.requests.length, 0);
});

t.test("bytes that are not what the type says: the API's 400, quoted", async (t) => {
  const { f, spec } = await fake(t);
  const err = await anthropic.see!(spec, context({ role: "vision" })).see(PNG, "image/jpeg", "?").catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "rejected");
  t.match(err.message, "400 from");
  t.match(err.message, "specified using the image/jpeg media type, but the image appears to be a image/png image");
  t.equal(f.messages().length, 1, "a 400 is not retried");
});
