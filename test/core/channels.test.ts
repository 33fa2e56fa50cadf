import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { newCode } from "../../core/channels/link.js";
import { splitText } from "../../core/channels/split.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon } from "../helpers/daemon.js";

// Her channels through the API, with the test channel plugin (its token check is the whole
// of its platform): added, refused in words that name what to fix, removed, and pairing's
// refusals. Whole conversations over real platforms are in test/channels/.

const FAKECHAT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/plugins/fake-channel.ts");

async function her(t: Test) {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t, { plugins: [FAKECHAT] });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  return { d, id: r.body.persona.id as string };
}

t.test("add, list, replace and remove a channel; credentials only in secrets.json", async (t) => {
  const { d, id } = await her(t);
  const listed = await d.api("GET", `/api/persona/${id}/channels`);
  t.same(listed.body.channels, [{ type: "web", name: "web", verified: true, state: "connected", detail: null, retry_at: null }], "the web channel is always there");

  const added = await d.api("POST", `/api/persona/${id}/channels`, { type: "fakechat", credentials: { token: "good-token-secret-1", room: "lobby" } });
  t.equal(added.status, 201, JSON.stringify(added.body));
  t.match(added.body.channel, { type: "fakechat", name: "@bot-secret-1", verified: false });
  t.notMatch(JSON.stringify(added.body), /good-token/, "no token in the answer");
  const dir = path.join(d.home, "personas", id);
  t.notMatch(fs.readFileSync(path.join(dir, "persona.json"), "utf8"), /good-token/, "nor in persona.json");
  t.same(JSON.parse(fs.readFileSync(path.join(dir, "secrets.json"), "utf8")).channels.fakechat, { token: "good-token-secret-1", room: "lobby" });
  t.equal((await d.api("GET", `/api/persona/${id}`)).body.persona.channels.length, 2, "the persona view has it");

  const again = await d.api("POST", `/api/persona/${id}/channels`, { type: "fakechat", credentials: { token: "good-token-secret-2" } });
  t.equal(again.status, 201, "adding a type she has replaces its credentials");
  t.equal((await d.api("GET", `/api/persona/${id}/channels`)).body.channels.filter((c: { type: string }) => c.type === "fakechat").length, 1, "still one of it");

  const removed = await d.api("POST", `/api/persona/${id}/channels/fakechat/remove`);
  t.same(removed.body, { removed: "fakechat" });
  t.same((await d.api("GET", `/api/persona/${id}/channels`)).body.channels.map((c: { type: string }) => c.type), ["web"]);
  t.same(JSON.parse(fs.readFileSync(path.join(dir, "secrets.json"), "utf8")).channels, {}, "its credentials are gone");
  t.equal((await d.api("POST", `/api/persona/${id}/channels/fakechat/remove`)).status, 404, "removing it twice: 404");
});

t.test("refusals say what to fix: unknown type, missing or unknown credential, a refused token, the web", async (t) => {
  const { d, id } = await her(t);
  const add = (body: object) => d.api("POST", `/api/persona/${id}/channels`, body);
  const unknown = await add({ type: "pigeon", credentials: {} });
  t.equal(unknown.status, 400);
  t.match(unknown.body.detail, /'pigeon' is not provided by any loaded channel plugin \(available: .*fakechat/);
  const missing = await add({ type: "fakechat", credentials: {} });
  t.match(missing.body.detail, /needs 'token'/);
  const extra = await add({ type: "fakechat", credentials: { token: "good-token-x1", colour: "red" } });
  t.match(extra.body.detail, /takes no 'colour'; its credentials are 'token', 'room'/);
  const refused = await add({ type: "fakechat", credentials: { token: "bad-token-123456" } });
  t.equal(refused.status, 400);
  t.match(refused.body.detail, /^Channel 'fakechat' refused the token/);
  t.notMatch(refused.body.detail, /bad-token-123456/, "the refused token is not repeated");
  t.match((await add({ type: "web", credentials: {} })).body.detail, /always there/);
  t.match((await d.api("POST", `/api/persona/${id}/channels/web/remove`)).body.detail, /always there and cannot be removed/);
  t.equal((await add({ type: "fakechat", credentials: { token: 5 } })).status, 422, "a credential that is not text");
  t.equal((await d.api("POST", `/api/persona/00000000-0000-4000-8000-000000000000/channels`, { type: "fakechat", credentials: { token: "good-token-x1" } })).status, 404);
  t.same((await d.api("GET", `/api/persona/${id}/channels`)).body.channels.map((c: { type: string }) => c.type), ["web"], "nothing was added");
  // The name the platform gives the account is kept as a short line, whatever it sent.
  const long = await add({ type: "fakechat", credentials: { token: `good-token-${"x".repeat(900)}\n\u0007rest` } });
  t.equal(long.status, 201, JSON.stringify(long.body).slice(0, 300));
  t.equal(long.body.channel.name, `@bot-${"x".repeat(251)}`, "256 characters at most, no control characters");
  const again = await add({ type: "fakechat", credentials: { token: `good-token-${"x".repeat(900)}\n\u0007other` } });
  t.equal(again.body.channel.name, long.body.channel.name, "the same account, given again");
});

t.test("pairing: a wrong code is a 400, five in ten minutes a 429; a stopped persona 409", async (t) => {
  const { d, id } = await her(t);
  for (let i = 0; i < 5; i++) {
    const r = await d.api("POST", `/api/persona/${id}/pair`, { code: newCode() });
    t.equal(r.status, 400, `wrong code ${i + 1}: 400`);
  }
  const limited = await d.api("POST", `/api/persona/${id}/pair`, { code: newCode() });
  t.equal(limited.status, 429);
  t.match(limited.body.detail, /Too many wrong pairing codes.*try again in \d+ minutes?/);
  t.equal((await d.api("POST", `/api/persona/${id}/stop`)).status, 200);
  t.equal((await d.api("POST", `/api/persona/${id}/pair`, { code: "ABCDEFGH" })).status, 409);

  // Guesses sent at once are counted one after another: no more than five get to try.
  const { d: d2, id: id2 } = await her(t);
  const at = await Promise.all(Array.from({ length: 12 }, () => d2.api("POST", `/api/persona/${id2}/pair`, { code: newCode() })));
  t.same(at.map((r) => r.status).sort(), [...Array(5).fill(400), ...Array(7).fill(429)], "five tried, the rest refused");
  t.equal((await d.api("POST", `/api/persona/${id}/pair`, { code: "" })).status, 409, "409 comes before the body");
});

t.test("pairing codes: eight letters from the unambiguous alphabet", async (t) => {
  const codes = Array.from({ length: 500 }, newCode);
  t.ok(codes.every((c) => /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/.test(c)), "no 0, O, 1 or I");
  t.ok(new Set(codes).size > 495, "and they differ");
});

t.test("splitting her words: on paragraphs, lines, sentences, spaces; never over the limit, nothing lost", async (t) => {
  const sentence = "This is one sentence of hers. ";
  const long = sentence.repeat(200);
  const parts = splitText(long, 4096);
  t.ok(parts.every((p) => p.length <= 4096), "each part fits");
  t.ok(parts.slice(0, -1).every((p) => p.endsWith(".")), "cut after a sentence");
  t.equal(parts.join(" "), long.trim(), "nothing lost");
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i}: ${"x".repeat(20)}`).join("\n");
  const byLine = splitText(lines, 2000);
  t.ok(byLine.every((p) => p.length <= 2000 && !p.startsWith("\n")), "cut at lines");
  t.equal(byLine.join("\n"), lines);
  t.same(splitText("short", 2000), ["short"]);
  t.same(splitText("   ", 2000), [], "nothing to say is no message");
  const word = "a".repeat(5000);
  t.same(splitText(word, 2000).map((p) => p.length), [2000, 2000, 1000], "one long word is cut where it must be");
  const emoji = "😀".repeat(1500); // 3000 UTF-16 units
  const e = splitText(emoji, 2001);
  t.ok(e.every((p) => !/[\ud800-\udbff]$/.test(p)), "never between the halves of a character");
  t.equal(e.join(""), emoji);
});
