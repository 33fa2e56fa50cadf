import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import docxPlugin from "../../examples/plugins/docx/index.js";
import { perceptionSchema } from "../../core/plugin-schemas.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { incoming, perceptionContext } from "../fixtures/files/incoming.js";
import { docx, pdf, plainZip } from "../fixtures/files/samples.js";
import { startDaemon } from "../helpers/daemon.js";
import { waitFor } from "../fixtures/plugins-host/net.js";
import { living } from "../mind/helpers.js";

// The example third-party perception plugin, loaded the way a person loads one (`--plugin PATH`).

const PLUGIN = fileURLToPath(new URL("../../examples/plugins/docx", import.meta.url));
const MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const LETTER = ["Dear Ada,", "", "The garden is blooming: roses & <tulips>.", "See you on Sunday."];

t.test("the descriptor is valid: .docx, no organ, a size limit", async (t) => {
  const { error } = perceptionSchema.validate(docxPlugin, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.match(docxPlugin, { kind: "perception", name: "docx", version: "1.0.0", extensions: [".docx"], mimeTypes: [MIME], organ: null, maxBytes: 20 * 1024 * 1024 });
});

t.test("sniff: a .docx (a zip) passes; a PDF or text named .docx does not", async (t) => {
  t.ok(docxPlugin.sniff!(docx(["hi"])));
  t.notOk(docxPlugin.sniff!(pdf([["hi"]])), "a PDF named .docx");
  t.notOk(docxPlugin.sniff!(Buffer.from("PK but only text")), "text that starts with PK");
  t.notOk(docxPlugin.sniff!(new Uint8Array(0)), "an empty file");
});

t.test("perceive: a real Word document gives her its paragraphs", async (t) => {
  const { text, media } = await docxPlugin.perceive(incoming(t, "letter.docx", docx(LETTER), MIME), perceptionContext());
  t.equal(text, "letter.docx (Word document):\n\nDear Ada,\n\nThe garden is blooming: roses & <tulips>.\n\nSee you on Sunday.");
  t.equal(media, undefined);
  t.equal((await docxPlugin.perceive(incoming(t, "blank.docx", docx([])), perceptionContext())).text, "blank.docx (Word document): the document has no text.");
});

t.test("perceive: a long document is cut at 60,000 characters and she is told its length", async (t) => {
  const paragraphs = Array.from({ length: 2000 }, (_, i) => `Paragraph ${i + 1} of a very long report.`);
  const { text } = await docxPlugin.perceive(incoming(t, "long.docx", docx(paragraphs)), perceptionContext());
  const whole = paragraphs.join("\n\n");
  const m = /\n\[… cut: the file has (\d+) characters\]$/.exec(text);
  t.ok(m, "ends with the cut note");
  t.equal(Number(m![1]), whole.length);
  t.equal(text.slice("long.docx (Word document):\n\n".length, m!.index), whole.slice(0, 60_000));
});

t.test("a zip that is not a Word document, or a damaged one: an error saying it could not be read", async (t) => {
  const ctx = perceptionContext();
  const zip = await docxPlugin.perceive(incoming(t, "photos.docx", plainZip()), ctx).catch((e) => e);
  t.ok(docxPlugin.sniff!(plainZip()), "(a zip passes the sniff: only reading it tells)");
  t.equal(zip.message, "the Word document could not be read: it is damaged, or it is a zip but not a .docx.");
  t.match(ctx.logs, [{ level: "warn", fields: { file: "photos.docx", error: /main document part/ } }], "mammoth's reason is logged");
  const cut = docx(LETTER);
  const broken = await docxPlugin.perceive(incoming(t, "cut.docx", cut.subarray(0, cut.length - 30)), perceptionContext()).catch((e) => e);
  t.match(broken.message, /could not be read/);
});

t.test("the daemon keeps what the plugin logs, with its fields: attaching a zip that is not a Word document", async (t) => {
  const { d, id } = await living(t, { plugins: [PLUGIN] });
  const form = new FormData();
  form.append("file", new Blob([plainZip()]), "photos.docx");
  const r = await d.api("POST", `/api/persona/${id}/attach`, form);
  t.equal(r.status, 400, JSON.stringify(r.body));
  t.match(r.body.detail, /the Word document could not be read/);
  // pino writes the log file asynchronously: wait for the line, and fail if it never comes.
  const file = path.join(d.home, "logs", "eternego.log");
  const lines = () => {
    const text = fs.readFileSync(file, "utf8");
    // Whole lines only: the last one may be half written.
    return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  };
  const line = await waitFor("the plugin's warning in eternego.log", () => lines().find((l) => l.plugin === "docx" && l.file === "photos.docx"));
  t.match(line, { level: 40, plugin: "docx", persona: id, msg: "mammoth could not read the document", file: "photos.docx", error: /main document part/ }, "mammoth's reason is in the daemon's log, as its own field");
});

t.test("with --plugin the daemon lists it and .docx becomes a capability; without it .docx is absent", async (t) => {
  const d = await startDaemon(t, { plugins: [PLUGIN] });
  const plugins = (await d.api("GET", "/api/plugins")).body.plugins as { name: string }[];
  t.same(plugins.find((p) => p.name === "docx"), {
    kind: "perception",
    name: "docx",
    version: "1.0.0",
    builtin: false,
    state: "loaded",
    error: null,
    declares: { extensions: [".docx"], mime_types: [MIME], organ: null, max_bytes: 20 * 1024 * 1024 },
  });
  const caps = (await d.api("GET", "/api/capabilities")).body.capabilities as { extension: string }[];
  t.same(caps.find((c) => c.extension === ".docx"), { extension: ".docx", plugin: "docx", organ: null, max_bytes: 20 * 1024 * 1024, mime_types: [MIME] });
  t.ok(caps.some((c) => c.extension === ".pdf"), "the built-in perceptions are still there");

  const plain = await startDaemon(t);
  const without = (await plain.api("GET", "/api/capabilities")).body.capabilities as { extension: string }[];
  t.notOk(without.some((c) => c.extension === ".docx"));
  t.notOk(((await plain.api("GET", "/api/plugins")).body.plugins as { name: string }[]).some((p) => p.name === "docx"));
});

t.test("attach: refused with 415 without the plugin; with it, she perceives the letter's words", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const organs = { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } };
  const attach = async (d: Awaited<ReturnType<typeof startDaemon>>) => {
    const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs });
    t.equal(created.status, 201, JSON.stringify(created.body));
    const form = new FormData();
    form.append("file", new Blob([docx(LETTER)]), "letter.docx");
    return d.api("POST", `/api/persona/${created.body.persona.id}/attach`, form);
  };

  const refused = await attach(await startDaemon(t));
  t.equal(refused.status, 415);
  t.match(refused.body.detail, /'\.docx'/);

  const taken = await attach(await startDaemon(t, { plugins: [PLUGIN] }));
  t.equal(taken.status, 202, JSON.stringify(taken.body));
  t.match(taken.body.perceived, [{ file: "letter.docx", kind: "docx", text: /The garden is blooming: roses & <tulips>\./ }]);
});
