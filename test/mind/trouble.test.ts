import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { decide, isDecision, lastWords, living, watch } from "./helpers.js";

// What keeps her from answering is shown, and what waits keeps waiting until it is put right.

t.test("a beat that fails on her own files keeps the message waiting, says why in diagnose, and answers it once the file is put right", async (t) => {
  const { d, ollama, id } = await living(t, { env: { ETERNEGO_FAULT_RETRY_MS: "50" } });
  ollama.brain = (req) => (isDecision(req) ? decide(`You said: ${lastWords(req)}`) : undefined);
  const notes = path.join(d.home, "personas", id, "home", "notes.md");
  fs.rmSync(notes);
  fs.mkdirSync(notes); // a folder where her notes belong: she cannot read herself

  const socket = await watch(t, d, id);
  const r = await d.api("POST", `/api/persona/${id}/read?wait=1`, { message: "are you there?" });
  t.equal(r.status, 202, "not answered: the wait runs out rather than claim an answer she never gave");
  t.same(Object.keys(r.body).sort(), ["id", "status"]);

  const diag = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.match(diag.body.trouble, { kind: "files", detail: /home\/notes\.md.*folder/, since: String }, "diagnose names the file and what is wrong with it");
  t.equal(diag.body.inbox, 1, "the message waits in her inbox");
  const knowledge = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(knowledge.status, 400, "knowledge on a broken file is a 400…");
  t.match(knowledge.body.detail, /home\/notes\.md/, "…naming the file");
  t.equal(ollama.requests.filter((q) => q.path === "/api/chat").length, 0, "her thinking organ was never asked while she could not read herself");

  const answered = new Promise<any>((resolve) => socket.on("chat:message", (e) => e.from === "persona" && resolve(e)));
  fs.rmdirSync(notes);
  fs.writeFileSync(notes, "# My notes\n");
  const reply = await answered;
  t.equal(reply.text, "You said: are you there?", "once the file is right she answers what waited");
  const lines = fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.equal(lines.filter((e) => e.from === "persona" && e.reply_to === r.body.id).length, 1, "answered exactly once");
  t.equal((await d.api("GET", `/api/persona/${id}/diagnose`)).body.trouble, null, "and the trouble is gone");
  t.equal((await d.api("GET", `/api/persona/${id}`)).body.persona.status, "active", "a broken file never makes her sick");
});

t.test("retries keep their spacing when new messages arrive: a burst cannot turn one short fault into sickness", async (t) => {
  const RETRY = 400;
  const { d, ollama, id } = await living(t, { env: { ETERNEGO_FAULT_RETRY_MS: String(RETRY) } });
  // A refusal that is not retried inside the plugin, three times: each is one beat's fault.
  ollama.fail({ status: 400, error: "injected refusal" }, { times: 2, path: "/api/chat" });
  ollama.brain = (req) => (isDecision(req) ? decide("Here now.") : undefined);
  const socket = await watch(t, d, id);
  const faults: number[] = [];
  socket.on("organ:fault", () => faults.push(Date.now()));
  const firstFault = new Promise<void>((resolve) => socket.once("organ:fault", () => resolve()));
  const answered = new Promise<any>((resolve) => socket.on("chat:message", (e) => e.from === "persona" && resolve(e)));
  await d.api("POST", `/api/persona/${id}/read`, { message: "one" });
  await firstFault;
  for (let i = 0; i < 10; i++) await d.api("POST", `/api/persona/${id}/read`, { message: `burst ${i}` });
  const reply = await answered;
  t.equal(reply.text, "Here now.", "after two faults she answers");
  t.equal(faults.length, 2, "two faults, not one per message of the burst");
  t.ok(faults[1]! - faults[0]! >= RETRY * 0.9, `the second try waited for its turn (${faults[1]! - faults[0]!} ms, spacing ${RETRY} ms)`);
  const p = (await d.api("GET", `/api/persona/${id}`)).body.persona;
  t.same([p.status, p.running], ["active", true], "she is not sick");
  const decisions = ollama.requests.filter((q) => q.path === "/api/chat" && q.status === 200);
  t.equal(decisions.length, 1, "and one good beat answered the whole burst");
});
