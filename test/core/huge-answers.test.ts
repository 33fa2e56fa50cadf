import http from "node:http";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import { BodyTooLarge, lineReader, MAX_ANSWER_BYTES, readHead, readText } from "../../core/api/index.js";
import { sseParser as anthropicSse } from "../../organs/anthropic/src/sse.js";
import { sseParser as openaiSse } from "../../organs/openai/src/sse.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon } from "../helpers/daemon.js";

// A server that answers with more than any answer can be (a broken proxy, a hostile server
// named as a provider's or a platform's url): a body of a few GiB read whole would end the
// daemon (V8 cannot make such a string). Each is refused once it passes 16 MiB, with a 400.

/** Answers every request with `bytes` of a JSON string that never closes, with or without saying its length. */
async function hostile(t: Test, bytes: number, declare: boolean) {
  let served = 0;
  const chunk = Buffer.alloc(1 << 20, 97);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", ...(declare ? { "content-length": String(bytes) } : {}) });
    let sent = 0;
    const more = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        served += n;
        if (!res.write(chunk.subarray(0, n))) return void res.once("drain", more);
      }
      res.end();
    };
    res.write('{"ok":true,"result":{"username":"');
    more();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served: () => served };
}

const TOO_MUCH = MAX_ANSWER_BYTES + (1 << 20);

t.test("an organ's server answering too much: create is a 400 that says so, and the daemon goes on", async (t) => {
  const d = await startDaemon(t);
  for (const declare of [false, true]) {
    const s = await hostile(t, declare ? 3 * 1024 ** 3 : TOO_MUCH, declare);
    for (const organ of [
      { provider: "ollama", model: "llama3.2", url: s.url },
      { provider: "openai", model: "gpt-4o-mini", url: `${s.url}/v1`, api_key: "sk-test-not-real-0001" },
      { provider: "anthropic", model: "claude-sonnet-4-5", url: s.url, api_key: "sk-ant-test-not-real-0001" },
    ]) {
      const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: organ } });
      t.equal(r.status, 400, `${organ.provider}${declare ? ", 3 GiB declared" : ""}: ${JSON.stringify(r.body).slice(0, 300)}`);
      t.match(r.body.detail, /larger than 16 MB/, `${organ.provider}: says why`);
    }
    t.ok(s.served() < 4 * TOO_MUCH, `not read on past the bound (${Math.round(s.served() / 2 ** 20)} MiB served)`);
  }
  t.equal((await d.api("GET", "/api/personas")).status, 200, "the daemon still answers");
});

t.test("a platform's server answering too much: adding the channel is a 400 naming it", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const id = (await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).body.persona.id;
  const s = await hostile(t, TOO_MUCH, false);
  const telegram = await d.api("POST", `/api/persona/${id}/channels`, { type: "telegram", credentials: { token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", api_url: s.url } });
  t.equal(telegram.status, 400, JSON.stringify(telegram.body).slice(0, 300));
  t.match(telegram.body.detail, /telegram.*larger than 16 MB/i);
  const discord = await d.api("POST", `/api/persona/${id}/channels`, { type: "discord", credentials: { token: "MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB", api_url: s.url } });
  t.equal(discord.status, 400, JSON.stringify(discord.body).slice(0, 300));
  t.match(discord.body.detail, /discord.*larger than 16 MB/i);
  t.equal((await d.api("GET", `/api/persona/${id}`)).body.persona.state, "running", "and she goes on");
});

t.test("readText and lineReader: bounded, and whole below the bound", async (t) => {
  const res = (body: string, headers: Record<string, string> = {}) => new Response(body, { headers });
  t.equal(await readText(res("héllo ☃"), 64), "héllo ☃", "UTF-8, whole");
  await t.rejects(readText(res("x".repeat(65)), 64), BodyTooLarge, "past the bound");
  await t.rejects(readText(res("x", { "content-length": "100" }), 64), { name: "BodyTooLarge", limit: 64 }, "refused on the length it declares");
  // Compressed, the length it declares is the compressed one: what it unpacks to is what counts.
  const bomb = gzipSync(Buffer.alloc(1 << 20, 97));
  t.ok(bomb.length < 64 * 1024, `a small gzip (${bomb.length} bytes) of 1 MiB`);
  const served = http.createServer((_q, r) => void r.writeHead(200, { "content-encoding": "gzip", "content-length": String(bomb.length) }).end(bomb));
  await new Promise<void>((r) => served.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => served.close(() => r())));
  const url = `http://127.0.0.1:${(served.address() as AddressInfo).port}`;
  await t.rejects(readText(await fetch(url), 256 * 1024), BodyTooLarge, "a gzip that unpacks past the bound is refused");
  t.equal((await readText(await fetch(url), 2 << 20)).length, 1 << 20, "and read whole within it");
  const lines: string[] = [];
  const reader = lineReader((l) => lines.push(l), 8);
  reader.feed(new TextEncoder().encode("short\nok"));
  t.same(lines, ["short"]);
  t.throws(() => reader.feed(new TextEncoder().encode("and this never ends")), BodyTooLarge, "a line that never ends is refused");
});

t.test("an error body's reason is read from its beginning, however long it is", async (t) => {
  const long = new Response(`{"detail": "${"x".repeat(200_000)}"}`);
  t.equal(await readHead(long, 13), '{"detail": "x', "the first bytes, the rest not read");
  t.equal(await readHead(new Response("short"), 64), "short");
  t.equal(await readHead(new Response(null), 64), "");
});

t.test("a server-sent event that never ends (data lines with no blank line) is refused, for both providers' parsers", async (t) => {
  const line = new TextEncoder().encode(`data: ${"y".repeat(1 << 20)}\n`);
  for (const [name, parser] of [["openai", openaiSse(() => {})], ["anthropic", anthropicSse(() => {})]] as const) {
    t.throws(() => {
      for (let i = 0; i * line.length <= MAX_ANSWER_BYTES + line.length; i++) parser.feed(line);
    }, BodyTooLarge, `${name}: refused past 16 MiB`);
  }
  const events: string[] = [];
  const ok = openaiSse((d) => events.push(d));
  for (let i = 0; i < 20; i++) ok.feed(new TextEncoder().encode(`data: ${"z".repeat(1 << 20)}\n\n`));
  t.equal(events.length, 20, "while twenty events of 1 MiB each, each ended, pass");
});
