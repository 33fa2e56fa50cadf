import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import listening from "../../plugins/listening/index.js";
import openai from "../../organs/openai/index.js";
import { OrganFault, type Transcriber } from "../../core/api/index.js";
import { perceptionSchema } from "../../core/plugin-schemas.js";
import { loadPlugins } from "../../core/plugin-host.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fixtures/fake-openai.js";
import { context } from "../organs/openai/context.js";
import { incoming, perceptionContext } from "../fixtures/files/incoming.js";
import { audioHeads, heicHead, jpegHead, pdf, png, wav } from "../fixtures/files/samples.js";

const KEY = "sk-listening-test-0123456789";

async function hearing(t: Test, model = "whisper-1"): Promise<{ f: FakeOpenAI; ear: Transcriber }> {
  const f = await startFakeOpenAI({ apiKey: KEY });
  t.teardown(() => f.close());
  const ear = openai.transcribe!({ provider: "openai", model, url: `${f.url}/v1`, api_key: KEY }, context({ role: "hearing" }));
  return { f, ear };
}

t.test("the descriptor is valid and declares audio, the hearing organ and 25 MiB", async (t) => {
  const { error } = perceptionSchema.validate(listening, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.same(listening.extensions, [".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".webm", ".flac"]);
  t.equal(listening.organ, "hearing");
  t.equal(listening.maxBytes, 25 * 1024 * 1024);
  t.equal(listening.version, "1.0.0");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-listening-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = await loadPlugins(home, []);
  t.match(registry.records.find((r) => r.name === "listening"), { kind: "perception", state: "loaded", builtin: true });
  for (const ext of listening.extensions) t.equal(registry.capabilities.get(ext)?.name, "listening", `${ext} is listening's`);
});

t.test("sniff: every container it declares passes; pictures, text and documents do not", async (t) => {
  t.ok(listening.sniff!(wav()), "RIFF/WAVE");
  for (const [what, head] of Object.entries(audioHeads)) t.ok(listening.sniff!(head()), what);
  t.notOk(listening.sniff!(png()), "a PNG named .wav");
  t.notOk(listening.sniff!(jpegHead()), "a JPEG (0xFFD8 is no MPEG frame sync)");
  t.notOk(listening.sniff!(heicHead()), "an HEIC photo named .m4a (ftyp, but an image brand)");
  t.notOk(listening.sniff!(Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8L", "latin1")), "a WebP named .wav (RIFF, but not WAVE)");
  t.notOk(listening.sniff!(Buffer.from("ID", "latin1")), "two letters");
  t.notOk(listening.sniff!(Buffer.from("hello, this is a note named voice.mp3")), "text");
  t.notOk(listening.sniff!(pdf([["x"]])), "a PDF");
  t.notOk(listening.sniff!(Buffer.from([0xff, 0xf1, 0x50, 0x80])), "an ADTS AAC frame (layer 0) is no MP3");
});

t.test("perceive with a real OpenAI hearing organ: the file's bytes go, the transcript comes back", async (t) => {
  const { f, ear } = await hearing(t);
  f.transcript("Remind me to water the plants at six.");
  const audio = wav(300);
  const percept = await listening.perceive(incoming(t, "voice.wav", audio, "audio/wav"), perceptionContext({ transcribe: ear }));
  t.equal(percept.text, "Remind me to water the plants at six.", "what was said is what she perceived, unadorned");
  t.equal(percept.media, undefined);
  const req = f.requests.find((r) => r.path === "/v1/audio/transcriptions")!;
  t.equal(req.status, 200);
  t.equal(req.body.file.name, "voice.wav");
  t.ok(Buffer.compare(req.body.file.bytes, audio) === 0, "the recording's bytes, unchanged");
});

t.test("an .opus recording is sent as the Ogg it is; the organ would refuse the name .opus", async (t) => {
  const { f, ear } = await hearing(t);
  const head = audioHeads.ogg();
  const refused = await ear.transcribe(head, "note.opus").catch((e) => e);
  t.ok(refused instanceof OrganFault, "sent as .opus, the service refuses it");
  t.match(refused.message, /Invalid file format/);

  f.transcript("Good morning.");
  const percept = await listening.perceive(incoming(t, "note.opus", head), perceptionContext({ transcribe: ear }));
  t.equal(percept.text, "Good morning.");
  const req = f.requests.at(-1)!;
  t.equal(req.status, 200);
  t.equal(req.body.file.name, "note.ogg");
  t.equal(req.body.file.type, "audio/ogg");
});

t.test("without a hearing organ, or with nothing heard, it says so; organ faults pass through", async (t) => {
  const none = await listening.perceive(incoming(t, "a.wav", wav()), perceptionContext()).catch((e) => e);
  t.match(none.message, /needs a hearing organ/);
  t.match(none.message, /"hearing"/);

  const { f, ear } = await hearing(t);
  f.transcript("  ");
  const silent = await listening.perceive(incoming(t, "quiet.wav", wav()), perceptionContext({ transcribe: ear })).catch((e) => e);
  t.match(silent.message, /no words could be heard in 'quiet\.wav'/);

  const { ear: wrong } = await hearing(t, "whisper-9");
  const fault = await listening.perceive(incoming(t, "b.mp3", audioHeads.mp3Id3()), perceptionContext({ transcribe: wrong })).catch((e) => e);
  t.ok(fault instanceof OrganFault, String(fault));
  t.equal(fault.kind, "model");
});
