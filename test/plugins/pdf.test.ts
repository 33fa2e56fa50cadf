import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import pdfPlugin from "../../plugins/pdf/index.js";
import { perceptionSchema } from "../../core/plugin-schemas.js";
import { loadPlugins } from "../../core/plugin-host.js";
import { incoming, perceptionContext } from "../fixtures/files/incoming.js";
import { docx, pdf, png } from "../fixtures/files/samples.js";
import { waitFor } from "../fixtures/plugins-host/net.js";
import { living } from "../mind/helpers.js";

const read = (t: Parameters<typeof incoming>[0], name: string, bytes: Uint8Array | string) => pdfPlugin.perceive(incoming(t, name, bytes, "application/pdf"), perceptionContext());

t.test("the descriptor is valid and declares .pdf, no organ and 50 MiB", async (t) => {
  const { error } = perceptionSchema.validate(pdfPlugin, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.same(pdfPlugin.extensions, [".pdf"]);
  t.same(pdfPlugin.mimeTypes, ["application/pdf"]);
  t.equal(pdfPlugin.organ, null);
  t.equal(pdfPlugin.maxBytes, 50 * 1024 * 1024);
  t.equal(pdfPlugin.version, "1.0.0");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-pdf-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = await loadPlugins(home, []);
  t.match(registry.records.find((r) => r.name === "pdf"), { kind: "perception", state: "loaded", builtin: true });
  t.equal(registry.capabilities.get(".pdf")?.name, "pdf");
});

t.test("sniff: %PDF- within the first KiB passes; anything else does not", async (t) => {
  const real = pdf([["hello"]]);
  t.ok(pdfPlugin.sniff!(real), "a PDF");
  t.ok(pdfPlugin.sniff!(Buffer.concat([Buffer.from("X-Mailer junk\r\n\r\n"), real])), "a PDF with bytes before its header, as readers allow");
  t.notOk(pdfPlugin.sniff!(Buffer.concat([Buffer.alloc(1024, 0x20), real])), "a header past the first KiB");
  t.notOk(pdfPlugin.sniff!(Buffer.from("Dear Ada, this is a letter named letter.pdf")), "text named .pdf");
  t.notOk(pdfPlugin.sniff!(png()), "a PNG named .pdf");
  t.notOk(pdfPlugin.sniff!(docx(["hi"])), "a Word document named .pdf");
  t.notOk(pdfPlugin.sniff!(Buffer.from("%PDF", "latin1")), "a header cut short");
});

t.test("perceive: the text of every page, with the page count and page marks", async (t) => {
  const bytes = pdf([
    ["Quarterly report (draft)", "Revenue grew by 12 percent."],
    ["Next steps", "Hire two engineers."],
  ]);
  const { text } = await read(t, "report.pdf", bytes);
  t.equal(text, "report.pdf (PDF, 2 pages):\n\n[page 1]\nQuarterly report (draft)\nRevenue grew by 12 percent.\n\n[page 2]\nNext steps\nHire two engineers.");

  const one = await read(t, "memo.pdf", pdf([["Only page", "Buy milk."]]));
  t.equal(one.text, "memo.pdf (PDF, 1 page):\n\nOnly page\nBuy milk.", "one page needs no page mark");
  t.equal(one.media, undefined);
});

t.test("perceive: a PDF without text says its pages are probably images", async (t) => {
  const { text } = await read(t, "scan.pdf", pdf([[], [], []]));
  t.equal(text, "scan.pdf (PDF, 3 pages): no text could be found in it; its pages are probably scanned images.");
});

t.test("the cap: a long PDF gives her its first 60,000 characters and its length", async (t) => {
  const line = (p: number, l: number) => `Page ${p} line ${l}: the quick brown fox jumps over the lazy dog.`;
  const pages = Array.from({ length: 30 }, (_, p) => Array.from({ length: 40 }, (_, l) => line(p + 1, l + 1)));
  const { text } = await read(t, "book.pdf", pdf(pages));
  const intro = "book.pdf (PDF, 30 pages):\n\n";
  t.ok(text.startsWith(`${intro}[page 1]\n${line(1, 1)}\n${line(1, 2)}`), "it starts at the beginning");
  const m = /\n\[… cut: the file has (\d+) characters\]$/.exec(text);
  t.ok(m, "ends with the cut note");
  const kept = text.slice(intro.length, m!.index);
  t.equal(kept.length, 60_000, "exactly 60,000 characters of the text");
  const whole = pages.map((ls, i) => `[page ${i + 1}]\n${ls.join("\n")}`).join("\n\n");
  t.equal(Number(m![1]), whole.length, "the note gives the length of all of its text");
  t.ok(whole.startsWith(kept), "what she reads is the text's beginning, unchanged");
  t.notMatch(text, /Page 30 line 40/, "the end is not there");
});

t.test("a damaged PDF throws an error saying the PDF could not be read; the library's words go to the log", async (t) => {
  const ctx = perceptionContext();
  const garbage = await pdfPlugin.perceive(incoming(t, "broken.pdf", "%PDF-1.7\nthis is not really a pdf at all\n"), ctx).catch((e) => e);
  t.ok(garbage instanceof Error);
  t.equal(garbage.message, "the PDF could not be read: it is damaged or is not really a PDF.");
  t.match(ctx.logs, [{ level: "warn", msg: /could not read/, fields: { file: "broken.pdf", error: /InvalidPDF/ } }]);

  const real = pdf([["one"], ["two"]]);
  const cut = await read(t, "half.pdf", real.subarray(0, Math.floor(real.length / 3))).catch((e) => e);
  t.match(cut.message, /^the PDF could not be read/, "a download cut short");
});

t.test("the daemon keeps the library's words in its log, as fields: attaching a damaged PDF", async (t) => {
  const { d, id } = await living(t);
  const form = new FormData();
  form.append("file", new Blob(["%PDF-1.7\nthis is not really a pdf at all\n"]), "broken.pdf");
  const r = await d.api("POST", `/api/persona/${id}/attach`, form);
  t.equal(r.status, 400, JSON.stringify(r.body));
  t.match(r.body.detail, /the PDF could not be read/);
  // pino writes the log file asynchronously: wait for the line, and fail if it never comes.
  const file = path.join(d.home, "logs", "eternego.log");
  const lines = () => {
    const text = fs.readFileSync(file, "utf8");
    // Whole lines only: the last one may be half written.
    return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  };
  const line = await waitFor("the plugin's warning in eternego.log", () => lines().find((l) => l.plugin === "pdf" && l.file === "broken.pdf"));
  t.match(line, { level: 40, plugin: "pdf", persona: id, msg: /could not read/, file: "broken.pdf", error: /InvalidPDF/ }, "PDF.js's reason is in the daemon's log, as its own field");
});
