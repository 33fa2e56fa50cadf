import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import t, { type Test } from "tap";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { waitFor } from "../../fixtures/plugins-host/net.js";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.js";

// Bodies that lie: multipart cut off mid-part, compressed bodies that are not, encodings
// nobody takes. Each is the client's fault — a 4xx `{detail}` — and none may take the
// daemon down or leave anything behind.

async function setup(t: Test): Promise<TestDaemon & { id: string }> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  return { ...d, id: created.body.persona.id };
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const truncated = (field: string, name: string) =>
  Buffer.from(`--X\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\nhi`);

t.test("a multipart body cut off inside a file part is a 422 on every upload route, and the daemon lives on", async (t) => {
  const { api, id, home, url } = await setup(t);
  const media = path.join(home, "personas", id, "home", "media");
  const routes: [string, string, string][] = [
    [`/api/persona/${id}/attach`, "file", "a.txt"],
    [`/api/persona/${id}/hear`, "audio", "a.wav"],
    [`/api/persona/${id}/feed`, "history", "a.json"],
    ["/api/persona/migrate", "diary", "a.diary"],
  ];
  for (const [route, field, name] of routes) {
    for (const body of [truncated(field, name), Buffer.from(`--X\r\nContent-Disposition: form-data; name="${field}"; filen`), Buffer.from("--X\r\n")]) {
      const r = await api("POST", route, body, { "content-type": "multipart/form-data; boundary=X" });
      t.equal(r.status, 422, `${route}: ${JSON.stringify(body.toString().slice(-12))} is refused`);
      t.same(Object.keys(r.body), ["detail"], "the body is exactly {detail}");
      t.match(r.body.detail, [{ loc: ["body"], type: "multipart_invalid", msg: /Malformed multipart/ }]);
    }
  }
  t.equal((await api("GET", "/api/personas")).status, 200, "the daemon still answers");
  t.same(fs.readdirSync(media), [], "nothing was kept under her media/");
  await waitFor("upload temp files to be removed", () => filesUnder(path.join(home, "tmp")).length === 0);
  await waitFor("the refusal to reach the log", () => /Refused a malformed upload/.test(fs.readFileSync(path.join(home, "logs", "eternego.log"), "utf8")));
  t.pass("each refusal is logged");

  // A body that stops mid-way and a client that goes away: still nothing behind.
  await new Promise<void>((resolve) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: `/api/persona/${id}/attach`, headers: { "content-type": "multipart/form-data; boundary=X", "content-length": "100000" } });
    req.on("error", () => resolve());
    req.write(truncated("file", "gone.txt"));
    setImmediate(() => {
      req.destroy();
      resolve();
    });
  });
  await waitFor("an abandoned upload to be cleaned", () => filesUnder(path.join(home, "tmp")).length === 0);
  t.equal((await api("GET", "/api/personas")).status, 200, "a client gone mid-upload leaves the daemon alive");
});

t.test("a UTF-8 file name arrives as it was written", async (t) => {
  const { api, id, home } = await setup(t);
  const f = new FormData();
  f.append("file", new Blob(["Buy oat milk\n"]), "café ☃.txt");
  const r = await api("POST", `/api/persona/${id}/attach`, f);
  t.equal(r.status, 202, JSON.stringify(r.body));
  t.equal(r.body.perceived[0].file, "café ☃.txt", "shown as written, not as Latin-1 mojibake");
  t.match(r.body.perceived[0].media, /café ☃\.txt$/, "and stored under that name");
  t.ok(fs.existsSync(path.join(home, "personas", id, "home", "media", r.body.perceived[0].media)));
  const media = await api("GET", `/api/persona/${id}/media/${encodeURIComponent(r.body.perceived[0].media)}`);
  t.equal(media.status, 200, "and served by that name");
  t.match(media.headers.get("content-disposition"), /filename\*=UTF-8''.*caf%C3%A9%20%E2%98%83\.txt/);
});

t.test("a body that lies about its encoding is the client's fault: 400, or 415 for an encoding not taken", async (t) => {
  const { api, id } = await setup(t);
  const route = `/api/persona/${id}/knowledge`;
  const json = JSON.stringify({ key: "notes", content: "# My notes\n\n- milk\n" });
  const send = (body: Buffer | string, encoding: string) => api("POST", route, body, { "content-type": "application/json", "content-encoding": encoding });

  const cases: [string, Buffer | string, string, number][] = [
    ["gzip on a plain body", json, "gzip", 400],
    ["deflate on a plain body", json, "deflate", 400],
    ["br on a plain body", json, "br", 400],
    ["truncated gzip", zlib.gzipSync(json).subarray(0, 12), "gzip", 400],
    ["gzip of something that is not JSON", zlib.gzipSync("not json"), "gzip", 422],
    ["an encoding nobody takes", json, "x-squash", 415],
    ["compress", json, "compress", 415],
  ];
  for (const [what, body, encoding, status] of cases) {
    const r = await send(body, encoding);
    t.equal(r.status, status, `${what}: ${status}`);
    t.same(Object.keys(r.body), ["detail"], `${what}: exactly {detail}`);
  }
  const good = await send(zlib.gzipSync(json), "gzip");
  t.equal(good.status, 200, "a body that really is gzip is read");
  t.equal(good.body.content, "# My notes\n\n- milk\n");
  const br = await send(zlib.brotliCompressSync(json), "br");
  t.equal(br.status, 200, "…and one that really is br");

  const form = new FormData();
  form.append("file", new Blob(["x"]), "a.txt");
  const multipart = await api("POST", `/api/persona/${id}/attach`, form, { "content-encoding": "gzip" });
  t.equal(multipart.status, 415, "an upload said to be compressed is refused");
  t.match(multipart.body.detail, /uncompressed/);
  t.equal((await api("GET", "/api/personas")).status, 200, "the daemon lives on");
});
