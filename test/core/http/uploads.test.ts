import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { waitFor } from "../../fixtures/plugins-host/net.js";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/plugins-host");
const TEXT = path.join(FIXTURES, "text-reader.js"); // .note, no organ, maxBytes 1024, sniff: no NUL byte
const VISION = path.join(FIXTURES, "vision-eyes.js"); // .eyes, needs vision

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function setup(t: Test): Promise<TestDaemon & { id: string }> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t, { plugins: [TEXT, VISION] });
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  return { ...d, id: created.body.persona.id };
}

function form(parts: Record<string, [content: string | Uint8Array, fileName: string] | string>): FormData {
  const f = new FormData();
  for (const [field, v] of Object.entries(parts)) {
    if (typeof v === "string") f.append(field, v);
    else f.append(field, new Blob([v[0]]), v[1]);
  }
  return f;
}

function isDetail(t: Test, body: unknown, what: string) {
  t.same(Object.keys(body as object), ["detail"], `${what}: body is exactly {detail}`);
}

/** Every regular file under `dir` with its size. */
function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(p, fs.statSync(p).size);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

t.test("the 415 rule, 413, 422 and the order of checks on /attach, /hear, /feed", async (t) => {
  const { api, id, home } = await setup(t);
  const attach = (f: FormData | string, headers?: Record<string, string>, who = id) => api("POST", `/api/persona/${who}/attach`, f, headers);

  const exe = await attach(form({ file: ["MZ\x90\x00", "setup.exe"] }));
  t.equal(exe.status, 415, "an extension no plugin declares");
  isDetail(t, exe.body, ".exe");
  t.match(exe.body.detail, /'\.exe'/, "the detail names the extension");
  t.match(exe.body.detail, /\.eyes, .*\.note, .*\.txt/, "…and lists the accepted ones, the fixtures' and the built-ins'");
  t.match(exe.body.detail, /\.pdf\b.*\.png\b.*\.wav\b/, "…every built-in kind among them");

  const upper = await attach(form({ file: ["MZ", "SETUP.EXE"] }));
  t.equal(upper.status, 415, "extension check is case-insensitive");
  const noExt = await attach(form({ file: ["hello", "README"] }));
  t.equal(noExt.status, 415, "a file without extension");

  const media = path.join(home, "personas", id, "home", "media");
  const ok = await attach(form({ file: ["hello, Ada", "note.note"], caption: "for you" }));
  t.equal(ok.status, 202, "a .note under the limit passes every check");
  t.match(ok.body, { status: "received", id: String, perceived: [{ file: "note.note", kind: "text-reader", text: "note.note: hello, Ada" }] });
  t.equal(ok.body.perceived.length, 1);
  t.same(fs.readdirSync(media), [ok.body.perceived[0].media], "kept under media/, and only it");
  t.equal(fs.readFileSync(path.join(media, ok.body.perceived[0].media), "utf8"), "hello, Ada", "with its content");
  const okUpper = await attach(form({ file: ["hi", "NOTE.NOTE"] }));
  t.equal(okUpper.status, 202, "upper-case .NOTE is the same capability");
  t.match(okUpper.body.perceived, [{ file: "NOTE.NOTE", kind: "text-reader", text: "NOTE.NOTE: hi" }]);
  const exact = await attach(form({ file: [new Uint8Array(1024).fill(0x61), "exact.note"] }));
  t.equal(exact.status, 202, "exactly maxBytes is allowed");
  t.equal(fs.statSync(path.join(media, exact.body.perceived[0].media)).size, 1024, "and kept whole");
  const kept = fs.readdirSync(media).length;
  t.equal(kept, 3, "three accepted uploads, three kept files");

  const binary = await attach(form({ file: [new Uint8Array([0x68, 0x00, 0x69]), "binary.note"] }));
  t.equal(binary.status, 400, "content the plugin's sniff refuses");
  isDetail(t, binary.body, "400 sniff");
  t.match(binary.body.detail, /'binary\.note'/, "the detail names the file");

  const big = await attach(form({ file: [new Uint8Array(1025), "big.note"] }));
  t.equal(big.status, 413, "one byte over maxBytes");
  isDetail(t, big.body, "413");
  t.match(big.body.detail, /1024/, "the detail names the limit");

  const png = await attach(form({ file: [new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "photo.eyes"] }));
  t.equal(png.status, 415, "an .eyes file needs a vision organ she lacks");
  isDetail(t, png.body, ".eyes");
  t.match(png.body.detail, /vision/, "the detail names the organ to add");
  t.match(png.body.detail, /vision-eyes/, "…and the plugin that needs it");

  const second = await attach(form({ file: ["fine", "a.note"], other: ["x", "b.exe"] }));
  t.equal(second.status, 422, "an undeclared file field");
  const mixed = new FormData();
  mixed.append("file", new Blob(["fine"]), "a.note");
  mixed.append("file", new Blob(["MZ"]), "b.exe");
  const mixedReply = await attach(mixed);
  t.equal(mixedReply.status, 415, "a later part with a refused extension refuses the whole upload");

  const missing = await attach(form({ caption: "no file" }));
  t.equal(missing.status, 422, "missing file part");
  t.ok(Array.isArray(missing.body.detail), "422 detail is a list of field errors");
  t.same(missing.body.detail[0].loc, ["body", "file"]);

  const notMultipart = await api("POST", `/api/persona/${id}/attach`, { file: "note.txt" });
  t.equal(notMultipart.status, 422, "a JSON body is not multipart");
  t.same(notMultipart.body.detail[0].loc, ["body"]);
  const noBody = await api("POST", `/api/persona/${id}/attach`);
  t.equal(noBody.status, 422, "no body at all");

  const hear = await api("POST", `/api/persona/${id}/hear`, form({ audio: ["words", "note.txt"] }));
  t.equal(hear.status, 415, "/hear refuses a .txt");
  isDetail(t, hear.body, "/hear .txt");
  t.match(hear.body.detail, /audio/);
  const hearExe = await api("POST", `/api/persona/${id}/hear`, form({ audio: ["MZ", "voice.exe"] }));
  t.equal(hearExe.status, 415, "/hear refuses an unknown extension");

  const feed = await api("POST", `/api/persona/${id}/feed`, form({ history: ["%PDF-1.7", "export.pdf"] }));
  t.equal(feed.status, 415, "/feed refuses a .pdf");
  isDetail(t, feed.body, "/feed .pdf");
  t.match(feed.body.detail, /\.zip or \.json/);
  const feedOk = await api("POST", `/api/persona/${id}/feed`, form({ history: ["{}", "conversations.json"] }));
  t.equal(feedOk.status, 400, "/feed takes a .json past its checks, then finds it is not an export");
  t.match(feedOk.body.detail, /not a list of conversations/);
  t.equal(fs.readdirSync(media).length, kept, "no refused upload was kept in her media");

  const unknown = crypto.randomUUID();
  const notFound = await attach(form({ file: ["MZ", "setup.exe"] }), undefined, unknown);
  t.equal(notFound.status, 404, "404 comes before the body is judged");
  isDetail(t, notFound.body, "404");

  t.same((await api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  for (const [route, field, name] of [["attach", "file", "setup.exe"], ["attach", "file", "note.note"], ["hear", "audio", "note.wav"], ["feed", "history", "x.pdf"]] as const) {
    const r = await api("POST", `/api/persona/${id}/${route}`, form({ [field]: ["bytes", name] }));
    t.equal(r.status, 409, `stopped: /${route} with ${name} answers 409 before judging the file`);
    isDetail(t, r.body, `409 /${route}`);
  }
  t.equal((await attach("not multipart at all", { "content-type": "text/plain" })).status, 409, "…and before judging the body's type");

  // Kept files are removed once the response is out: nothing is left in tmp.
  await waitFor("upload temp files to be removed", () => [...filesUnder(path.join(home, "tmp")).keys()].length === 0);
  t.same([...filesUnder(path.join(home, "tmp")).keys()], [], "no upload left behind in tmp/");
});

t.test("capabilities reflect the loaded fixture plugins", async (t) => {
  const { api, id } = await setup(t);
  const all = await api("GET", "/api/capabilities");
  t.equal(all.status, 200);
  const fixtures = all.body.capabilities.filter((c: { plugin: string }) => ["vision-eyes", "text-reader"].includes(c.plugin));
  t.same(fixtures, [
    { extension: ".eyes", plugin: "vision-eyes", organ: "vision", max_bytes: 10 * MiB, mime_types: [] },
    { extension: ".note", plugin: "text-reader", organ: null, max_bytes: 1024, mime_types: [] },
  ]);
  t.match(all.body.capabilities, [{ extension: ".csv", plugin: "reading", organ: null }], "beside the built-ins");
  const hers = await api("GET", `/api/persona/${id}/capabilities`);
  t.equal(hers.status, 200);
  const available = Object.fromEntries(hers.body.capabilities.map((c: { extension: string; available: boolean }) => [c.extension, c.available]));
  t.match(available, { ".eyes": false, ".note": true, ".png": false, ".wav": false, ".txt": true, ".pdf": true }, "what needs an organ she lacks is unavailable to her");
  t.equal((await api("GET", `/api/persona/${crypto.randomUUID()}/capabilities`)).status, 404);
  const plugins = await api("GET", "/api/plugins");
  const byName = Object.fromEntries(plugins.body.plugins.map((p: { name: string }) => [p.name, p]));
  t.match(byName["text-reader"], { kind: "perception", state: "loaded", builtin: false, declares: { extensions: [".note"], organ: null, max_bytes: 1024 } });
  t.match(byName["vision-eyes"], { kind: "perception", state: "loaded", declares: { extensions: [".eyes"], organ: "vision" } });
});

interface HugeResult {
  status: number | null;
  body: any;
  /** Bytes the client handed to the socket before it stopped. */
  written: number;
  elapsed: number;
  clientError: string | null;
  /** The daemon closed the connection after answering (it does not drain the rest). */
  serverClosed: boolean;
}

/**
 * Streams a multipart body announcing `size` bytes of zeros in one file part, writing with
 * backpressure, and stops as soon as the response arrives or the connection fails.
 */
function streamHuge(url: string, urlPath: string, fileName: string, size: number): Promise<HugeResult> {
  const boundary = `----eternego-${crypto.randomUUID()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(MiB);
  const started = Date.now();
  const u = new URL(url);
  return new Promise((resolve) => {
    let written = 0;
    let status: number | null = null;
    let body: any = null;
    let clientError: string | null = null;
    let settled = false;
    let responded = false;
    let serverClosed = false;
    let elapsed = 0;
    let wake: (() => void) | null = null;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve({ status, body, written, elapsed: elapsed || Date.now() - started, clientError, serverClosed });
    };
    const deadline = setTimeout(() => {
      clientError ??= "no response within 30 s";
      finish();
    }, 30_000);
    const req = http.request({
      host: u.hostname, port: u.port, method: "POST", path: urlPath,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(head.length + size + tail.length) },
    });
    req.on("response", (res) => {
      responded = true;
      status = res.statusCode ?? null;
      wake?.();
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        elapsed = Date.now() - started;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        // Wait (briefly) for the daemon to close the connection on its side.
        const socket = req.socket;
        if (!socket || socket.destroyed || socket.readableEnded) {
          serverClosed = true;
          return finish();
        }
        const closed = () => {
          serverClosed = true;
          finish();
        };
        socket.once("end", closed);
        socket.once("close", closed);
        setTimeout(finish, 2_000);
      });
      res.on("error", (err) => {
        clientError ??= `response: ${err.message}`;
        finish();
      });
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      // EPIPE / ECONNRESET once the server has answered and closed is expected.
      clientError ??= err.code ?? err.message;
      wake?.();
      // Give a response that is already on its way a moment to be read.
      setTimeout(finish, responded ? 1_000 : 200);
    });
    req.on("close", () => wake?.());
    void (async () => {
      req.write(head);
      while (written < size && !responded && clientError === null && !settled) {
        const n = Math.min(chunk.length, size - written);
        const more = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        written += n;
        if (!more) {
          await new Promise<void>((r) => {
            wake = r;
            req.once("drain", r);
          });
          wake = null;
          req.removeAllListeners("drain");
        }
      }
      if (written >= size && !responded && clientError === null) req.end(tail);
    })();
  });
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Large files modified since `since` anywhere a few levels under `dir` (other tests may share it). */
function largeNewFiles(dir: string, since: number, minSize: number, depth = 4): string[] {
  const out: string[] = [];
  const walk = (d: string, left: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      try {
        if (e.isDirectory() && left > 0) walk(p, left - 1);
        else if (e.isFile()) {
          const st = fs.statSync(p);
          if (st.size >= minSize && st.mtimeMs >= since) out.push(`${p} (${st.size} bytes)`);
        }
      } catch {
        // vanished meanwhile
      }
    }
  };
  walk(dir, depth);
  return out;
}

t.test("a 1 GiB upload of an unknown kind is refused before its body is read or written", async (t) => {
  const { url, id, home } = await setup(t);
  const tmp = os.tmpdir();
  const homeBefore = filesUnder(home);
  const tmpFreeBefore = freeBytes(tmp);
  const homeFreeBefore = freeBytes(home);
  const rssBefore = process.memoryUsage().rss;
  const since = Date.now() - 1_000;

  const r = await streamHuge(url, `/api/persona/${id}/attach`, "big.bin", GiB);
  t.comment(`status ${r.status}, ${(r.written / MiB).toFixed(1)} MiB written by the client in ${r.elapsed} ms, client error: ${r.clientError}, server closed: ${r.serverClosed}`);

  t.equal(r.status, 415, "answered 415");
  t.same(Object.keys(r.body ?? {}), ["detail"], "with exactly {detail}");
  t.match(r.body?.detail, /'\.bin'/, "naming the extension");
  t.ok(r.elapsed < 5_000, `answered in ${r.elapsed} ms, far below reading 1 GiB`);
  t.ok(r.written < 64 * MiB, `the client could push only ${(r.written / MiB).toFixed(1)} MiB before the daemon stopped reading`);
  t.ok(r.serverClosed, "the daemon closed the connection instead of draining the rest");

  const homeAfter = filesUnder(home);
  const grown = [...homeAfter].filter(([p, size]) => size > (homeBefore.get(p) ?? 0)).map(([p, size]) => `${path.relative(home, p)} ${size}`);
  t.ok(total(homeAfter) - total(homeBefore) < 64 * 1024, `ETERNEGO_HOME did not grow (changed: ${grown.join(", ") || "nothing"})`);
  t.same([...filesUnder(path.join(home, "tmp")).keys()], [], "nothing under $ETERNEGO_HOME/tmp");
  t.same(largeNewFiles(tmp, since, 16 * MiB), [], "no large new file in the OS tmpdir");
  t.ok(tmpFreeBefore - freeBytes(tmp) < 256 * MiB, "the OS tmpdir's disk did not fill by anything near 1 GiB");
  t.ok(homeFreeBefore - freeBytes(home) < 256 * MiB, "nor did the home's disk");
  t.ok(process.memoryUsage().rss - rssBefore < 256 * MiB, "the body was not buffered in memory either");

  // The daemon is fine afterwards, and the same route still works.
  const after = await fetch(`${url}/api/persona/${id}`);
  t.equal(after.status, 200, "the daemon still answers");
  const f = new FormData();
  f.append("file", new Blob(["still here"]), "note.note");
  const good = await fetch(`${url}/api/persona/${id}/attach`, { method: "POST", body: f });
  t.equal(good.status, 202, "and still takes a good upload");
  const goodBody = (await good.json()) as { perceived: { media: string; text: string }[] };
  t.match(goodBody.perceived, [{ text: "note.note: still here" }]);
  const media = path.join(home, "personas", id, "home", "media");
  t.same(fs.readdirSync(media), [goodBody.perceived[0]!.media], "the good upload is the only file in her media/");
});

t.test("a 1 GiB .note over its 1 KiB limit is cut off at the limit (413)", async (t) => {
  const { url, id, home } = await setup(t);
  const homeBefore = total(filesUnder(home));
  const r = await streamHuge(url, `/api/persona/${id}/attach`, "huge.note", GiB);
  t.comment(`status ${r.status}, ${(r.written / MiB).toFixed(1)} MiB written by the client in ${r.elapsed} ms, client error: ${r.clientError}, server closed: ${r.serverClosed}`);
  t.equal(r.status, 413, "answered 413");
  t.same(Object.keys(r.body ?? {}), ["detail"]);
  t.ok(r.elapsed < 5_000, `answered in ${r.elapsed} ms`);
  t.ok(r.written < 64 * MiB, `the client pushed only ${(r.written / MiB).toFixed(1)} MiB`);
  t.ok(r.serverClosed, "the daemon closed the connection");
  await waitFor("the partial upload to be removed", () => filesUnder(path.join(home, "tmp")).size === 0);
  t.ok(total(filesUnder(home)) - homeBefore < 64 * 1024, "ETERNEGO_HOME did not grow");
  t.same([...filesUnder(path.join(home, "personas", id, "home", "media")).keys()], [], "nothing was kept in her media/");
});
