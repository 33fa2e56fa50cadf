import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bech32 } from "@scure/base";
import { mnemonicToSeed, validateMnemonic } from "@scure/bip39";
import { identityToRecipient } from "age-encryption";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import t, { type Test } from "tap";
import type { PersonaChangedEvent } from "../../core/api/events.js";
import { startDaemon, tempHome, type TestDaemon } from "../helpers/daemon.js";
import { startFakeOllama, type FakeOllama } from "../fixtures/fake-ollama.js";
import { connect } from "../fixtures/plugins-host/net.js";
import { prepared } from "../fixtures/plugins/keyed-model.js";

// The persona lifecycle and configuration through real HTTP on a real home folder
// (SPEC §5, §6): create, list, start/stop/restart/delete, update, boot.

const here = path.dirname(fileURLToPath(import.meta.url));
const KEYED = path.resolve(here, "../fixtures/plugins/keyed-model.ts");
const FAKECHAT = path.resolve(here, "../fixtures/plugins/fake-channel.ts");
const today = () => new Date().toISOString().slice(0, 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type T = Test;

async function fakeOllama(t: T, models = ["llama3.2"]): Promise<FakeOllama> {
  const o = await startFakeOllama({ models });
  t.teardown(() => o.close());
  return o;
}

/** Every regular file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function dirsUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isDirectory())
    .map((e) => path.join(e.parentPath, e.name));
}

/** The files under `home` whose content contains `needle`. */
function filesContaining(home: string, needle: string): string[] {
  return filesUnder(home).filter((f) => fs.readFileSync(path.join(home, f)).includes(needle));
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, "utf8"));

function paths(home: string, id: string) {
  const dir = path.join(home, "personas", id);
  return { dir, persona: path.join(dir, "persona.json"), secrets: path.join(dir, "secrets.json") };
}

interface Watcher {
  /** Every `persona:changed` this client was sent, in order. */
  seen: PersonaChangedEvent[];
  /** Resolves once `check()` holds, looked at now and after each event; rejects after `ms`. */
  until(what: string, check: () => boolean, ms?: number): Promise<void>;
}

/** A real socket.io client recording `persona:changed`, which the daemon sends to every client. */
async function watch(t: T, d: TestDaemon): Promise<Watcher> {
  const { socket, connected, error } = await connect(d.url, { transports: ["websocket"] });
  t.teardown(() => void socket.close());
  if (!connected) throw error;
  const seen: PersonaChangedEvent[] = [];
  const looks = new Set<() => void>();
  socket.on("persona:changed", (e) => {
    seen.push(e);
    for (const look of looks) look();
  });
  const until = (what: string, check: () => boolean, ms = 5000) => {
    let look!: () => void;
    let timer!: NodeJS.Timeout;
    return new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; persona:changed seen: ${JSON.stringify(seen.map((e) => [e.change, e.persona?.state, e.persona?.status]))}`)), ms);
      look = () => void (check() && resolve());
      looks.add(look);
      look();
    }).finally(() => {
      clearTimeout(timer);
      looks.delete(look);
    });
  };
  return { seen, until };
}

async function create(t: T, d: TestDaemon, body: object): Promise<string> {
  const r = await d.api("POST", "/api/persona/create", body);
  t.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.persona.id;
}

t.test("create: 201 with a view without secrets and a real recovery phrase that is never stored", async (t) => {
  const ollama = await fakeOllama(t, ["llama3.2", "qwen3"]);
  // A home the daemon creates itself, so its mode is the daemon's doing.
  const parent = tempHome();
  t.teardown(() => fs.rmSync(parent, { recursive: true, force: true }));
  const home = path.join(parent, "nested", "eternego");
  const d = await startDaemon(t, { home, plugins: [KEYED, FAKECHAT] });
  const keys = { thinking: "ollama-key-4b1d9e7c3a", vision: "good-vision-key-8f2e61", token: "good-token-a1-91c7f0d2" };

  const r = await d.api("POST", "/api/persona/create", {
    name: "  Ada  ",
    organs: {
      thinking: { provider: "ollama", model: "llama3.2", url: ollama.url + "/", api_key: keys.thinking },
      vision: { provider: "keyed", model: "eyes-1", api_key: keys.vision },
      frontier: { provider: "ollama", model: "qwen3", url: ollama.url },
    },
    channels: [{ type: "web" }, { type: "fakechat", credentials: { token: keys.token, room: "lobby" } }],
  });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(Object.keys(r.body).sort(), ["persona", "recovery_phrase"]);
  const id: string = r.body.persona.id;
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a v4 UUID");
  t.strictSame(r.body.persona, {
    id,
    name: "Ada",
    birthday: today(),
    status: "active",
    status_reason: null,
    running: true,
    state: "running",
    phase: "morning",
    organs: {
      thinking: { provider: "ollama", model: "llama3.2", url: ollama.url, has_key: true },
      vision: { provider: "keyed", model: "eyes-1", url: "http://127.0.0.1:9", has_key: true },
      frontier: { provider: "ollama", model: "qwen3", url: ollama.url, has_key: false },
    },
    channels: [
      { type: "web", name: "web", verified: true, state: "connected", detail: null, retry_at: null },
      // Connecting in the background (a platform that is down never holds her start), or up already.
      { type: "fakechat", name: "@bot-a1-91c7f0d2", verified: false, state: ["connecting", "connected"].includes(r.body.persona.channels[1]?.state) ? r.body.persona.channels[1].state : "connecting or connected", detail: null, retry_at: null },
    ],
  });
  const viewText = JSON.stringify(r.body.persona) + JSON.stringify((await d.api("GET", `/api/persona/${id}`)).body) + JSON.stringify((await d.api("GET", "/api/personas")).body);
  t.notMatch(viewText, /api_key|token|secret|diary/i, "no secret field in any view");
  for (const k of Object.values(keys)) t.notOk(viewText.includes(k), "no secret value in any view");

  const prepares = ollama.requests.filter((q) => q.path === "/api/tags").length;
  t.equal(prepares, 2, "each ollama organ was prepared against the server");
  t.same(prepared().at(-1), { role: "vision", spec: { provider: "keyed", model: "eyes-1", url: "http://127.0.0.1:9", api_key: keys.vision } }, "the keyed organ was prepared with its key and default url");

  const phrase: string = r.body.recovery_phrase;
  const words = phrase.split(" ");
  t.equal(words.length, 24, "24 words");
  t.ok(words.every((w) => wordlist.includes(w)), "every word is a BIP-39 English word");
  t.ok(validateMnemonic(phrase, wordlist), "the checksum is valid");

  const p = paths(home, id);
  const rec = readJson(p.persona);
  t.equal(rec.version, 2, "persona.json carries its format version");
  t.equal(rec.id, id);
  t.equal(rec.status, "active");
  t.same(rec.organs, {
    thinking: { provider: "ollama", model: "llama3.2", url: ollama.url },
    vision: { provider: "keyed", model: "eyes-1", url: "http://127.0.0.1:9" },
    frontier: { provider: "ollama", model: "qwen3", url: ollama.url },
  }, "organs on disk carry no key");
  t.same(rec.channels, [{ type: "fakechat", name: "@bot-a1-91c7f0d2", verified: false }], "channels on disk carry no credentials");
  t.same(Object.keys(rec.diary), ["fingerprint"], "persona.json keeps only her diary key's fingerprint");
  t.notMatch(JSON.stringify(rec), /api_key|token|diary_key|diary_recipient|age1|phrase/, "persona.json has no secret field");

  const secrets = readJson(p.secrets);
  t.same(secrets.organs, { thinking: { api_key: keys.thinking }, vision: { api_key: keys.vision } });
  t.same(secrets.channels, { fakechat: { token: keys.token, room: "lobby" } });
  // The key, derived here as docs/diary-format.md tells it: BIP-39 seed, HKDF-SHA256, an age X25519 identity.
  const seed = await mnemonicToSeed(phrase);
  const identity = bech32.encode("age-secret-key-", bech32.toWords(new Uint8Array(crypto.hkdfSync("sha256", seed, "eternego diary v1", "age x25519 identity", 32))), false).toUpperCase();
  const expected = await identityToRecipient(identity);
  t.equal(secrets.diary_recipient, expected, "the daemon keeps the recipient of the key her phrase is");
  t.equal(rec.diary.fingerprint, crypto.createHash("sha256").update(`eternego fingerprint ${expected}`).digest("hex").slice(0, 16), "and its fingerprint in the clear");
  t.notOk(JSON.stringify(secrets).includes("AGE-SECRET-KEY") || JSON.stringify(secrets).includes(identity), "never the identity that opens her diaries");

  t.same(
    fs.readdirSync(p.dir).sort(),
    ["diary", "home", "persona.json", "secrets.json", "workspace"],
  );
  t.same(fs.readdirSync(path.join(p.dir, "home")).sort(), [
    "context.md", "conversation.jsonl", "destiny", "health.jsonl", "history", "lessons", "meanings", "media",
    "notes.md", "permissions.md", "person.md", "persona-trait.md", "struggles.md", "traits.md", "wishes.md",
  ]);

  // Everything is on disk (the log is flushed when the daemon stops): check where secrets landed.
  await d.daemon.stop();
  t.same(filesContaining(home, phrase), [], "the phrase is in no file");
  t.same(filesContaining(home, words.slice(0, 6).join(" ")), [], "not even its first six words");
  t.same(filesContaining(home, phrase.replace(/ /g, "")), [], "nor the words run together");
  const secretsFile = path.join("personas", id, "secrets.json");
  for (const k of Object.values(keys)) t.same(filesContaining(home, k), [secretsFile], `a secret is only in secrets.json`);
  t.same(filesContaining(home, expected), [secretsFile], "the recipient is only in secrets.json");
  t.same(filesContaining(home, identity), [], "the identity is in no file");

  t.equal(mode(home), 0o700, "ETERNEGO_HOME is 0700");
  for (const dir of dirsUnder(home)) t.equal(mode(dir), 0o700, `${path.relative(home, dir)} is 0700`);
  t.equal(mode(p.secrets), 0o600, "secrets.json is 0600");
  t.same(fs.readdirSync(p.dir).filter((f) => !["diary", "home", "persona.json", "secrets.json", "workspace"].includes(f)), [], "no temp file is left beside them");
});

t.test("list and get: sorted by creation, the same view either way", async (t) => {
  const ollama = await fakeOllama(t);
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  let d = await startDaemon(t, { home });
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };
  t.same((await d.api("GET", "/api/personas")).body, { personas: [] });
  const ids: string[] = [];
  for (const name of ["Zoe", "Ada", "Mia"]) {
    ids.push(await create(t, d, { name, organs: { thinking } }));
    await sleep(5);
  }
  let list = (await d.api("GET", "/api/personas")).body.personas;
  t.same(list.map((p: { id: string }) => p.id), ids, "oldest first, not by name or id");
  t.same(list.map((p: { name: string }) => p.name), ["Zoe", "Ada", "Mia"]);
  for (const view of list) t.same((await d.api("GET", `/api/persona/${view.id}`)).body, { persona: view });

  await d.api("POST", `/api/persona/${ids[1]}/update`, { name: "Aaa" });
  list = (await d.api("GET", "/api/personas")).body.personas;
  t.same(list.map((p: { id: string }) => p.id), ids, "a rename does not reorder");

  // The order comes from disk, not from this daemon's memory.
  await d.daemon.stop();
  d = await startDaemon(t, { home });
  list = (await d.api("GET", "/api/personas")).body.personas;
  t.same(list.map((p: { name: string }) => p.name), ["Zoe", "Aaa", "Mia"], "same order after the daemon restarts");
});

t.test("start, stop, restart, delete: semantics, idempotence and what is on disk", async (t) => {
  const ollama = await fakeOllama(t);
  const d = await startDaemon(t);
  const w = await watch(t, d);
  const { seen } = w;
  const id = await create(t, d, { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const p = paths(d.home, id);
  const view = async () => (await d.api("GET", `/api/persona/${id}`)).body.persona;

  t.same((await d.api("POST", `/api/persona/${id}/start`)).body, { status: "already running" }, "created means started");

  t.same((await d.api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  t.match(await view(), { status: "hibernate", running: false, state: "stopped", phase: null });
  t.equal(readJson(p.persona).status, "hibernate", "status persisted");
  const before = fs.readFileSync(p.persona, "utf8");
  t.same((await d.api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" }, "stop again: same answer");
  t.match(await view(), { status: "hibernate", running: false });
  t.equal(fs.readFileSync(p.persona, "utf8"), before, "a second stop writes nothing");
  t.equal(d.daemon.parts.agents.count(), 0);

  t.same((await d.api("POST", `/api/persona/${id}/start`)).body, { status: "started" });
  t.match(await view(), { status: "active", running: true, state: "running", phase: "morning" });
  t.equal(readJson(p.persona).status, "active", "status persisted");
  t.same((await d.api("POST", `/api/persona/${id}/start`)).body, { status: "already running" });
  t.equal(d.daemon.parts.agents.count(), 1, "one agent, however often she is started");

  // A hand edit of persona.json is not seen until restart, then it is.
  const edited = { ...readJson(p.persona), name: "Ada Lovelace" };
  fs.writeFileSync(p.persona, JSON.stringify(edited, null, 2));
  t.equal((await view()).name, "Ada");
  const startedAt = d.daemon.parts.agents.get(id).startedAt;
  await sleep(5);
  t.same((await d.api("POST", `/api/persona/${id}/restart`)).body, { status: "restarted" });
  t.match(await view(), { name: "Ada Lovelace", status: "active", running: true, state: "running" });
  t.equal(d.daemon.parts.agents.get(id).persona.name, "Ada Lovelace", "the new agent runs the edited config");
  t.ok(d.daemon.parts.agents.get(id).startedAt > startedAt, "a new agent");

  // A hand edit that breaks the file is refused with the file named, and she keeps running as she was.
  const good = fs.readFileSync(p.persona, "utf8");
  fs.writeFileSync(p.persona, good.slice(0, 40));
  let r = await d.api("POST", `/api/persona/${id}/restart`);
  t.equal(r.status, 400);
  t.same(Object.keys(r.body), ["detail"]);
  t.match(r.body.detail, new RegExp(`^${p.persona.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} cannot be read: .*JSON.*\\. Fix the file and try again\\.$`));
  t.match(await view(), { name: "Ada Lovelace", running: true, state: "running" }, "still running with the config she had");
  fs.writeFileSync(p.persona, JSON.stringify({ ...JSON.parse(good), id: "3f0c9a52-8a1e-4c7e-9d2b-0a9a8b7c6d5e" }));
  r = await d.api("POST", `/api/persona/${id}/restart`);
  t.same(r.body, { detail: `${p.persona} cannot be hers: it says its id is '3f0c9a52-8a1e-4c7e-9d2b-0a9a8b7c6d5e', but her id is '${id}' (an id never changes). Fix the file and try again.` });
  t.equal(d.daemon.parts.agents.running(id), true);
  fs.writeFileSync(p.persona, good);

  // Restart of a stopped persona brings her up (stop + start).
  await d.api("POST", `/api/persona/${id}/stop`);
  t.same((await d.api("POST", `/api/persona/${id}/restart`)).body, { status: "restarted" });
  t.match(await view(), { status: "active", running: true });
  t.equal(readJson(p.persona).status, "active");

  // Every start and stop above, in order: created, stop, start, restart, (two refused restarts: nothing), stop, restart.
  const up = ["starting", "running"];
  const down = ["stopping", "stopped"];
  const pushed = [...up, ...down, ...up, ...down, ...up, ...down, ...up];
  const states = () => seen.filter((e) => e.id === id && e.change === "state").map((e) => e.persona?.state);
  // Her last start is the last thing pushed; the socket keeps the daemon's order.
  await w.until("the state change of her last start", () => states().length >= pushed.length);
  t.same(states(), pushed, "state changes were pushed");
  t.same(seen.filter((e) => e.id === id && e.change === "status").map((e) => e.persona?.status), ["hibernate", "active", "hibernate", "active"], "the status changes were pushed");
  t.notMatch(JSON.stringify(seen), /api_key|diary_key/, "events carry no secret");

  seen.length = 0;
  t.same((await d.api("POST", `/api/persona/${id}/delete`)).body, { deleted: id });
  t.notOk(fs.existsSync(p.dir), "her folder is gone");
  t.same(fs.readdirSync(path.join(d.home, "personas")), []);
  t.equal(d.daemon.parts.agents.count(), 0, "her agent is stopped");
  t.equal(d.daemon.parts.agents.running(id), false);
  t.equal((await d.api("GET", `/api/persona/${id}`)).status, 404);
  t.same((await d.api("GET", "/api/personas")).body, { personas: [] });
  t.same((await d.api("POST", `/api/persona/${id}/delete`)).body, { detail: `No persona with id '${id}'.` }, "delete twice: 404");
  t.equal((await d.api("POST", `/api/persona/${id}/start`)).status, 404, "cannot start a deleted persona");
  await w.until("her deletion pushed", () => seen.some((e) => e.id === id && e.change === "deleted"));
  t.ok(seen.some((e) => e.id === id && e.change === "deleted" && e.persona === undefined), "deletion was pushed");

  // Deleting a stopped persona works too.
  const id2 = await create(t, d, { name: "Bea", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  await d.api("POST", `/api/persona/${id2}/stop`);
  t.same((await d.api("POST", `/api/persona/${id2}/delete`)).body, { deleted: id2 });
  t.notOk(fs.existsSync(paths(d.home, id2).dir));
});

t.test("update: name and status", async (t) => {
  const ollama = await fakeOllama(t);
  const d = await startDaemon(t);
  const id = await create(t, d, { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const p = paths(d.home, id);
  const prepares = () => ollama.requests.filter((q) => q.path === "/api/tags").length;
  const n = prepares();

  let r = await d.api("POST", `/api/persona/${id}/update`, { name: "Ada Lovelace" });
  t.equal(r.status, 200);
  t.same(Object.keys(r.body), ["persona"]);
  t.match(r.body.persona, { id, name: "Ada Lovelace", status: "active", running: true });
  t.same(r.body.persona, (await d.api("GET", `/api/persona/${id}`)).body.persona, "the reply is her current view");
  t.equal(readJson(p.persona).name, "Ada Lovelace", "written to persona.json");
  t.equal(prepares(), n, "a rename prepares no organ");

  r = await d.api("POST", `/api/persona/${id}/update`, { status: "hibernate" });
  t.match(r.body.persona, { status: "hibernate", running: false, state: "stopped" });
  t.equal(readJson(p.persona).status, "hibernate");
  t.equal(d.daemon.parts.agents.running(id), false, "hibernate stops her");
  r = await d.api("POST", `/api/persona/${id}/update`, { status: "hibernate" });
  t.match(r.body.persona, { status: "hibernate", running: false }, "idempotent");

  r = await d.api("POST", `/api/persona/${id}/update`, { name: "Ada", status: "active" });
  t.match(r.body.persona, { name: "Ada", status: "active", running: true, state: "running" });
  t.equal(readJson(p.persona).status, "active");
  t.equal(d.daemon.parts.agents.get(id).persona.name, "Ada", "active starts her with the new name");
});

t.test("update: organs are prepared, refused changes leave everything as it was", async (t) => {
  const ollama = await fakeOllama(t, ["llama3.2", "llava"]);
  const d = await startDaemon(t);
  const w = await watch(t, d);
  const { seen } = w;
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };
  const id = await create(t, d, { name: "Ada", organs: { thinking, vision: { ...thinking, model: "llava" } } });
  const p = paths(d.home, id);
  const snapshot = () => [fs.readFileSync(p.persona, "utf8"), fs.readFileSync(p.secrets, "utf8")];
  const disk = snapshot();
  const agent = d.daemon.parts.agents.get(id);

  let r = await d.api("POST", `/api/persona/${id}/update`, { name: "Bea", organs: { thinking: { ...thinking, model: "qwen3" } } });
  t.same(r.body, { detail: `Organ 'thinking' (ollama, qwen3) at ${ollama.url}: model 'qwen3' not found, and Ollama could not pull it (pull model manifest: file does not exist) — check the name at https://ollama.com/library, then run \`ollama pull qwen3\`.` });
  t.equal(r.status, 400);
  t.same(snapshot(), disk, "nothing changed on disk, not even the name");
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { name: "Ada", organs: { thinking: { model: "llama3.2" } }, running: true });
  t.equal(d.daemon.parts.agents.get(id), agent, "her agent was not touched");

  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { hearing: { provider: "ollama", model: "whisper" } } });
  t.equal(r.status, 400, "a provider that cannot fill the role");
  t.same(snapshot(), disk);

  // An unchanged organ is not prepared again and does not restart her.
  const tags = ollama.requests.length;
  await w.until("her first start pushed", () => seen.some((e) => e.change === "state" && e.persona?.state === "running"));
  seen.length = 0;
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { ...thinking, url: ollama.url + "/" } } });
  t.equal(r.status, 200);
  t.equal(ollama.requests.length, tags, "the same organ is not prepared again");
  t.equal(d.daemon.parts.agents.get(id), agent, "and she was not restarted");
  // The update is pushed after whatever it did to her, so once it is here a restart would be too.
  await w.until("the update pushed", () => seen.some((e) => e.change === "updated"));
  t.same(seen.filter((e) => e.change === "state"), [], "no state change was pushed");

  // A changed organ on a running persona: prepared, saved, and her agent restarted with it.
  ollama.models.add("qwen3:latest");
  seen.length = 0;
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { ...thinking, model: "qwen3" } } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.match(r.body.persona, { running: true, state: "running", organs: { thinking: { model: "qwen3" }, vision: { model: "llava" } } });
  t.same(readJson(p.persona).organs.thinking, { ...thinking, model: "qwen3" });
  const now = d.daemon.parts.agents.get(id);
  t.not(now, agent, "a new agent");
  t.equal(now.persona.organs.thinking?.model, "qwen3", "running with the new organ");
  // The update is pushed once her restart is done, after its state changes.
  await w.until("the update pushed", () => seen.some((e) => e.change === "updated"));
  t.same(seen.filter((e) => e.change === "state").map((e) => e.persona?.state), ["stopping", "stopped", "starting", "running"], "her restart was pushed");
  t.ok(seen.some((e) => e.change === "updated" && e.persona?.organs.thinking?.model === "qwen3"), "the update was pushed");

  // Removing an optional organ with null.
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { vision: null } });
  t.equal(r.status, 200);
  t.same(Object.keys(r.body.persona.organs), ["thinking"], "vision is gone");
  t.same(Object.keys(readJson(p.persona).organs), ["thinking"]);
  t.equal(d.daemon.parts.agents.get(id).persona.organs.vision, undefined, "her running agent no longer has it");
  const agent2 = d.daemon.parts.agents.get(id);
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { vision: null, frontier: null } });
  t.equal(r.status, 200, "removing an organ she does not have is a no-op");
  t.equal(d.daemon.parts.agents.get(id), agent2, "and restarts nothing");

  // A stopped persona gets the organ but stays stopped; with status active she starts with it.
  await d.api("POST", `/api/persona/${id}/stop`);
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { vision: { ...thinking, model: "llava" } } });
  t.match(r.body.persona, { running: false, status: "hibernate", organs: { vision: { model: "llava" } } });
  r = await d.api("POST", `/api/persona/${id}/update`, { status: "active", organs: { frontier: { ...thinking, model: "qwen3" } } });
  t.match(r.body.persona, { running: true, status: "active", organs: { vision: { model: "llava" }, frontier: { model: "qwen3" } } });
  t.equal(d.daemon.parts.agents.get(id).persona.organs.frontier?.model, "qwen3");
});

t.test("update: an omitted api_key keeps the stored key, for the same provider only", async (t) => {
  const ollama = await fakeOllama(t);
  const d = await startDaemon(t, { plugins: [KEYED] });
  const key1 = "good-key-one-6a0f2c";
  const key2 = "good-key-two-93be1d";
  const id = await create(t, d, { name: "Ada", organs: { thinking: { provider: "keyed", model: "m1", api_key: key1 } } });
  const p = paths(d.home, id);

  let r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "m2" } } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.same(prepared().at(-1), { role: "thinking", spec: { provider: "keyed", model: "m2", url: "http://127.0.0.1:9", api_key: key1 } }, "prepared with the stored key");
  t.same(readJson(p.secrets).organs, { thinking: { api_key: key1 } }, "the stored key is kept");
  t.match(r.body.persona.organs.thinking, { model: "m2", has_key: true });
  t.equal(d.daemon.parts.agents.get(id).persona.organs.thinking?.model, "m2");

  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "m2", api_key: key2 } } });
  t.equal(r.status, 200, "a new key alone is a change");
  t.equal(prepared().at(-1)?.spec.api_key, key2);
  t.same(readJson(p.secrets).organs, { thinking: { api_key: key2 } });

  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "m2", api_key: "bad-key-000000" } } });
  t.equal(r.status, 400, "a refused key");
  t.same(readJson(p.secrets).organs, { thinking: { api_key: key2 } }, "does not replace the good one");

  // Another provider never receives the old key.
  const calls = prepared().length;
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.equal(prepared().length, calls, "the keyed plugin was not asked");
  t.match(r.body.persona.organs.thinking, { provider: "ollama", has_key: false });
  t.same(readJson(p.secrets).organs, {}, "the key went with the provider it was given for");
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "m2" } } });
  t.same(r.body, { detail: "Organ 'thinking' (keyed, m2) needs an api_key: Keyed (test) refuses requests without one." });
  t.equal(r.status, 400, "a removed key does not come back");

  t.same(filesContaining(d.home, key1).concat(filesContaining(d.home, key2)), [], "old keys are gone from disk");
});

t.test("boot: only active personas are started; statuses survive the daemon", async (t) => {
  const ollama = await fakeOllama(t);
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };
  const first = await startDaemon(t, { home });
  const ada = await create(t, first, { name: "Ada", organs: { thinking } });
  const bea = await create(t, first, { name: "Bea", organs: { thinking } });
  const cyd = await create(t, first, { name: "Cyd", organs: { thinking } });
  t.same((await first.api("POST", `/api/persona/${bea}/stop`)).body, { status: "stopped" });
  await first.daemon.stop();
  t.equal(readJson(paths(home, ada).persona).status, "active", "a daemon shutdown does not put her to rest");

  // Cyd fell sick (as the daemon would record it); a broken folder sits beside them.
  const cydFile = paths(home, cyd).persona;
  fs.writeFileSync(cydFile, JSON.stringify({ ...readJson(cydFile), status: "sick", status_reason: "thinking organ failed" }));
  const broken = path.join(home, "personas", "0b5e5c1e-7d2a-4f8e-9c3b-5a6d7e8f9a0b");
  fs.mkdirSync(broken, { mode: 0o700 });
  fs.writeFileSync(path.join(broken, "persona.json"), "{ half a fi");

  const second = await startDaemon(t, { home });
  const list = (await second.api("GET", "/api/personas")).body.personas;
  t.same(
    list.map((p: { name: string; status: string; running: boolean }) => [p.name, p.status, p.running]),
    [["Ada", "active", true], ["Bea", "hibernate", false], ["Cyd", "sick", false]],
    "the active one runs; the resting and the sick do not; the broken folder is skipped",
  );
  t.equal(second.daemon.parts.agents.count(), 1);
  t.same((await second.api("POST", `/api/persona/${bea}/start`)).body, { status: "started" }, "she can still be started by hand");
  t.same((await second.api("POST", `/api/persona/${cyd}/start`)).body, { status: "started" });
  t.match(readJson(cydFile), { status: "active", status_reason: null }, "starting a sick persona clears her reason");
});
