import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import t, { type Test } from "tap";
import { startFakeOllama, type FakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { exportOf, forge, headerOf, leftovers, manifestFor, migrate, tree } from "../helpers/diary.js";
import { decide, isDecision, until } from "../mind/helpers.js";

// Her diary over HTTP (SPEC §9): written at create and on demand, opened only with her
// phrase into a fresh home where she is herself again; every damaged, edited, forged or
// wrongly opened diary refused with a 400 that says why, leaving nothing behind.

async function fakeOllama(t: Test): Promise<FakeOllama> {
  const o = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => o.close());
  return o;
}

async function create(d: TestDaemon, ollama: FakeOllama, name = "Ada"): Promise<{ id: string; phrase: string }> {
  const r = await d.api("POST", "/api/persona/create", { name, organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return { id: r.body.persona.id, phrase: r.body.recovery_phrase };
}

const dirOf = (d: TestDaemon, id: string) => path.join(d.home, "personas", id);
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, "utf8"));

/** Nothing left of a refused restore: no persona folder, no staging, no upload. */
async function nothingLeft(t: Test, d: TestDaemon, before: string[], what: string) {
  const left = await until(() => {
    const now = leftovers(d.home).filter((f) => !before.includes(f));
    return now.length ? false : now;
  }, 3000, `${what}: nothing left on disk (found ${JSON.stringify(leftovers(d.home).filter((f) => !before.includes(f)))})`).catch((err) => err as Error);
  t.same(left instanceof Error ? left.message : [], [], what);
}

/** A deterministic stream of numbers, so a failing corruption can be told again. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test("a diary carries her whole to a fresh home, byte for byte, and she answers there", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  t.ok(fs.existsSync(path.join(dirOf(a, id), "diary", `${id}.diary`)), "her first diary is written at create");

  t.equal((await a.api("POST", `/api/persona/${id}/knowledge`, { key: "person", content: "# The person\n\nSam drinks jasmine tea at dawn.\n" })).status, 200);
  t.equal((await a.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello from the old machine" })).status, 200);
  const ws = path.join(dirOf(a, id), "workspace");
  fs.mkdirSync(path.join(ws, "drafts", "deep"), { recursive: true });
  fs.writeFileSync(path.join(ws, "big.bin"), crypto.randomBytes(300_000));
  fs.writeFileSync(path.join(ws, "drafts", "café — notes.md"), "ünïcödé\n");
  fs.writeFileSync(path.join(ws, "drafts", "deep", "empty"), "");
  fs.symlinkSync("/etc/passwd", path.join(ws, "outside"));
  fs.symlinkSync("/etc", path.join(ws, "etc"));
  execFileSync("mkfifo", [path.join(ws, "drafts", "pipe")]);

  const res = await fetch(`${a.url}/api/persona/${id}/export`);
  t.equal(res.status, 200);
  t.equal(res.headers.get("content-type"), "application/octet-stream");
  t.match(res.headers.get("content-disposition"), /^attachment; filename="Ada-\d{4}-\d{2}-\d{2}\.diary"/);
  t.equal(res.headers.get("cache-control"), "no-store");
  const diary = Buffer.from(await res.arrayBuffer());
  t.equal(Number(res.headers.get("content-length")), diary.length, "Content-Length is the file's");
  t.same(diary, fs.readFileSync(path.join(dirOf(a, id), "diary", `${id}.diary`)), "the download is her latest diary, kept beside her");

  const { lines, payloadAt } = headerOf(diary);
  const rec = readJson(path.join(dirOf(a, id), "persona.json"));
  t.same(lines.slice(0, 3), ["eternego-diary 1", `id ${id}`, `fingerprint ${rec.diary.fingerprint}`], "the clear header names her and her key");
  t.match(lines[3], /^created \d{4}-\d{2}-\d{2}T/);
  t.equal(diary.subarray(payloadAt, payloadAt + 22).toString(), "age-encryption.org/v1\n", "then a standard age file");
  t.notOk(diary.includes("jasmine"), "what she knows is not in the clear");
  t.notOk(diary.includes(phrase.split(" ").slice(0, 3).join(" ")), "nor her phrase");

  const b = await startDaemon(t);
  const r = await migrate(b, diary, { phrase });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.equal(r.body.persona.id, id, "she keeps her id");
  t.equal(r.body.persona.name, "Ada");
  t.equal(r.body.persona.state, "running", "and starts");

  const before = tree(path.join(dirOf(a, id), "home"));
  const after = tree(path.join(dirOf(b, id), "home"));
  t.same([...after.keys()].sort(), [...before.keys()].sort(), "every file of her home came along");
  for (const [f, bytes] of before) {
    if (f !== "health.jsonl") t.ok(after.get(f)?.equals(bytes), `home/${f} is byte-identical`);
    else {
      // Her heart writes a line a minute on either machine: the one log is the other's beginning.
      const [short, long] = [bytes, after.get(f)!].sort((x, y) => x.length - y.length);
      t.ok(long!.subarray(0, short!.length).equals(short!), "home/health.jsonl: one machine's log begins the other's");
    }
  }
  const wsAfter = tree(path.join(dirOf(b, id), "workspace"));
  t.same([...wsAfter.keys()].sort(), ["big.bin", "drafts/café — notes.md", "drafts/deep/empty"], "her workspace came along, without the links out of it or the pipe");
  for (const [f, bytes] of tree(ws)) t.ok(wsAfter.get(f)?.equals(bytes), `workspace/${f} is byte-identical`);

  const recB = readJson(path.join(dirOf(b, id), "persona.json"));
  for (const k of ["id", "name", "birthday", "created_at"]) t.same(recB[k], rec[k], `persona.json keeps ${k}`);
  t.same(recB.diary, rec.diary, "and her diary key's fingerprint");
  const secretsA = readJson(path.join(dirOf(a, id), "secrets.json"));
  const secretsB = readJson(path.join(dirOf(b, id), "secrets.json"));
  t.equal(secretsB.diary_recipient, secretsA.diary_recipient, "her diaries here are written to the same key");
  t.ok(fs.existsSync(path.join(dirOf(b, id), "diary", `${id}.diary`)), "and one is written at once");

  const heard = ollama.requests.length;
  ollama.brain = (req) => (isDecision(req) ? decide("Of course, Sam. Jasmine tea at dawn.") : undefined);
  const answer = await b.api("POST", `/api/persona/${id}/read?wait=10`, { message: "do you remember me?" });
  t.equal(answer.status, 200, JSON.stringify(answer.body));
  t.match(answer.body.replies, [{ text: /Jasmine tea at dawn/ }], "she answers on the new machine");
  const prompt = JSON.stringify(ollama.requests.slice(heard).map((q) => q.body));
  t.match(prompt, /jasmine tea/, "thinking with what she knew on the old one");
  t.match(prompt, /hello from the old machine/, "and the day she lived there");

  // Home again: her id is there, so without replace it is a 409 that changes nothing.
  const homeA = tree(dirOf(a, id));
  const conflict = await migrate(a, await exportOf(b, id), { phrase });
  t.equal(conflict.status, 409);
  t.match(conflict.body.detail, /already here.*replace=true/);
  t.same([...tree(dirOf(a, id)).keys()], [...homeA.keys()], "a refused restore changes nothing of her");
  await nothingLeft(t, a, [...leftovers(a.home)], "the 409 leaves nothing");

  // With replace, the diary from the new machine takes her place here, and she runs.
  fs.writeFileSync(path.join(dirOf(b, id), "workspace", "written-on-b.md"), "from b\n");
  const back = await migrate(a, await exportOf(b, id), { phrase, replace: "true" });
  t.equal(back.status, 201, JSON.stringify(back.body));
  t.equal(fs.readFileSync(path.join(dirOf(a, id), "workspace", "written-on-b.md"), "utf8"), "from b\n", "replace puts the diary's folder in hers");
  t.equal((await a.api("GET", `/api/persona/${id}`)).body.persona.state, "running");
  t.same(fs.readdirSync(path.join(a.home, "personas")), [id], "no folder of the old her is left aside");
});

t.test("a restore can name other organs, and refuses ones that cannot be prepared", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const diary = await exportOf(a, id);
  const b = await startDaemon(t);
  const empty = leftovers(b.home);

  const bad = await migrate(b, diary, { phrase, organs: JSON.stringify({ thinking: { provider: "ollama", model: "not-pulled", url: ollama.url } }) });
  t.equal(bad.status, 400, JSON.stringify(bad.body));
  t.match(bad.body.detail, /not-pulled/, "says which model is missing");
  await nothingLeft(t, b, empty, "an organ refused leaves nothing");

  const notJson = await migrate(b, diary, { phrase, organs: "{thinking:" });
  t.equal(notJson.status, 422);
  t.match(notJson.body.detail[0], { loc: ["body", "organs"], type: "json_invalid" });
  const wrongShape = await migrate(b, diary, { phrase, organs: JSON.stringify({ thinking: { provider: 7 } }) });
  t.equal(wrongShape.status, 422);
  t.equal(wrongShape.body.detail[0].loc[1], "organs", "a bad organ is named as the field it came in");
  const noPhrase = await migrate(b, diary, {});
  t.equal(noPhrase.status, 422);
  t.same(noPhrase.body.detail.map((e: { loc: string[] }) => e.loc.join(".")), ["body.phrase"]);
  const notDiary = await migrate(b, diary, { phrase }, "her.zip");
  t.equal(notDiary.status, 415, "a file that is not named .diary is not taken");
  await nothingLeft(t, b, empty, "validation refusals leave nothing");

  ollama.models.add("qwen3:latest");
  const other = await migrate(b, diary, { phrase, organs: JSON.stringify({ thinking: { provider: "ollama", model: "qwen3", url: ollama.url } }) });
  t.equal(other.status, 201, JSON.stringify(other.body));
  t.match(other.body.persona.organs.thinking, { provider: "ollama", model: "qwen3", url: ollama.url }, "she thinks with the organ named here");
});

t.test("two restores of one diary at once: one lands, the other is a 409, nothing half-written", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const diary = await exportOf(a, id);
  const b = await startDaemon(t);
  const replies = await Promise.all([migrate(b, diary, { phrase }), migrate(b, diary, { phrase }), migrate(b, diary, { phrase })]);
  t.same(replies.map((r) => r.status).sort(), [201, 409, 409], JSON.stringify(replies.map((r) => r.body)));
  t.same(fs.readdirSync(path.join(b.home, "personas")), [id], "one folder of her, no staging left");
  t.equal((await b.api("GET", "/api/personas")).body.personas.length, 1);
});

t.test("every damaged, edited or wrongly opened diary is a 400 that leaves nothing behind", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const other = await create(a, ollama, "Bea");
  // Big enough for several of age's 64 KiB chunks, so they can be swapped and dropped.
  fs.writeFileSync(path.join(dirOf(a, id), "workspace", "big.bin"), crypto.randomBytes(300_000));
  const diary = await exportOf(a, id);
  const { payloadAt } = headerOf(diary);
  const ageHeaderEnd = diary.indexOf("\n", diary.indexOf("\n---", payloadAt) + 1) + 1;
  const chunksAt = ageHeaderEnd + 16; // after the payload nonce
  const CHUNK = 64 * 1024 + 16;
  const chunk = (i: number) => diary.subarray(chunksAt + i * CHUNK, chunksAt + (i + 1) * CHUNK);
  const chunkCount = Math.ceil((diary.length - chunksAt) / CHUNK);
  t.ok(chunkCount >= 4, `the diary has ${chunkCount} chunks`);
  const head = diary.subarray(0, chunksAt);

  const rand = seeded(Number(process.env.ETERNEGO_FUZZ_SEED ?? 20261201));
  const at = (n: number) => Math.floor(rand() * n);
  const flip = (pos: number) => {
    const c = Buffer.from(diary);
    c[pos] = c[pos]! ^ (1 << at(8));
    return c;
  };
  const words = phrase.split(" ");
  const mistyped = () => {
    const w = [...words];
    const i = at(24);
    let n = wordlist[at(wordlist.length)]!;
    while (n === w[i]) n = wordlist[at(wordlist.length)]!;
    w[i] = n;
    return w.join(" ");
  };
  const swapped = () => {
    const w = [...words];
    const i = at(23);
    [w[i], w[i + 1]] = [w[i + 1]!, w[i]!];
    return w[i] === w[i + 1] ? mistyped() : w.join(" ");
  };
  const headerLine = (i: number, line: string) => {
    const h = headerOf(diary);
    const lines = [...h.lines];
    lines[i] = line;
    return Buffer.concat([Buffer.from(lines.join("\n") + "\n\n"), diary.subarray(h.payloadAt)]);
  };
  const { lines } = headerOf(diary);
  const created = lines[3]!.slice(8);

  const cases: { what: string; diary: Buffer; phrase?: string; says: RegExp }[] = [];
  const damaged = /damaged|not an Eternego diary|cannot be restored|does not open/;
  for (let i = 0; i < 100; i++) {
    const pos = at(diary.length);
    cases.push({ what: `a bit flipped at byte ${pos}`, diary: flip(pos), says: damaged });
  }
  for (let i = 0; i < 30; i++) {
    const pos = at(chunksAt);
    cases.push({ what: `a bit flipped in the headers, at byte ${pos}`, diary: flip(pos), says: /./ });
  }
  for (let i = 0; i < 20; i++) {
    const len = 1 + at(diary.length - 1);
    cases.push({ what: `cut short to ${len} bytes`, diary: diary.subarray(0, len), says: /./ });
  }
  for (let i = 0; i < 10; i++) {
    const extra = i === 0 ? Buffer.from("\n") : crypto.randomBytes(1 + at(1000));
    cases.push({ what: `${extra.length} bytes appended`, diary: Buffer.concat([diary, extra]), says: damaged });
  }
  const swapping = (i: number, j: number) => {
    const parts = Array.from({ length: chunkCount }, (_, k) => chunk(k));
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
    return Buffer.concat([head, ...parts]);
  };
  const without = (i: number) => Buffer.concat([head, ...Array.from({ length: chunkCount }, (_, k) => chunk(k)).filter((_, k) => k !== i)]);
  cases.push(
    { what: "chunks 0 and 1 swapped", diary: swapping(0, 1), says: damaged },
    { what: "chunks 1 and 2 swapped", diary: swapping(1, 2), says: damaged },
    { what: "the last two chunks swapped", diary: swapping(chunkCount - 2, chunkCount - 1), says: damaged },
    { what: "the first chunk dropped", diary: without(0), says: damaged },
    { what: "a middle chunk dropped", diary: without(1), says: damaged },
    { what: "the last chunk dropped", diary: without(chunkCount - 1), says: damaged },
    { what: "a chunk given twice", diary: Buffer.concat([head, chunk(0), chunk(0), ...Array.from({ length: chunkCount - 1 }, (_, k) => chunk(k + 1))]), says: damaged },
    { what: "cut at a chunk's end", diary: diary.subarray(0, chunksAt + 2 * CHUNK), says: damaged },
    { what: "the payload nonce changed", diary: Buffer.concat([diary.subarray(0, ageHeaderEnd), crypto.randomBytes(16), diary.subarray(chunksAt)]), says: damaged },
    { what: "the age header's MAC replaced", diary: Buffer.concat([diary.subarray(0, diary.indexOf("\n---", payloadAt) + 5), Buffer.from(crypto.randomBytes(32).toString("base64").replace(/=+$/, "")), diary.subarray(ageHeaderEnd - 1)]), says: damaged },
  );
  cases.push(
    { what: "the header's id changed", diary: headerLine(1, `id ${crypto.randomUUID()}`), says: /header was changed \(its id/ },
    { what: "the header's date changed", diary: headerLine(3, `created ${new Date(Date.parse(created) - 1000).toISOString()}`), says: /header was changed \(its created/ },
    { what: "the header's fingerprint changed", diary: headerLine(2, "fingerprint 0123456789abcdef"), says: /does not open this diary/ },
    { what: "the header's format raised", diary: headerLine(0, "eternego-diary 2"), says: /format 2.*newer Eternego/ },
    { what: "the magic word changed", diary: headerLine(0, "eternego-dairy 1"), says: /not an Eternego diary/ },
    { what: "a header line added", diary: Buffer.concat([Buffer.from(lines.join("\n") + "\nnote hi\n\n"), diary.subarray(payloadAt)]), says: /not the four lines/ },
    { what: "a header line dropped", diary: Buffer.concat([Buffer.from(lines.slice(0, 3).join("\n") + "\n\n"), diary.subarray(payloadAt)]), says: /not the four lines/ },
    { what: "the header gone", diary: diary.subarray(payloadAt), says: /not an Eternego diary/ },
    { what: "the age payload gone", diary: diary.subarray(0, payloadAt), says: damaged },
    { what: "an empty file", diary: Buffer.alloc(0), says: /not an Eternego diary/ },
  );
  for (let i = 0; i < 10; i++) cases.push({ what: "the other persona's phrase", diary, phrase: other.phrase, says: /does not open this diary: it is another key's/ });
  for (let i = 0; i < 8; i++) {
    const p = mistyped();
    cases.push({ what: `a word mistyped (${p.split(" ").find((w, k) => w !== words[k])})`, diary, phrase: p, says: /checksum is wrong|does not open/ });
  }
  cases.push(
    { what: "two words swapped", diary, phrase: swapped(), says: /checksum is wrong|does not open/ },
    { what: "a word not on the list", diary, phrase: [...words.slice(0, 23), "eternego"].join(" "), says: /'eternego' is not a word/ },
  );
  t.equal(cases.length, 200, "two hundred ways to get it wrong");

  const b = await startDaemon(t);
  const empty = leftovers(b.home);
  const tally = new Map<string, number>();
  for (const c of cases) {
    const r = await migrate(b, c.diary, { phrase: c.phrase ?? phrase });
    if (r.status !== 400 || !c.says.test(String(r.body.detail))) {
      t.fail(`${c.what}: ${r.status} ${JSON.stringify(r.body)}`);
      continue;
    }
    tally.set(String(r.body.detail).slice(0, 40), (tally.get(String(r.body.detail).slice(0, 40)) ?? 0) + 1);
    if (fs.readdirSync(path.join(b.home, "personas")).length) t.fail(`${c.what}: left ${fs.readdirSync(path.join(b.home, "personas"))}`);
  }
  t.equal([...tally.values()].reduce((a, b) => a + b, 0), cases.length, `every one refused, saying why: ${JSON.stringify(Object.fromEntries(tally))}`);
  await nothingLeft(t, b, empty, "two hundred refusals leave nothing on disk");
  t.equal((await b.api("GET", "/api/personas")).body.personas.length, 0, "and no persona");

  const good = await migrate(b, diary, { phrase: ` ${phrase.toUpperCase().replace(/ /g, "  ")}\n` });
  t.equal(good.status, 201, "the diary as it was restores (with the phrase typed in capitals, spaced loosely)");
});

t.test("a forged archive cannot reach outside her folder, nor bring what a diary never holds", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const rec = readJson(path.join(dirOf(a, id), "persona.json"));
  const created = new Date().toISOString();
  const manifest = await manifestFor(phrase, id, created);
  const base = [
    { name: "manifest.json", body: manifest },
    { name: "persona.json", body: JSON.stringify(rec) },
  ];
  const b = await startDaemon(t);
  const empty = leftovers(b.home);
  const outside = path.join(b.home, "escaped");
  const hostile: [string, { name: string; type?: any; body?: string; linkname?: string }[], RegExp][] = [
    ["a path climbing out", [{ name: "../escaped", body: "x" }], /climbs out/],
    ["a path climbing out from inside", [{ name: "home/../../escaped", body: "x" }], /climbs out/],
    ["an absolute path", [{ name: outside, body: "x" }], /absolute path/],
    ["a symbolic link", [{ name: "home/link", type: "symlink", linkname: "/etc/passwd" }], /symlink.*only files and folders/],
    ["a hard link", [{ name: "home/hard", type: "link", linkname: "/etc/passwd" }], /link.*only files and folders/],
    ["a device", [{ name: "home/dev", type: "character-device" }], /only files and folders/],
    ["a fifo", [{ name: "home/pipe", type: "fifo" }], /only files and folders/],
    ["her secrets.json", [{ name: "secrets.json", body: JSON.stringify({ organs: { thinking: { api_key: "stolen" } } }) }], /not part of a persona's folder/],
    ["an older diary", [{ name: "diary/x.diary", body: "x" }], /not part of a persona's folder/],
    ["a backslash name", [{ name: "home\\..\\..\\escaped", body: "x" }], /name no file of hers can have/],
    ["a file given twice", [{ name: "home/notes.md", body: "a" }, { name: "home/notes.md", body: "b" }], /appears twice/],
    ["a file under a file", [{ name: "workspace/a", body: "a" }, { name: "workspace/a/b", body: "b" }], /'workspace\/a\/b' lies under a file/],
    ["home as a file", [{ name: "home", body: "x" }], /'home' is not a folder/],
  ];
  for (const [what, entries, says] of hostile) {
    const r = await migrate(b, await forge(phrase, id, [...base, ...entries], created), { phrase });
    t.equal(r.status, 400, `${what}: refused (${JSON.stringify(r.body)})`);
    t.match(r.body.detail, says, `${what}: says why`);
    t.notOk(fs.existsSync(outside) || fs.existsSync(path.join(b.home, "personas", "escaped")), `${what}: nothing outside`);
  }
  const noManifest = await migrate(b, await forge(phrase, id, base.slice(1), created), { phrase });
  t.match(noManifest.body.detail, /holds no manifest/);
  const otherId = await migrate(b, await forge(phrase, id, [{ name: "manifest.json", body: await manifestFor(phrase, crypto.randomUUID(), created) }, base[1]!], created), { phrase });
  t.match(otherId.body.detail, /header was changed \(its id/, "a manifest naming another persona");
  const otherRecord = await migrate(b, await forge(phrase, id, [base[0]!, { name: "persona.json", body: JSON.stringify({ ...rec, id: crypto.randomUUID() }) }], created), { phrase });
  t.match(otherRecord.body.detail, /persona.json names another persona/);
  const noRecord = await migrate(b, await forge(phrase, id, [base[0]!, { name: "persona.json", body: "{not json" }], created), { phrase });
  t.match(noRecord.body.detail, /no readable persona.json/);
  // A persona.json the daemon could not live with (her list, her next boot, /v1 would fail on it).
  const records: [string, unknown, RegExp][] = [
    ["null", null, /names another persona/],
    ["no created_at", { ...rec, created_at: undefined }, /"created_at" is required/],
    ["a name that is no string", { ...rec, name: 7 }, /"name" must be a string/],
    ["no organs object", { ...rec, organs: "ollama" }, /"organs" must be of type object/],
    ["channels that are no list", { ...rec, channels: {} }, /"channels" must be an array/],
    ["an unknown status", { ...rec, status: "immortal" }, /"status" must be one of/],
  ];
  const badRecords = [];
  for (const [what, body, says] of records) {
    const r = await migrate(b, await forge(phrase, id, [base[0]!, { name: "persona.json", body: JSON.stringify(body) }], created), { phrase });
    t.match(r.body.detail, says, `persona.json with ${what}: says why`);
    badRecords.push(r);
  }
  t.equal((await b.api("GET", "/api/personas")).status, 200, "and her list is whole");
  for (const r of [noManifest, otherId, otherRecord, noRecord, ...badRecords]) t.equal(r.status, 400);
  await nothingLeft(t, b, empty, "forged diaries leave nothing");

  // The same forge, with nothing hostile in it, restores: the refusals above are the entries', not the forging's.
  const fine = await migrate(b, await forge(phrase, id, [...base, { name: "home/", type: "directory" }, { name: "home/person.md", body: "# Forged, but fine\n" }], created), { phrase });
  t.equal(fine.status, 201, JSON.stringify(fine.body));
  t.equal(fs.readFileSync(path.join(dirOf(b, id), "home", "person.md"), "utf8"), "# Forged, but fine\n");
});

t.test("a persona from before diaries had a key: told so, skipped at night, given a phrase", async (t) => {
  const ollama = await fakeOllama(t);
  const home = fs.mkdtempSync(path.join((await import("node:os")).tmpdir(), "eternego-legacy-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const id = crypto.randomUUID();
  const dir = path.join(home, "personas", id);
  fs.mkdirSync(path.join(dir, "home"), { recursive: true, mode: 0o700 });
  // persona.json and secrets.json as the first design wrote them: a salt, and a stored key.
  fs.writeFileSync(path.join(dir, "persona.json"), JSON.stringify({
    version: 1, id, name: "Old", birthday: "2026-01-01", created_at: "2026-01-01T00:00:00.000Z", status: "active", status_reason: null,
    organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } }, channels: [],
    diary: { salt: "00112233445566778899aabbccddeeff", kdf: { name: "scrypt", N: 4096, r: 8, p: 1 } },
  }));
  const oldKey = crypto.randomBytes(32).toString("hex");
  fs.writeFileSync(path.join(dir, "secrets.json"), JSON.stringify({ organs: {}, channels: {}, diary_key: oldKey }), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "home", "person.md"), "# The person\n\nKnown from long ago.\n");

  const d = await startDaemon(t, { home });
  const diag = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.equal(diag.status, 200);
  t.same(diag.body.diary.fingerprint, null, "she has no diary key");
  t.match(diag.body.diary.detail, new RegExp(`POST /api/persona/${id}/recovery-phrase`), "and diagnose says how to give her one");
  const refused = await d.api("GET", `/api/persona/${id}/export`);
  t.equal(refused.status, 400);
  t.match(refused.body.detail, /no diary key yet.*recovery-phrase/);
  const night = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(night.status, 200);
  t.match(night.body.diary, { skipped: /no diary key yet/ }, "her night goes on without a diary, and says why");
  t.notOk(fs.existsSync(path.join(dir, "diary", `${id}.diary`)));

  const made = await d.api("POST", `/api/persona/${id}/recovery-phrase`);
  t.equal(made.status, 200, JSON.stringify(made.body));
  const phrase: string = made.body.recovery_phrase;
  t.equal(phrase.split(" ").length, 24);
  const secrets = readJson(path.join(dir, "secrets.json"));
  t.notOk("diary_key" in secrets, "the stored key of the first design is gone");
  t.match(secrets.diary_recipient, /^age1[0-9a-z]{58}$/, "a recipient in its place");
  const rec = readJson(path.join(dir, "persona.json"));
  t.equal(rec.version, 2);
  t.same(rec.diary, { fingerprint: made.body.fingerprint }, "persona.json keeps only the fingerprint");
  t.notOk(JSON.stringify(fs.readdirSync(home, { recursive: true })).includes(oldKey));
  t.same((await d.api("GET", `/api/persona/${id}/diagnose`)).body.diary.fingerprint, made.body.fingerprint);
  const first = await exportOf(d, id);

  // A second phrase: diaries from now are its key's; the one before keeps needing the first.
  const again = await d.api("POST", `/api/persona/${id}/recovery-phrase`);
  t.not(again.body.recovery_phrase, phrase);
  t.not(again.body.fingerprint, made.body.fingerprint);
  const second = await exportOf(d, id);
  t.equal(headerOf(second).lines[2], `fingerprint ${again.body.fingerprint}`);

  const fresh = await startDaemon(t);
  const wrong = await migrate(fresh, first, { phrase: again.body.recovery_phrase });
  t.equal(wrong.status, 400);
  t.match(wrong.body.detail, /does not open this diary/, "the new phrase does not open the diary before it");
  const older = await migrate(fresh, first, { phrase });
  t.equal(older.status, 201, "the phrase it was written with does");
  t.equal(fs.readFileSync(path.join(fresh.home, "personas", id, "home", "person.md"), "utf8"), "# The person\n\nKnown from long ago.\n");
  const newer = await migrate(fresh, second, { phrase: again.body.recovery_phrase, replace: "true" });
  t.equal(newer.status, 201, "and the new phrase opens the diaries written since");
});

t.test("exports while she is written to are each of one moment; a failed write keeps the previous diary", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const initial = fs.readFileSync(path.join(dirOf(a, id), "home", "person.md"), "utf8");
  const texts = Array.from({ length: 12 }, (_, i) => `# The person\n\n${`version ${i} `.repeat(2000)}\n`);
  const writes = texts.map((content) => a.api("POST", `/api/persona/${id}/knowledge`, { key: "person", content }));
  const diaries = await Promise.all([exportOf(a, id), exportOf(a, id), exportOf(a, id), exportOf(a, id)]);
  t.same((await Promise.all(writes)).map((r) => r.status), texts.map(() => 200));
  const b = await startDaemon(t);
  for (const [i, diary] of diaries.entries()) {
    const r = await migrate(b, diary, { phrase, replace: "true" });
    t.equal(r.status, 201, `diary ${i} restores`);
    const person = fs.readFileSync(path.join(dirOf(b, id), "home", "person.md"), "utf8");
    t.ok(person === initial || texts.includes(person), `diary ${i}: person.md is the one before or one of the texts written, never a torn one`);
  }

  // A recipient that is no age key (secrets.json broken by hand): the write fails, says so, and her last diary stays.
  const latest = path.join(dirOf(a, id), "diary", `${id}.diary`);
  const kept = fs.readFileSync(latest);
  const secretsFile = path.join(dirOf(a, id), "secrets.json");
  const secrets = readJson(secretsFile);
  fs.writeFileSync(secretsFile, JSON.stringify({ ...secrets, diary_recipient: "age1notakey" }));
  const failed = await a.api("GET", `/api/persona/${id}/export`);
  t.equal(failed.status, 400, JSON.stringify(failed.body));
  t.match(failed.body.detail, /could not be written.*previous diary is kept/);
  t.same(fs.readFileSync(latest), kept, "her previous diary is as it was");
  t.same(fs.readdirSync(path.dirname(latest)), [`${id}.diary`], "no temp file left beside it");
  const night = await a.api("POST", `/api/persona/${id}/sleep`);
  t.match(night.body.diary, { skipped: /could not be written/ }, "a night says why it wrote none");
  fs.writeFileSync(secretsFile, JSON.stringify(secrets));
  t.equal((await a.api("GET", `/api/persona/${id}/export`)).status, 200, "repaired, it writes again");

  // A new phrase whose first diary cannot be written is never shown, so her key must stay the one she has.
  const dir = path.dirname(latest);
  fs.renameSync(dir, `${dir}.away`);
  fs.writeFileSync(dir, "not a folder");
  const keyBefore = readJson(secretsFile).diary_recipient;
  const printBefore = readJson(path.join(dirOf(a, id), "persona.json")).diary;
  const lost = await a.api("POST", `/api/persona/${id}/recovery-phrase`);
  t.equal(lost.status, 400, JSON.stringify(lost.body));
  t.notOk(lost.body.recovery_phrase, "no phrase given");
  t.equal(readJson(secretsFile).diary_recipient, keyBefore, "her diary key is the one she had");
  t.same(readJson(path.join(dirOf(a, id), "persona.json")).diary, printBefore, "and so is its fingerprint");
  fs.rmSync(dir);
  fs.renameSync(`${dir}.away`, dir);
  // …nor when persona.json cannot be written after secrets.json was.
  const record = path.join(dirOf(a, id), "persona.json");
  fs.renameSync(record, `${record}.away`);
  fs.mkdirSync(record);
  const unwritable = await a.api("POST", `/api/persona/${id}/recovery-phrase`);
  t.not(unwritable.status, 200);
  t.notOk(unwritable.body.recovery_phrase, "no phrase given");
  t.equal(readJson(secretsFile).diary_recipient, keyBefore, "her diary key is still the one she had");
  fs.rmdirSync(record);
  fs.renameSync(`${record}.away`, record);
  const exported = await exportOf(a, id);
  const fresh = await startDaemon(t);
  t.equal((await migrate(fresh, exported, { phrase })).status, 201, "her diaries still open with her phrase");
});

t.test("a restore raced by a delete the moment she appears: she is wholly gone, and a restore after it is her whole, answering", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const diary = await exportOf(a, id);
  const b = await startDaemon(t);
  for (let round = 0; round < 3; round++) {
    const restoring = migrate(b, diary, { phrase });
    await until(async () => (await b.api("GET", `/api/persona/${id}`)).status === 200, 10_000, "her, as she appears");
    const deleted = await b.api("POST", `/api/persona/${id}/delete`);
    const restored = await restoring;
    t.equal(deleted.status, 200, `round ${round}: the delete`);
    t.ok([201, 404].includes(restored.status), `round ${round}: the restore is done or finds her gone (${restored.status})`);
    t.equal((await b.api("GET", `/api/persona/${id}`)).status, 404, `round ${round}: she is gone`);
    t.notOk(fs.existsSync(path.join(b.home, "personas", id)), `round ${round}: and so is her folder`);
  }
  t.equal((await migrate(b, diary, { phrase })).status, 201);
  const r = await b.api("POST", `/api/persona/${id}/read?wait=10`, { message: "are you here?" });
  t.equal(r.status, 200, `restored after it all, she answers: ${JSON.stringify(r.body)}`);
  t.equal(r.body.status, "answered");
});

t.test("exports during new phrases: every diary opens with the phrase its header names", async (t) => {
  const ollama = await fakeOllama(t);
  const a = await startDaemon(t);
  const { id, phrase } = await create(a, ollama);
  const first = readJson(path.join(dirOf(a, id), "persona.json")).diary.fingerprint;
  const calls: Promise<unknown>[] = [];
  const phrases = new Map<string, string>([[first, phrase]]);
  const diaries: Buffer[] = [];
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 0) calls.push(a.api("POST", `/api/persona/${id}/recovery-phrase`).then((r) => void phrases.set(r.body.fingerprint, r.body.recovery_phrase)));
    calls.push(exportOf(a, id).then((d) => void diaries.push(d)));
  }
  await Promise.all(calls);
  t.equal(phrases.size, 11, "ten new phrases given");
  const b = await startDaemon(t);
  const opened = new Set<number>();
  for (const [i, d] of diaries.entries()) {
    const named = headerOf(d).lines[2]!.slice("fingerprint ".length);
    t.ok(phrases.has(named), `diary ${i} names a key whose phrase was given`);
    const r = await migrate(b, d, { phrase: phrases.get(named) ?? phrase, replace: "true" });
    if (r.status === 201) opened.add(i);
    else t.fail(`diary ${i} does not open with the phrase its header names: ${JSON.stringify(r.body)}`);
  }
  t.equal(opened.size, 30, "all thirty open");
});

t.test("export and phrase routes: 404 for no persona", async (t) => {
  const a = await startDaemon(t);
  const nobody = crypto.randomUUID();
  t.equal((await a.api("GET", `/api/persona/${nobody}/export`)).status, 404);
  t.equal((await a.api("POST", `/api/persona/${nobody}/recovery-phrase`)).status, 404);
  t.equal((await a.api("GET", `/api/persona/not-an-id/export`)).status, 404);
});
