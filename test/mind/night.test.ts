import fs from "node:fs";
import path from "node:path";
import t from "tap";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { decide, isDecision, lastWords, living, until } from "./helpers.js";

const isNight = (req: ChatRequest) => JSON.stringify(req.format ?? {}).includes('"persona_trait"');

function night(over: Record<string, string> = {}) {
  return JSON.stringify({
    person: "# What I know about the person\n\n- Likes green tea.\n- Has a cat, Miso.",
    traits: "Curious, kind.",
    persona_trait: "I am Ada: warm, precise, a little playful.",
    wishes: "To learn the cello.",
    struggles: "Sleeps too little.",
    permissions: "",
    context: "Tomorrow: ask how the cello lesson went.",
    summary: "We talked about tea and the cello.",
    ...over,
  });
}

t.test("her night rewrites her memory files whole, archives the day, and she wakes to morning", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  fs.writeFileSync(path.join(home, "person.md"), "# What I know about the person\n\n- Likes green tea.\n- Likes green tea.\n- Drinks coffee (no longer true)\n");
  ollama.brain = (req) => (isNight(req) ? night() : decide(`ok: ${lastWords(req)}`));
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "I drink green tea now, and I'm starting the cello" });
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "good night" });

  const r = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(r.status, 200, JSON.stringify(r.body));
  const today = new Date();
  const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  const { diary, ...rest } = r.body;
  t.same(rest, { archived: date, messages: 4, updated: ["person", "traits", "persona_trait", "wishes", "struggles", "context"], summary: "We talked about tea and the cello." });
  t.match(diary, { created: /^\d{4}-\d{2}-\d{2}T/, bytes: Number }, "and her diary is written after it");
  t.equal(fs.statSync(path.join(d.home, "personas", id, "diary", `${id}.diary`)).size, diary.bytes, "the diary on disk is the one it tells of");

  const nightCall = calls().find(isNight)!;
  t.match(nightCall.messages.at(-1)!.content, /Drinks coffee \(no longer true\)[\s\S]*## Today[\s\S]*Person: I drink green tea now/, "she reads her files and the day");
  t.equal(fs.readFileSync(path.join(home, "person.md"), "utf8"), "# What I know about the person\n\n- Likes green tea.\n- Has a cat, Miso.\n", "curated, not appended");
  t.equal(fs.readFileSync(path.join(home, "wishes.md"), "utf8"), "# The person's wishes\n\nTo learn the cello.\n", "a heading is kept for a person reading it");
  t.equal(fs.readFileSync(path.join(home, "permissions.md"), "utf8"), "# What the person allows me to do\n", "an empty answer keeps the file as it was");
  t.match(fs.readFileSync(path.join(home, "context.md"), "utf8"), /ask how the cello lesson went/);
  t.equal(fs.readFileSync(path.join(home, "conversation.jsonl"), "utf8"), "", "a new day begins");
  const archived = fs.readFileSync(path.join(home, "history", `conversation-${date}.jsonl`), "utf8").trim().split("\n");
  t.equal(archived.length, 4);
  const md = fs.readFileSync(path.join(home, "history", `conversation-${date}.md`), "utf8");
  t.match(md, new RegExp(`^# Conversation of ${date}\\n\\n\\*\\*Person\\*\\* · \\d\\d:\\d\\d · web\\n\\nI drink green tea now`));
  t.match(md, /\*\*Ada\*\* · \d\d:\d\d · web\n\nok: good night/);
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { phase: "morning", running: true });

  // The next beat's prompt carries the new files and the hand-off.
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "morning!" });
  const next = calls().filter(isDecision).at(-1)!;
  t.match(next.messages[0]!.content, /I am Ada: warm, precise/);
  t.match(next.messages[1]!.content, /Tomorrow: ask how the cello lesson went/);
  t.notMatch(JSON.stringify(next.messages), /good night/, "yesterday is not in today's conversation");

  const quiet = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(quiet.status, 200);
  t.equal(quiet.body.messages, 2);
});

t.test("20 messages sent while she sleeps are all answered after she wakes, none dropped", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  let nights = 0;
  ollama.brain = (req) => {
    if (isNight(req)) {
      nights++;
      return { chunks: night().match(/.{1,40}/gs)!, delayMs: 25 }; // a night that takes a while
    }
    const asked = req.messages.filter((m) => m.role === "user").map((m) => m.content.replace(/^\[[^\]]*\]\s*/, ""));
    const open = asked.filter((m) => m.startsWith("message "));
    return decide(`answering ${open.length} messages`);
  };
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello before bed" });

  const sleeping = d.api("POST", `/api/persona/${id}/sleep`);
  await until(async () => (await d.api("GET", `/api/persona/${id}`)).body.persona.phase === "night", 5000, "her night");
  const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => d.api("POST", `/api/persona/${id}/read?wait=30`, { message: `message ${i + 1}` })));
  const slept = await sleeping;
  t.equal(slept.status, 200);
  t.equal(slept.body.messages, 2, "the night archived only the day before it, not what came during it");
  t.equal(nights, 1);

  for (const r of sent) t.equal(r.status, 200, "every message has its answer");
  const answers = new Set(sent.flatMap((r) => r.body.replies.map((x: any) => x.id)));
  const conv = fs.readFileSync(path.join(home, "conversation.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const people = conv.filter((e) => e.from === "person").map((e) => e.text);
  t.same(people.sort(), Array.from({ length: 20 }, (_, i) => `message ${i + 1}`).sort(), "each message once, in the new day");
  const hers = conv.filter((e) => e.from === "persona");
  // How the 20 are split between her beats depends on when each arrived; whatever the split,
  // each beat after the night says one answer, and the replies are exactly those answers.
  t.same([...answers].sort(), hers.map((e) => e.id).sort(), "the replies are her words of the new day, all of them");
  t.equal(answers.size, calls().filter(isDecision).length - 1, "one answer for each beat after the night");
  for (const r of sent) t.same(r.body.replies.map((x: any) => x.id), hers.filter((e) => e.answers?.includes(r.body.id)).map((e) => e.id), "a message's replies are the answer that answers it");
  const answered = hers.flatMap((e) => e.answers ?? []);
  t.equal(answered.length, 20, "twenty answered, none twice");
  t.same(new Set(answered), new Set(sent.map((r) => r.body.id)), "and they are the twenty sent");
  for (const e of conv.filter((e) => e.from === "person")) t.ok(answered.includes(e.id), `${e.text} answered`);
  const firstAfter = calls().filter(isDecision).at(1)!;
  t.ok(calls().indexOf(firstAfter) > calls().findIndex(isNight), "answered after the night");
});
