import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import sight from "../../plugins/sight/index.js";
import ollama from "../../organs/ollama/index.js";
import openai from "../../organs/openai/index.js";
import { OrganFault } from "../../core/api/index.js";
import { perceptionSchema } from "../../core/plugin-schemas.js";
import { loadPlugins } from "../../core/plugin-host.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { context } from "../organs/ollama/context.js";
import { incoming, perceptionContext } from "../fixtures/files/incoming.js";
import { gif, jpegHead, pdf, png, wav, webpHead } from "../fixtures/files/samples.js";

t.test("the descriptor is valid and declares images, the vision organ and 20 MiB", async (t) => {
  const { error } = perceptionSchema.validate(sight, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.same(sight.extensions, [".png", ".jpg", ".jpeg", ".gif", ".webp"]);
  t.equal(sight.organ, "vision");
  t.equal(sight.maxBytes, 20 * 1024 * 1024);
  t.equal(sight.version, "1.0.0");
  t.ok(sight.title);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-sight-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = await loadPlugins(home, []);
  t.match(registry.records.find((r) => r.name === "sight"), { kind: "perception", state: "loaded", builtin: true });
  for (const ext of sight.extensions) t.equal(registry.capabilities.get(ext)?.name, "sight", `${ext} is sight's`);
});

t.test("sniff: real images pass; text, sound and documents named as images do not", async (t) => {
  for (const [what, bytes] of [["png", png()], ["jpeg", jpegHead()], ["gif", gif()], ["webp", webpHead()]] as const) {
    t.ok(sight.sniff!(bytes), `a ${what} passes`);
  }
  t.notOk(sight.sniff!(Buffer.from("just some words, named photo.png")), "text named .png");
  t.notOk(sight.sniff!(wav()), "a WAV named .png (RIFF, but not WEBP)");
  t.notOk(sight.sniff!(pdf([["hello"]])), "a PDF named .jpg");
  t.notOk(sight.sniff!(png().subarray(0, 7)), "half a PNG signature");
  t.notOk(sight.sniff!(new Uint8Array(0)), "an empty file");
});

t.test("perceive with a real Ollama vision organ: the image's bytes and the question go, the description comes back", async (t) => {
  const f = await startFakeOllama({ models: ["llava"], vision: ["llava"] });
  t.teardown(() => f.close());
  f.reply("The image shows a small red square on nothing at all.");
  const image = png(4, 3, [220, 20, 20]);
  const file = incoming(t, "square.png", image, "image/png");
  const see = ollama.see!({ provider: "ollama", model: "llava", url: f.url }, context({ role: "vision" }));
  const percept = await sight.perceive(file, perceptionContext({ see }));
  t.equal(percept.text, "The image shows a small red square on nothing at all.");
  t.equal(percept.media, undefined, "media is the core's to fill");
  const chat = f.requests.find((r) => r.path === "/api/chat")!;
  t.equal(chat.status, 200, "Ollama took it as an image");
  const [msg] = chat.body.messages;
  t.same(msg.images, [image.toString("base64")], "exactly the file's bytes");
  t.match(msg.content, /cannot see it/, "the question asks for a description for someone who cannot see");
  t.match(msg.content, /text in it/, "…and for any text in the image");
});

t.test("the type sent to the organ comes from the bytes: a PNG named .jpg is sent as image/png", async (t) => {
  const KEY = "sk-sight-test-0123456789";
  const f = await startFakeOpenAI({ apiKey: KEY });
  t.teardown(() => f.close());
  f.reply({ content: "The image shows a green square." });
  const image = png(2, 2, [0, 200, 0]);
  const see = openai.see!({ provider: "openai", model: "gpt-4o", url: `${f.url}/v1`, api_key: KEY }, context({ role: "vision" }));
  const percept = await sight.perceive(incoming(t, "holiday.jpg", image, "image/jpeg"), perceptionContext({ see }));
  t.equal(percept.text, "The image shows a green square.");
  const req = f.requests.find((r) => r.path === "/v1/chat/completions")!;
  t.equal(req.status, 200);
  t.equal(req.body.messages[0].content[1].image_url.url, `data:image/png;base64,${image.toString("base64")}`);

  const jpeg = jpegHead();
  await sight.perceive(incoming(t, "scan.JPEG", jpeg), perceptionContext({ see }));
  t.equal(f.requests.at(-1)!.body.messages[0].content[1].image_url.url, `data:image/jpeg;base64,${jpeg.toString("base64")}`);
});

t.test("an organ's fault is thrown on as it is, for the core to judge", async (t) => {
  const f = await startFakeOllama({ models: ["llava"], vision: ["llava"] });
  t.teardown(() => f.close());
  const see = ollama.see!({ provider: "ollama", model: "bakllava", url: f.url }, context({ role: "vision" }));
  const err = await sight.perceive(incoming(t, "a.png", png()), perceptionContext({ see })).catch((e) => e);
  t.ok(err instanceof OrganFault, String(err));
  t.equal(err.kind, "model");
});

t.test("without a vision organ, or with an empty answer, it says so", async (t) => {
  const none = await sight.perceive(incoming(t, "a.png", png()), perceptionContext()).catch((e) => e);
  t.match(none.message, /needs a vision organ/);
  t.match(none.message, /"vision"/, "…and how to add one");

  const blank = { see: async () => "   \n" };
  const empty = await sight.perceive(incoming(t, "b.png", png()), perceptionContext({ see: blank })).catch((e) => e);
  t.match(empty.message, /gave no description of 'b\.png'/);

  // The core sniffs first; if a file changed since, perceive still refuses to send non-images.
  let asked = false;
  const eyes = { see: async () => ((asked = true), "The image shows text.") };
  const text = await sight.perceive(incoming(t, "c.png", "not an image"), perceptionContext({ see: eyes })).catch((e) => e);
  t.match(text.message, /not a PNG, JPEG, GIF or WebP image/);
  t.notOk(asked, "the organ was not bothered");
});
