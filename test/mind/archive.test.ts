import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { localDate } from "../../core/mind/clock.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, tempHome } from "../helpers/daemon.js";
import { decide, isDecision, lastWords, living } from "./helpers.js";

// Her night moves the day to history once, whatever a crash left behind; what a crash left
// half done on disk is cleared when the daemon starts.

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);

t.test("a night after a crash mid-archive adds no message twice, and files each message under its own day", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = (req) => (isDecision(req) ? decide(`ok: ${lastWords(req)}`) : undefined);
  for (const m of ["one", "two", "three"]) t.equal((await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: m })).status, 200);
  const home = path.join(d.home, "personas", id, "home");
  const today = localDate();
  const history = path.join(home, "history", `conversation-${today}.jsonl`);
  const day = lines(path.join(home, "conversation.jsonl"));
  t.equal(day.length, 6, "three messages and three answers today");

  // A night killed after it wrote history and before it rewrote today: the day is in both places.
  fs.writeFileSync(history, day.slice(0, 4).map((e) => JSON.stringify(e)).join("\n") + "\n");
  // And a message left over from the day before, never archived.
  const yesterday = new Date(Date.now() - 86_400_000);
  const old = { id: "00000000-0000-4000-8000-000000000001", time: yesterday.toISOString(), from: "person", channel: "web", text: "from yesterday" };
  fs.writeFileSync(path.join(home, "conversation.jsonl"), [old, ...day].map((e) => JSON.stringify(e) + "\n").join(""));

  const r = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.equal(r.body.archived, today, "the newest day archived");
  const archived = lines(history);
  t.same(archived.map((e) => e.id), day.map((e) => e.id), "today's history holds each of today's messages once, in order");
  t.same(lines(path.join(home, "history", `conversation-${localDate(yesterday)}.jsonl`)).map((e) => e.text), ["from yesterday"], "yesterday's message went to yesterday");
  t.same(lines(path.join(home, "conversation.jsonl")), [], "and today's file is empty for the new day");
  const md = fs.readFileSync(path.join(home, "history", `conversation-${today}.md`), "utf8");
  t.equal(md.match(/\*\*Person\*\*/g)?.length, 3, "the Markdown day holds each message once too");

  const again = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(again.body.archived, null, "a second night has nothing to archive");
  t.equal(lines(history).length, 6, "and adds nothing");
});

t.test("what a crash left half done is cleared at start: temp files of atomic writes, staging and removal folders", async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const first = await startDaemon(t, { home });
  const created = await first.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const id: string = created.body.persona.id;
  await first.daemon.stop();

  const root = path.join(home, "personas");
  const dir = path.join(root, id);
  const litter = [
    path.join(dir, "home", "notes.md.3312456789"),
    path.join(dir, "persona.json.12"),
    path.join(dir, "home", "history", "conversation-2026-11-01.jsonl.4242"),
    path.join(dir, "home", "destiny", "a1b2.json.99"),
  ];
  for (const f of litter) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, "half");
  }
  const keep = [path.join(dir, "home", "media", "photo.2024"), path.join(dir, "home", "notes.md"), path.join(dir, "workspace", "draft.md.7")];
  fs.writeFileSync(keep[0]!, "a picture named so by the person");
  fs.writeFileSync(keep[2]!, "her own file");
  fs.mkdirSync(path.join(root, ".new-11111111-1111-4111-8111-111111111111", "home"), { recursive: true });
  fs.mkdirSync(path.join(root, `.gone-${id}-abcd1234`, "home"), { recursive: true });

  const second = await startDaemon(t, { home });
  for (const f of litter) t.notOk(fs.existsSync(f), `${path.relative(home, f)} was removed`);
  for (const f of keep) t.ok(fs.existsSync(f), `${path.relative(home, f)} was kept`);
  t.same(fs.readdirSync(root), [id], "no staging or removal folder is left, and she is still there");
  t.equal((await second.api("GET", "/api/personas")).body.personas.length, 1);
});
