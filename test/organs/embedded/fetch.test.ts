import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import t, { type Test } from "tap";
import type { OrganProgressEvent } from "../../../core/api/events.js";
import { parseRef } from "../../../organs/embedded/src/reference.js";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { connect } from "../../fixtures/plugins-host/net.js";
import { startDaemon, tempHome, type TestDaemon } from "../../helpers/daemon.js";
import { until } from "../../mind/helpers.js";

// Fetching a model once into $ETERNEGO_HOME/models, from a local server that serves the generated file.

const model = writeTinyGguf({ name: "served" });
const bytes = fs.readFileSync(model.path);
const sha = createHash("sha256").update(bytes).digest("hex");
t.teardown(() => fs.rmSync(path.dirname(model.path), { recursive: true, force: true }));

interface Seen {
  path: string;
  range: string | undefined;
}

/**
 * The file server: `/<name>.gguf` serves the model (Range honoured, its SHA-256 as ETag);
 * `/drop-<n>/…` cuts the first `n` answers off halfway; `/bad-sum/…` names a wrong SHA-256;
 * `/page/…` is an HTML page; `/redirect/…` answers like Hugging Face's resolve URLs (a 302
 * naming the SHA-256 and size, to a CDN URL without them).
 */
async function fileServer(t: Test) {
  const seen: Seen[] = [];
  const drops = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    seen.push({ path: url, range: req.headers.range });
    if (url.startsWith("/page/")) return void res.writeHead(200, { "content-type": "text/html" }).end("<!DOCTYPE html><html><body>Sign in to download</body></html>");
    if (url.startsWith("/missing/")) return void res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
    if (url.startsWith("/redirect/")) {
      return void res.writeHead(302, { location: `/cdn/${url.slice("/redirect/".length)}?signed=1`, "x-linked-etag": `"${sha}"`, "x-linked-size": String(bytes.length) }).end();
    }
    const etag = url.startsWith("/bad-sum/") ? `"${"0".repeat(64)}"` : url.startsWith("/cdn/") ? undefined : `"${sha}"`;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const from = m ? Number(m[1]) : 0;
    const body = bytes.subarray(from);
    const head: http.OutgoingHttpHeaders = { "content-type": "application/octet-stream", "content-length": body.length, "accept-ranges": "bytes", ...(etag ? { etag } : {}) };
    if (m) head["content-range"] = `bytes ${from}-${bytes.length - 1}/${bytes.length}`;
    res.writeHead(m ? 206 : 200, head);
    const drop = /^\/drop-(\d+)\//.exec(url);
    const dropped = drops.get(url) ?? 0;
    if (drop && dropped < Number(drop[1])) {
      drops.set(url, dropped + 1);
      // Closed after the half is sent (a FIN, not a reset: a reset can discard what the client has not read yet).
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.end());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function daemon(t: Test): Promise<TestDaemon & { progress: OrganProgressEvent[] }> {
  const home = tempHome();
  process.env.ETERNEGO_HOME = home;
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const d = await startDaemon(t, { home });
  const c = await connect(d.url);
  t.teardown(() => c.socket.close());
  t.equal(c.connected, true, "a socket.io client watches");
  const progress: OrganProgressEvent[] = [];
  c.socket.on("organ:progress", (e) => progress.push(e));
  return Object.assign(d, { progress });
}

const create = (d: TestDaemon, model: string, name = "Ada") => d.api("POST", "/api/persona/create", { name, organs: { thinking: { provider: "embedded", model } } });
const modelsIn = (d: TestDaemon) => (fs.existsSync(path.join(d.home, "models")) ? fs.readdirSync(path.join(d.home, "models")).sort() : []);

t.test("a URL is fetched once, with progress on socket.io, checked, and shared by every persona naming it", async (t) => {
  const s = await fileServer(t);
  const d = await daemon(t);
  const url = `${s.url}/models/served.gguf`;
  const r = await create(d, url);
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(r.body.persona.organs.thinking, { provider: "embedded", model: url, url: "http://in-process.invalid", has_key: false }, "her organ names the URL she was given");

  const local = parseRef(url, path.join(d.home, "models"), "thinking").file;
  t.same(modelsIn(d), [path.basename(local)], "one file in the models folder, no .part left");
  t.same(fs.readFileSync(local), bytes, "byte for byte what the server has");
  t.match(path.basename(local), /^served-[0-9a-f]{8}\.gguf$/);

  await until(() => d.progress.at(-1)?.status === `downloaded ${path.basename(local)}`, 5000, "the last events over socket.io");
  const downloading = d.progress.filter((e) => e.status === `downloading ${path.basename(local)}`);
  t.ok(downloading.length >= 2, `progress while it came (${downloading.length} events)`);
  t.ok(downloading.every((e, i) => e.total === bytes.length && e.completed! > 0 && (i === 0 || e.completed! >= downloading[i - 1]!.completed!)), "with growing byte counts of the whole");
  t.same(d.progress.slice(-2).map((e) => e.status), [`verified ${path.basename(local)}`, `downloaded ${path.basename(local)}`], "then verified and in place");
  for (const e of d.progress) t.match(e, { persona: null, role: "thinking", provider: "embedded", model: url });

  const gets = s.seen.length;
  const bo = await create(d, url, "Bo");
  t.equal(bo.status, 201, JSON.stringify(bo.body));
  t.equal(s.seen.length, gets, "Bo's organ uses the file already there: nothing fetched again");
});

t.test("an interrupted download resumes with Range, within one create and across two", async (t) => {
  const s = await fileServer(t);
  const d = await daemon(t);
  const once = `${s.url}/drop-1/served.gguf`;
  const r = await create(d, once);
  t.equal(r.status, 201, JSON.stringify(r.body));
  const asked = s.seen.filter((x) => x.path === "/drop-1/served.gguf");
  t.equal(asked.length, 2, "asked twice");
  t.equal(asked[0]!.range, undefined, "first from the start");
  t.equal(asked[1]!.range, `bytes=${Math.floor(bytes.length / 2)}-`, "then from where the first answer broke off");
  t.ok(d.progress.some((e) => e.status.startsWith("resuming ") && e.completed === Math.floor(bytes.length / 2)), "resuming, said with what is there");
  const local = parseRef(once, path.join(d.home, "models"), "thinking").file;
  t.same(fs.readFileSync(local), bytes, "and the file is whole");

  // A server that keeps breaking off: create fails, what came is kept, the next create resumes it.
  const often = `${s.url}/drop-4/served.gguf`;
  const failed = await create(d, often, "Bo");
  t.equal(failed.status, 400, JSON.stringify(failed.body));
  t.match(failed.body.detail, /the download broke off .* at 0\.\d MB of 0\.\d MB; what came is kept in .*\.part and the next try resumes from there\./);
  const again = await create(d, often, "Bo");
  t.equal(again.status, 201, JSON.stringify(again.body));
  const last = s.seen.filter((x) => x.path === "/drop-4/served.gguf").at(-1)!;
  t.match(last.range, /^bytes=\d+-$/, "the last request resumed");
  t.same(fs.readFileSync(parseRef(often, path.join(d.home, "models"), "thinking").file), bytes);
});

t.test("a corrupt download is refused and nothing of it is kept: wrong checksum, a web page, no such file", async (t) => {
  const s = await fileServer(t);
  const d = await daemon(t);
  const bad = await create(d, `${s.url}/bad-sum/served.gguf`);
  t.equal(bad.status, 400);
  t.match(bad.body.detail, /the downloaded file does not match its checksum \(SHA-256 [0-9a-f]{12}…, the server named 000000000000…\), so it was deleted/);
  const page = await create(d, `${s.url}/page/served.gguf`);
  t.equal(page.status, 400);
  t.match(page.body.detail, 'that is not a GGUF model file (the server sent text/html, beginning "<!DOCTYPE html><")');
  const missing = await create(d, `${s.url}/missing/served.gguf`);
  t.equal(missing.status, 400);
  t.match(missing.body.detail, `at ${s.url}/missing/served.gguf: 404 from 127.0.0.1:`);
  t.match(missing.body.detail, "there is no such file — check the link");
  t.same(modelsIn(d), [], "no file and no .part left behind");
  t.same((await d.api("GET", "/api/personas")).body.personas, []);
});

t.test("a redirect that names the checksum, as Hugging Face's do, is followed and checked", async (t) => {
  const s = await fileServer(t);
  const d = await daemon(t);
  const r = await create(d, `${s.url}/redirect/served.gguf`);
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(s.seen.map((x) => x.path.split("?")[0]), ["/redirect/served.gguf", "/cdn/served.gguf"]);
});

t.test("hf: references name the file on the repository's main branch", async (t) => {
  const ref = parseRef("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf", "/m", "thinking");
  t.same(ref, {
    kind: "remote",
    url: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    file: ref.kind === "remote" ? ref.file : "",
  });
  t.match(ref.file, /^\/m\/qwen2\.5-0\.5b-instruct-q4_k_m-[0-9a-f]{8}\.gguf$/);
  t.equal(parseRef("hf:a/b/sub/x.gguf", "/m", "thinking").kind === "remote" && (parseRef("hf:a/b/sub/x.gguf", "/m", "thinking") as { url: string }).url, "https://huggingface.co/a/b/resolve/main/sub/x.gguf", "a file in a folder of the repository");
  t.not(parseRef("https://a.example/x.gguf", "/m", "thinking").file, parseRef("https://b.example/x.gguf", "/m", "thinking").file, "two URLs never share a file");
});
