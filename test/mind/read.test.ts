import fs from "node:fs";
import path from "node:path";
import t from "tap";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { decide, isDecision, lastWords, living, until, watch, when, within } from "./helpers.js";



t.test("a plain message: one thinking call, her answer over HTTP, socket.io and in conversation.jsonl", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  ollama.brain = (req) => decide(`Hello! You said: ${lastWords(req)}`);
  const socket = await watch(t, d, id);
  const seen: any[] = [];
  socket.on("chat:message", (e) => seen.push(e));

  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "good morning" });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.equal(r.body.status, "answered");
  t.equal(r.body.replies.length, 1);
  t.equal(r.body.replies[0].text, "Hello! You said: good morning");
  t.equal(calls("llama3.2").filter(isDecision).length, 1, "exactly one thinking call");

  const lines = fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.match(lines, [
    { id: r.body.id, from: "person", channel: "web", text: "good morning" },
    { from: "persona", channel: "web", text: "Hello! You said: good morning", reply_to: r.body.id, answers: [r.body.id] },
  ]);
  t.match(seen.map((e) => [e.from, e.text]), [["person", "good morning"], ["persona", "Hello! You said: good morning"]]);

  const first = calls("llama3.2")[0]!;
  t.equal(first.messages[0]!.role, "system");
  t.match(first.messages[0]!.content, /You are Ada/);
});

t.test("her words stream as chat:delta (only the words, not the JSON), then the whole as chat:message; mind:activity follows her", async (t) => {
  const { d, ollama, id } = await living(t);
  const whole = decide('Well, "hello" — line one\nline two ünïcode');
  ollama.reply({ chunks: whole.match(/.{1,7}/gs)!, delayMs: 2 });
  const socket = await watch(t, d, id);
  const deltas: any[] = [];
  const activity: string[] = [];
  const messages: any[] = [];
  socket.on("chat:delta", (e) => deltas.push(e));
  socket.on("mind:activity", (e) => activity.push(e.activity));
  socket.on("chat:message", (e) => messages.push(e));
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hi" });
  t.equal(r.status, 200);
  // "idle" closes the beat: every delta and her message went out before it, on the same socket.
  await when(socket, "mind:activity", () => activity.includes("idle"), "mind:activity idle after her beat");
  t.ok(deltas.length > 3, `several deltas (${deltas.length})`);
  t.equal(deltas.map((x) => x.text).join(""), 'Well, "hello" — line one\nline two ünïcode');
  t.ok(deltas.every((x) => x.reply_to === r.body.id && x.persona === id));
  t.equal(messages.at(-1).text, 'Well, "hello" — line one\nline two ünïcode');
  t.same(activity, ["thinking", "idle"]);
});

t.test("read: ?wait=0 or no wait answers 202 at once; a wait that runs out answers 202; bad input is 422", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = () => ({ chunks: [decide("slow")], delayMs: 1500 });
  const quick = await d.api("POST", `/api/persona/${id}/read`, { message: "hi" });
  t.same(Object.keys(quick.body).sort(), ["id", "status"]);
  t.equal(quick.status, 202);
  const short = await d.api("POST", `/api/persona/${id}/read?wait=0.2`, { message: "again" });
  t.equal(short.status, 202, "her answer was not ready in time");
  for (const [q, body] of [["", {}], ["", { message: "" }], ["", { message: 5 }], ["", { message: "x", extra: 1 }], ["?wait=-1", { message: "x" }], ["?wait=601", { message: "x" }], ["?wait=abc", { message: "x" }], ["", { message: "x".repeat(100_001) }]] as const) {
    const r = await d.api("POST", `/api/persona/${id}/read${q}`, body);
    t.equal(r.status, 422, `${q} ${JSON.stringify(body).slice(0, 40)}`);
    t.ok(Array.isArray(r.body.detail));
  }
  t.equal((await d.api("POST", `/api/persona/${id}/read`, "not json", { "content-type": "application/json" })).status, 422);
});

t.test("stopped mid-thought: the stop does not wait for the model, and the message is answered when she starts again", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  // The model takes her question and does not answer it while the test runs.
  let release!: () => void;
  ollama.reply({ held: new Promise<void>((r) => (release = r)) });
  t.teardown(() => release());
  const asked = new Promise<void>((resolve) => (ollama.onChat = (event, body) => void (event === "request" && isDecision(body as ChatRequest) && resolve())));
  const r = await d.api("POST", `/api/persona/${id}/read`, { message: "are you there?" });
  t.equal(r.status, 202);
  await within(asked, "her question to reach the model");
  t.equal(calls().length, 1, "she was thinking");
  const began = Date.now();
  t.same((await d.api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  t.ok(Date.now() - began < 3000, `stopped in ${Date.now() - began} ms`);
  ollama.brain = (req) => decide(`yes: ${lastWords(req)}`);
  t.same((await d.api("POST", `/api/persona/${id}/start`)).body, { status: "started" });
  const conv = path.join(d.home, "personas", id, "home", "conversation.jsonl");
  await until(() => fs.readFileSync(conv, "utf8").includes("yes: are you there?"), 5000, "the answer after the restart");
  const lines = fs.readFileSync(conv, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.equal(lines.filter((e) => e.text === "are you there?").length, 1, "the message is there once");
  t.match(lines.at(-1), { from: "persona", answers: [r.body.id] });
});

t.test("a rename reaches her next beat without a restart", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  ollama.brain = () => decide("hi");
  const agent = d.daemon.parts.agents.get(id);
  t.equal((await d.api("POST", `/api/persona/${id}/update`, { name: "Bea" })).status, 200);
  t.equal(d.daemon.parts.agents.get(id), agent, "the same agent, not restarted");
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "who are you?" });
  t.match(calls().at(-1)!.messages[0]!.content, /^You are Bea,/);
});
