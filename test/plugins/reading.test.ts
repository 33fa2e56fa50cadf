import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import reading from "../../plugins/reading/index.js";
import { perceptionSchema } from "../../core/plugin-schemas.js";
import { loadPlugins } from "../../core/plugin-host.js";
import { incoming, perceptionContext } from "../fixtures/files/incoming.js";
import { pdf, png, wav } from "../fixtures/files/samples.js";

const read = (t: Parameters<typeof incoming>[0], name: string, content: string | Uint8Array) => reading.perceive(incoming(t, name, content), perceptionContext());
const CUT = /\n\[… cut: the file has (\d+) characters\]$/;

t.test("the descriptor is valid and declares text-like files, no organ and 5 MiB", async (t) => {
  const { error } = perceptionSchema.validate(reading, { abortEarly: false });
  t.equal(error, undefined, error?.message ?? "valid");
  t.same(reading.extensions, [".txt", ".md", ".csv", ".tsv", ".json", ".yaml", ".yml", ".xml", ".html", ".log"]);
  t.equal(reading.organ, null);
  t.equal(reading.maxBytes, 5 * 1024 * 1024);
  t.equal(reading.version, "1.0.0");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-reading-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = await loadPlugins(home, []);
  t.match(registry.records.find((r) => r.name === "reading"), { kind: "perception", state: "loaded", builtin: true });
  for (const ext of reading.extensions) t.equal(registry.capabilities.get(ext)?.name, "reading", `${ext} is reading's`);
});

t.test("sniff: UTF-8 text passes (BOM, accents, a character cut at the end of the head); binary does not", async (t) => {
  const sniff = reading.sniff!;
  t.ok(sniff(Buffer.from("plain ascii, a,b,c\n1,2,3\n")), "ASCII");
  t.ok(sniff(Buffer.from("Ça va, Zoë? — 日本語 🌱")), "multi-byte UTF-8");
  t.ok(sniff(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("with a BOM")])), "a byte order mark");
  const accents = Buffer.from("é".repeat(3000)); // 6000 bytes: the head ends inside a character
  t.ok(sniff(accents.subarray(0, 4101 - 2)), "a head that ends in the middle of a character");
  t.ok(sniff(new Uint8Array(0)), "an empty file is text");
  t.notOk(sniff(png()), "a PNG named .txt");
  t.notOk(sniff(wav()), "a WAV named .txt (NUL bytes)");
  t.notOk(sniff(Buffer.from("looks like text\0but has a NUL")), "a NUL byte");
  t.notOk(sniff(Buffer.from("caf\xe9 in Latin-1", "latin1")), "Latin-1 is not UTF-8");
  t.notOk(sniff(Buffer.from([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00])), "UTF-16 (has NULs)");
  t.ok(sniff(pdf([["x"]]).subarray(0, 9)), "the ASCII start of a PDF is text…");
  t.notOk(sniff(pdf([["x"]])), "…but a PDF's binary comment line is not");
});

t.test("perceive: the text as written, introduced by the file's name and kind", async (t) => {
  const notes = "Shopping:\n- apples\n- bread\n\nCall Ana on Friday.";
  t.equal((await read(t, "notes.md", notes)).text, `notes.md (Markdown):\n\n${notes}`);
  const csv = "name,age\nAda,36\nZoë,7\n";
  t.equal((await read(t, "people.csv", csv)).text, "people.csv (CSV table):\n\nname,age\nAda,36\nZoë,7");
  const json = '{"a": [1, 2, {"b": "c"}]}';
  t.equal((await read(t, "data.json", json)).text, `data.json (JSON):\n\n${json}`);
  t.equal((await read(t, "conf.yml", "a: 1\nb: [x, y]\n")).text, "conf.yml (YAML):\n\na: 1\nb: [x, y]");
  t.equal((await read(t, "bom.txt", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("hello")]))).text, "bom.txt (text):\n\nhello", "the BOM is not part of the text");
  t.equal((await read(t, "empty.log", "")).text, "empty.log (log): the file is empty.");
  t.equal((await read(t, "blank.txt", " \n\n  ")).text, "blank.txt (text): the file is empty.");
});

t.test("perceive: a web page becomes the words a person reads on it", async (t) => {
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>Tea &amp; biscuits</title>
<style>body { color: red; } .secret { display: none }</style>
<script>var token = "do-not-read-me"; if (a < b) alert(1);</script></head>
<body>
  <!-- a comment nobody sees -->
  <h1>Recipe</h1>
  <p>Boil the water&nbsp;at 100&#176;C &mdash; then <b>steep</b> for 3&#x2009;minutes.</p>
  <ul><li>Black tea</li><li>Milk</li></ul>
  <table><tr><th>Step</th><th>Time</th></tr><tr><td>Steep</td><td>3 min</td></tr></table>
  <p>Line one<br>Line two, which the
     source wraps</p>
  <noscript>Enable JavaScript</noscript>
</body></html>`;
  const { text } = await read(t, "recipe.html", html);
  t.equal(
    text,
    "recipe.html (web page, as text):\n\nTea & biscuits\n\nRecipe\n\nBoil the water at 100°C — then steep for 3\u2009minutes.\n\n- Black tea\n- Milk\n\nStep | Time\nSteep | 3 min\n\nLine one\nLine two, which the source wraps",
  );
  t.notMatch(text, /do-not-read-me|color: red|comment nobody|Enable JavaScript|</, "no script, style, comment, noscript or markup");
  t.equal((await read(t, "feed.xml", "<a>1 &amp; 2</a>")).text, "feed.xml (XML):\n\n<a>1 &amp; 2</a>", "XML is kept as it is written");
});

t.test("the cap: at most 60,000 characters reach her mind, and she is told the file's length", async (t) => {
  const exact = "a".repeat(60_000);
  t.equal((await read(t, "exact.txt", exact)).text, `exact.txt (text):\n\n${exact}`, "60,000 characters are not cut");

  const long = Array.from({ length: 7000 }, (_, i) => `line ${String(i).padStart(4, "0")}`).join("\n"); // 69,999 characters
  const { text } = await read(t, "long.log", long);
  const m = CUT.exec(text);
  t.ok(m, "ends with the cut note");
  t.equal(Number(m![1]), long.length, "the note gives the whole file's length");
  const kept = text.slice("long.log (log):\n\n".length, m!.index);
  t.equal(kept.length, 60_000);
  t.ok(long.startsWith(kept), "what she reads is the beginning of the file, unchanged");
  t.notMatch(text, /line 6999/);

  const emoji = "x".repeat(59_999) + "🌱" + "y".repeat(100); // the 60,000th unit is half the emoji
  const cut = (await read(t, "e.txt", emoji)).text;
  t.match(cut, /x\n\[… cut: the file has 60101 characters\]$/, "half an emoji is dropped, not kept");
});

t.test("a file that is not UTF-8 past its head is refused with a reason", async (t) => {
  const bytes = Buffer.concat([Buffer.from("a".repeat(5000)), Buffer.from("caf\xe9", "latin1")]);
  t.ok(reading.sniff!(bytes.subarray(0, 4100)), "the head alone looks like text");
  const err = await read(t, "mixed.txt", bytes).catch((e) => e);
  t.match(err.message, /not UTF-8 text throughout/);
  const nul = await read(t, "nul.txt", Buffer.concat([Buffer.from("a".repeat(5000)), Buffer.from([0])])).catch((e) => e);
  t.match(nul.message, /binary data/);
});
