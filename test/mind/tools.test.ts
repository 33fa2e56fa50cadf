import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { decide, isDecision, lastWords, living } from "./helpers.js";

t.test("tools run and write her files; a tool whose result she needs feeds the next step of the same beat", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  const due = new Date(Date.now() + 3_600_000).toISOString();

  ollama.reply(
    decide("I'll remember that, and remind you.", [
      { name: "remember_fact", args: { fact: "Their cat is called Miso." } },
      { name: "save_note", args: { text: "Ask about Miso's vet visit." } },
      { name: "set_reminder", args: { text: "Take Miso to the vet", due, recurrence: "weekly" } },
    ]),
  );
  let r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "My cat Miso needs the vet in an hour, every week." });
  t.equal(r.status, 200);
  t.equal(r.body.replies[0].text, "I'll remember that, and remind you.");
  t.equal(calls().filter(isDecision).length, 1, "tools that inform nothing need no second call");
  t.match(fs.readFileSync(path.join(home, "person.md"), "utf8"), /^# What I know about the person\n\n?- Their cat is called Miso\.\n$/m);
  t.match(fs.readFileSync(path.join(home, "notes.md"), "utf8"), /- Ask about Miso's vet visit\./);
  const destiny = fs.readdirSync(path.join(home, "destiny"));
  t.equal(destiny.length, 1);
  const reminder = JSON.parse(fs.readFileSync(path.join(home, "destiny", destiny[0]!), "utf8"));
  t.match(reminder, { text: "Take Miso to the vet", due, recurrence: "weekly" });

  // list_reminders informs: its result comes back in a second step of the same beat.
  ollama.reply(decide("", [{ name: "list_reminders", args: {} }]));
  ollama.brain = (req) => {
    const results = req.messages.filter((m) => m.role === "system" && m.content.startsWith("Result of list_reminders"));
    return decide(results.length ? `You have: ${results[0]!.content.includes("Take Miso to the vet") ? "the vet" : "nothing"}` : "?");
  };
  const before = calls().filter(isDecision).length;
  r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "What reminders do I have?" });
  t.same(r.body.replies.map((x: any) => x.text), ["You have: the vet"]);
  t.equal(calls().filter(isDecision).length - before, 2, "two steps: the tool, then the answer");

  // cancel, and a tool given wrong args is told back to her, not thrown
  ollama.brain = null;
  ollama.reply(
    decide("", [{ name: "cancel_reminder", args: { id: reminder.id } }, { name: "set_reminder", args: { text: "x", due: "tomorrow-ish" } }]),
    (req) => {
      const text = req.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n");
      return decide(/cancelled/.test(text) && /set_reminder was not run: "due" must be in ISO 8601 date format/.test(text) ? "done" : `confused: ${text.slice(-300)}`);
    },
  );
  r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Cancel it." });
  t.same(r.body.replies.map((x: any) => x.text), ["done"]);
  t.same(fs.readdirSync(path.join(home, "destiny")), [], "the reminder is gone");

  // recall_day reads an archived day
  fs.writeFileSync(path.join(home, "history", "conversation-2026-01-02.jsonl"), JSON.stringify({ id: "x", time: "2026-01-02T10:00:00.000Z", from: "person", channel: "web", text: "I got a new bike" }) + "\n");
  ollama.reply(decide("", [{ name: "recall_day", args: { date: "2026-01-02" } }]), (req) =>
    decide(req.messages.some((m) => m.content.includes("I got a new bike")) ? "You got a new bike that day." : "I don't know."),
  );
  r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "What happened on Jan 2?" });
  t.same(r.body.replies.map((x: any) => x.text), ["You got a new bike that day."]);
  t.equal(lastWords(calls().at(-1)!), "What happened on Jan 2?");
});

t.test("a step limit bounds a beat that keeps asking for tools", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  ollama.brain = () => decide("", [{ name: "list_reminders", args: {} }]);
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "loop" });
  t.equal(r.status, 200);
  t.same(r.body.replies, [], "she chose silence");
  t.equal(calls().filter(isDecision).length, 4, "at most four steps");
});

t.test("a fault after her tools ran does not run them again: one reminder, not two", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  const due = new Date(Date.now() + 3_600_000).toISOString();
  ollama.reply(() => {
    // The next call (her second step) meets a server error: a fault in the middle of the beat.
    ollama.fail({ status: 400, error: "the server is in a bad mood" }, { path: "/api/chat" });
    return decide("Setting it.", [{ name: "set_reminder", args: { text: "Water the plants", due } }, { name: "list_reminders", args: {} }]);
  });
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "remind me to water the plants" });
  t.equal(r.status, 200);
  t.same(r.body.replies.map((x: any) => x.text), ["Setting it."], "what she said before the fault is her answer");
  t.equal(ollama.requests.filter((q) => q.path === "/api/chat" && q.status === 400).length, 1, "the second step did fault");
  t.match((await d.api("GET", `/api/persona/${id}/diagnose`)).body.organs.thinking.last_fault, { detail: /bad mood/ });

  // The fault armed a retry, and no new beat starts before it has run: her answer to the next
  // message comes after it. A retry that ran the beat again would show there as one more
  // thinking call, a second reminder, or her next answer answering the first message too.
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  const next = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "thanks" });
  t.equal(next.status, 200, JSON.stringify(next.body));
  t.same(next.body.replies.map((x: any) => x.text), ["ok: thanks"]);
  t.equal(fs.readdirSync(path.join(home, "destiny")).length, 1, "the reminder was set once");
  t.equal(calls().filter(isDecision).length, 3, "the beat was not tried again from the start: its two steps, then one for the next message");
  const said = fs.readFileSync(path.join(home, "conversation.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.from === "persona");
  t.same(said.map((e) => [e.text, e.answers]), [["Setting it.", [r.body.id]], ["ok: thanks", [next.body.id]]], "each message answered once");
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { status: "active", running: true });
});
