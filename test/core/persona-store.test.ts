import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { Invalid, NotFound } from "../../core/api/errors.js";
import type { Config } from "../../core/config.js";
import { FORMAT_VERSION, PersonaStore, type PersonaRecord, type PersonaSecrets } from "../../core/persona-store.js";
import { tempHome } from "../helpers/daemon.js";

// The persona store on its own (SPEC §5): her folder, modes, atomic JSON writes, loading.

const ID_A = "1a2b3c4d-0000-4000-8000-00000000000a";
const ID_B = "1a2b3c4d-0000-4000-8000-00000000000b";
const ID_C = "1a2b3c4d-0000-4000-8000-00000000000c";

type T = Test;

function newStore(t: T): { store: PersonaStore; home: string } {
  const home = tempHome("eternego-store-");
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  return { store: new PersonaStore({ home } as Config), home };
}

function record(id: string, over: Partial<PersonaRecord> = {}): PersonaRecord {
  return {
    version: FORMAT_VERSION,
    id,
    name: "Ada",
    birthday: "2026-11-28",
    created_at: "2026-11-28T10:00:00.000Z",
    status: "active",
    status_reason: null,
    organs: { thinking: { provider: "ollama", model: "llama3.2", url: "http://localhost:11434" } },
    channels: [],
    diary: { fingerprint: "0011223344556677" },
    ...over,
  };
}

const secrets = (key = "sk-test-0123456789"): PersonaSecrets => ({ organs: { thinking: { api_key: key } }, channels: {}, diary_recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq" });
const mode = (p: string) => fs.statSync(p).mode & 0o777;
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, "utf8"));

t.test("create writes her whole folder with private modes and no secret in persona.json", async (t) => {
  const { store, home } = newStore(t);
  await store.create(record(ID_A), secrets());
  const dir = path.join(home, "personas", ID_A);
  t.equal(store.dir(ID_A), dir);
  t.same(fs.readdirSync(dir).sort(), ["diary", "home", "persona.json", "secrets.json", "workspace"]);
  for (const d of [path.join(home, "personas"), dir, path.join(dir, "home"), path.join(dir, "diary"), path.join(dir, "workspace"), ...["history", "destiny", "media", "meanings", "lessons"].map((x) => path.join(dir, "home", x))]) {
    t.equal(mode(d), 0o700, `${path.relative(home, d)} is 0700`);
  }
  t.equal(mode(path.join(dir, "secrets.json")), 0o600, "secrets.json is 0600");
  t.equal(mode(path.join(dir, "persona.json")), 0o600);
  t.equal(fs.readFileSync(path.join(dir, "home", "person.md"), "utf8"), "# What I know about the person\n", "memory files start with a heading");
  t.equal(fs.readFileSync(path.join(dir, "home", "conversation.jsonl"), "utf8"), "");

  const onDisk = readJson(path.join(dir, "persona.json"));
  t.same(onDisk, record(ID_A), "persona.json is the record");
  t.equal(onDisk.version, 2, "with its format version");
  t.notMatch(fs.readFileSync(path.join(dir, "persona.json"), "utf8"), /api_key|sk-test|diary_recipient|age1/);
  t.same(readJson(path.join(dir, "secrets.json")), secrets());
  t.same(await store.secrets(ID_A), secrets());
  t.same(await store.get(ID_A), record(ID_A));
  t.ok(await store.has(ID_A));

  // She is written aside and renamed into place: a folder already there is never written over.
  fs.writeFileSync(path.join(dir, "home", "notes.md"), "# My notes\nremember the tea\n");
  await t.rejects(store.create(record(ID_A), secrets()), /ENOTEMPTY|EEXIST/, "a second create of the same id is refused");
  t.equal(fs.readFileSync(path.join(dir, "home", "notes.md"), "utf8"), "# My notes\nremember the tea\n", "and her files are as they were");
  t.same(fs.readdirSync(path.join(home, "personas")), [ID_A], "with nothing left beside her");
});

t.test("every JSON write is a temp file and a rename, never an in-place rewrite", async (t) => {
  const { store, home } = newStore(t);
  await store.create(record(ID_A), secrets());
  const dir = path.join(home, "personas", ID_A);
  const personaFile = path.join(dir, "persona.json");
  const secretsFile = path.join(dir, "secrets.json");

  const inode = fs.statSync(personaFile).ino;
  await store.save({ ...record(ID_A), name: "Bea" });
  t.not(fs.statSync(personaFile).ino, inode, "persona.json was replaced by rename (a new inode)");
  t.equal(readJson(personaFile).name, "Bea");

  fs.chmodSync(secretsFile, 0o644);
  const sInode = fs.statSync(secretsFile).ino;
  await store.saveSecrets(ID_A, secrets("sk-test-new-9876543210"));
  t.not(fs.statSync(secretsFile).ino, sInode, "secrets.json too");
  t.equal(mode(secretsFile), 0o600, "and it is 0600 again whatever its mode was");
  t.equal(readJson(secretsFile).organs.thinking.api_key, "sk-test-new-9876543210");

  // A reader racing many writers only ever sees a whole file.
  let reads = 0;
  let broken = 0;
  let writing = true;
  const reader = (async () => {
    while (writing) {
      const text = fs.readFileSync(personaFile, "utf8");
      reads++;
      try {
        JSON.parse(text);
      } catch {
        broken++;
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  const names = Array.from({ length: 60 }, (_, i) => `Name ${i} ${"x".repeat(i * 500)}`);
  await Promise.all(names.map((name) => store.save({ ...record(ID_A), name })));
  writing = false;
  await reader;
  t.ok(reads > 0);
  t.equal(broken, 0, `no half-written file among ${reads} reads`);
  t.ok(names.includes(readJson(personaFile).name), "the file holds one whole record");
  t.same(fs.readdirSync(dir).sort(), ["diary", "home", "persona.json", "secrets.json", "workspace"], "no temp file left behind");
});

t.test("ids: only UUIDs name a folder; anything else is a 404", async (t) => {
  const { store } = newStore(t);
  for (const bad of ["../../etc", "..", "", ID_A.toUpperCase(), `${ID_A}/..`, "not-a-uuid"]) {
    t.throws(() => store.dir(bad), NotFound, `dir(${JSON.stringify(bad)})`);
    await t.rejects(store.get(bad), { status: 404, message: `No persona with id '${bad}'.` });
    t.equal(await store.has(bad), false);
  }
  await t.rejects(store.get(ID_B), { status: 404, message: `No persona with id '${ID_B}'.` }, "a UUID nobody has");
});

t.test("load and list: oldest first; broken or foreign folders are reported and skipped", async (t) => {
  const { store, home } = newStore(t);
  await store.create(record(ID_B, { name: "Bea", created_at: "2026-11-28T10:00:00.000Z" }), secrets());
  await store.create(record(ID_A, { name: "Ada", created_at: "2026-11-28T12:00:00.000Z" }), secrets());
  await store.create(record(ID_C, { name: "Cyd", created_at: "2026-11-28T10:00:00.000Z" }), secrets());
  t.same((await store.list()).map((r) => r.name), ["Bea", "Cyd", "Ada"], "by created_at, then id");

  const root = path.join(home, "personas");
  const broken = "2b2b2b2b-0000-4000-8000-000000000001";
  const mismatched = "2b2b2b2b-0000-4000-8000-000000000002";
  fs.mkdirSync(path.join(root, broken));
  fs.writeFileSync(path.join(root, broken, "persona.json"), '{"id": "2b2b');
  fs.mkdirSync(path.join(root, mismatched));
  fs.writeFileSync(path.join(root, mismatched, "persona.json"), JSON.stringify(record(ID_A)));
  fs.mkdirSync(path.join(root, "notes"));
  fs.writeFileSync(path.join(root, "README.txt"), "hello");

  const fresh = new PersonaStore({ home } as Config);
  const reported: [string, string][] = [];
  await fresh.load((dir, err) => reported.push([path.basename(dir), (err as Error).message]));
  t.same(reported.map(([d]) => d).sort(), [broken, mismatched], "both bad folders are reported");
  t.match(Object.fromEntries(reported)[mismatched], `persona.json cannot be hers: it says its id is '${ID_A}', but her id is '${mismatched}'`);
  t.same((await fresh.list()).map((r) => r.id), [ID_B, ID_C, ID_A], "the good ones load, in order");
  t.equal(await fresh.has(broken), false);
});

t.test("reload picks up a hand edit; a broken one is a 400 naming the file", async (t) => {
  const { store, home } = newStore(t);
  await store.create(record(ID_A), secrets());
  const file = path.join(home, "personas", ID_A, "persona.json");
  fs.writeFileSync(file, JSON.stringify({ ...record(ID_A), name: "Ada Lovelace" }));
  t.equal((await store.get(ID_A)).name, "Ada", "the cache holds until reload");
  t.equal((await store.reload(ID_A)).name, "Ada Lovelace");
  t.equal((await store.get(ID_A)).name, "Ada Lovelace");

  fs.writeFileSync(file, "{ nope");
  const err = await store.reload(ID_A).then(() => null, (e) => e);
  t.type(err, Invalid);
  t.match(err?.message, `${file} cannot be read: `);
  t.equal((await store.get(ID_A)).name, "Ada Lovelace", "a failed reload keeps what was loaded");
  fs.writeFileSync(file, "null");
  await t.rejects(store.reload(ID_A), Invalid, "valid JSON that is not her record");
  fs.writeFileSync(file, JSON.stringify(record(ID_B)));
  await t.rejects(store.reload(ID_A), { status: 400, message: `${file} cannot be hers: it says its id is '${ID_B}', but her id is '${ID_A}' (an id never changes). Fix the file and try again.` });
  fs.writeFileSync(file, JSON.stringify({ ...record(ID_A), created_at: undefined }));
  await t.rejects(store.reload(ID_A), { status: 400, message: `${file} cannot be hers: "created_at" is required. Fix the file and try again.` }, "a record the list could not sort");
});

t.test("secrets default when absent; remove deletes her whole folder", async (t) => {
  const { store, home } = newStore(t);
  await store.create(record(ID_A), secrets());
  const dir = path.join(home, "personas", ID_A);
  fs.rmSync(path.join(dir, "secrets.json"));
  t.same(await store.secrets(ID_A), { organs: {}, channels: {} });
  fs.writeFileSync(path.join(dir, "workspace", "draft.txt"), "x");
  await store.remove(ID_A);
  t.notOk(fs.existsSync(dir));
  await t.rejects(store.get(ID_A), NotFound);
  t.same(await store.list(), []);
});

t.test("creates at once on a store not yet loaded all land: only the daemon's boot clears staging folders", async (t) => {
  const { store, home } = newStore(t);
  const ids = Array.from({ length: 12 }, (_, i) => `1a2b3c4d-0000-4000-8000-0000000001${String(i).padStart(2, "0")}`);
  await Promise.all(ids.map((id) => store.create(record(id), secrets())));
  t.same(fs.readdirSync(path.join(home, "personas")).sort(), ids.sort(), "every one of them, and nothing beside");
  t.equal((await store.list()).length, 12);
});
