import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { decide, isDecision, lastWords, living, until, watch, within } from "./helpers.js";


t.test("a thinking organ that starts refusing connections makes her sick; started again after it recovers, she answers what waited", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  const socket = await watch(t, d, id);
  const faults: any[] = [];
  socket.on("organ:fault", (e) => faults.push(e));
  let fellSick!: () => void;
  const sick = new Promise<void>((resolve) => (fellSick = resolve));
  socket.on("persona:changed", (e) => e.id === id && e.change === "status" && e.persona?.status === "sick" && fellSick());
  t.equal((await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "one" })).status, 200);

  const port = new URL(ollama.url).port;
  await ollama.close();
  const r = await d.api("POST", `/api/persona/${id}/read`, { message: "are you there?" });
  t.equal(r.status, 202);

  // Her sickness is pushed once she is stopped, after every organ:fault of hers, on the same socket.
  await within(sick, "persona:changed saying she is sick", 15_000);
  const view = (await d.api("GET", "/api/personas")).body.personas[0];
  t.match(view, { status: "sick", running: false, state: "stopped" });
  t.match(view.status_reason, /connection refused/);
  t.match(view.status_reason, new RegExp(`127\\.0\\.0\\.1:${port}`), "the reason names where");
  // Three thinking failures in a row make her sick (the first try and two more): one organ:fault each.
  t.equal(faults.length, 3, "organ:fault was pushed for each try");
  for (const f of faults) t.match(f, { persona: id, role: "thinking", provider: "ollama", model: "llama3.2", detail: /connection refused/ });

  const diag = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.equal(diag.status, 200);
  t.match(diag.body, { status: "sick", running: false, status_reason: /connection refused/ });
  t.match(diag.body.organs.thinking.last_fault, { detail: /connection refused/ }, "diagnose keeps the organ's last fault");
  const conv = fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8");
  t.match(conv, /I cannot think right now, so I have stopped/, "the person is told");
  t.equal((await d.api("POST", `/api/persona/${id}/read`, { message: "hello?" })).status, 409, "live routes answer 409 while she is sick");

  const healed = await startFakeOllama({ port: Number(port), models: ["llama3.2"] });
  t.teardown(() => healed.close());
  healed.brain = (req) => decide(`back: ${lastWords(req)}`);
  t.same((await d.api("POST", `/api/persona/${id}/start`)).body, { status: "started" });
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { status: "active", status_reason: null, running: true });
  await until(() => fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8").includes("back: are you there?"), 10_000, "the waiting message answered");
  t.equal(healed.requests.filter((q) => q.path === "/api/chat" && isDecision(q.body)).length, 1, "what waited is answered in one beat");
});

t.test("one 429 is retried and she answers; she does not get sick", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  ollama.fail({ status: 429, retryAfter: "0" }, { path: "/api/chat" });
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hi" });
  t.equal(r.status, 200);
  t.same(r.body.replies.map((x: any) => x.text), ["ok: hi"]);
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { status: "active", running: true });
});
