import fs from "node:fs";
import path from "node:path";
import t from "tap";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { pdf, png, wav } from "../fixtures/files/samples.js";
import { decide, isDecision, living, until, watch } from "./helpers.js";

// A whole day of her life against the fake organ servers, then every file on disk read the
// way a person would read it.

const format = (req: ChatRequest) => JSON.stringify(req.format ?? {});

t.test("a full day: messages, an image, a voice note, a PDF, a reminder, a lesson, a night", async (t) => {
  const openai = await startFakeOpenAI();
  t.teardown(() => openai.close());
  const { d, ollama, id, calls } = await living(t, {
    env: { ETERNEGO_HEARTBEAT_MS: "50" },
    organs: {
      vision: { provider: "ollama", model: "llava" },
      frontier: { provider: "ollama", model: "frontier-70b" },
      hearing: { provider: "openai", model: "whisper-1", url: openai.url, api_key: "sk-day-test-4b1d2c3e5f6a7b8c" },
    },
  });
  const home = path.join(d.home, "personas", id, "home");
  const read = (f: string) => fs.readFileSync(path.join(home, f), "utf8");
  let remindAt = "";

  ollama.brain = (req) => {
    if (req.model === "llava") return "A small red square on a white background.";
    if (req.model === "frontier-70b") return JSON.stringify({ intention: "Write a haiku for Sam.", lesson: "Three lines: 5, 7, 5 syllables; one image.", procedure: "1. One image from Sam's day.\n2. 5-7-5." });
    if (format(req).includes('"persona_trait"')) {
      const day = req.messages.at(-1)!.content;
      return JSON.stringify({
        person: `- Name: Sam.\n- Loves green tea.${day.includes("call mom") ? "\n- Calls their mother." : ""}`,
        traits: "Warm, busy.",
        persona_trait: "I am Ada. I keep Sam company and remember for them.",
        wishes: day.includes("haiku") ? "Enjoys poems." : "",
        struggles: "",
        permissions: "May remind Sam of things.",
        context: "Tomorrow: ask whether Sam called mom.",
        summary: "A full day with Sam: tea, a red square, a report, a haiku.",
      });
    }
    if (!isDecision(req)) return undefined;
    const system = req.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n");
    const last = [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";
    if (/A reminder is due now[^\n]*call mom/i.test(system.split("\n").slice(-3).join("\n"))) return decide("Sam, it's time to call your mom!");
    if (last.includes("Good morning")) return decide("Good morning, Sam! How did you sleep?");
    if (last.includes("I love green tea")) return decide("Noted — green tea it is.", [{ name: "remember_fact", args: { fact: "Sam loves green tea." } }]);
    if (last.includes("(sight")) return decide(last.includes("red square") ? "A red square — bold and simple." : "I could not see it.");
    if (last.includes("call mom")) {
      remindAt = new Date(Date.now() + 300).toISOString();
      return decide("I'll remind you.", [{ name: "set_reminder", args: { text: "Call mom", due: remindAt } }]);
    }
    if (last.includes("(pdf")) return decide(last.includes("Revenue grew 12%") ? "The report says revenue grew 12%." : "I could not read it.");
    if (last.includes("haiku")) {
      const known = req.messages[0]!.content.includes("### write-a-haiku");
      return decide(known ? "Green tea steam rises / a red square on the white page / mom's voice on the phone" : "Roses are red…", [], "write-a-haiku");
    }
    return decide("ok");
  };

  const socket = await watch(t, d, id);
  const said: string[] = [];
  socket.on("chat:message", (e) => e.from === "persona" && said.push(e.text));
  const readWait = (message: string) => d.api("POST", `/api/persona/${id}/read?wait=10`, { message });

  // Morning, over HTTP and over socket.io
  t.same((await readWait("Good morning!")).body.replies.map((r: any) => r.text), ["Good morning, Sam! How did you sleep?"]);
  const ack = await socket.timeout(5000).emitWithAck("chat:send", { persona: id, message: "I'm Sam and I love green tea" });
  t.match(ack, { ok: true, data: { status: "received" } });
  await until(() => said.includes("Noted — green tea it is."), 5000, "her answer over socket.io");

  // An image
  const image = new FormData();
  image.append("file", new Blob([png(4, 4, [220, 20, 20])]), "square.png");
  image.append("caption", "look at this");
  const seen = await d.api("POST", `/api/persona/${id}/attach?wait=10`, image);
  t.equal(seen.status, 200, JSON.stringify(seen.body));
  t.match(seen.body.perceived, [{ file: "square.png", kind: "sight", text: /red square/ }]);
  t.same(seen.body.replies.map((r: any) => r.text), ["A red square — bold and simple."]);
  t.ok(calls("llava").length === 1 && calls("llava")[0]!.messages.some((m) => (m as any).images?.length === 1), "the image went to the vision organ");

  // A voice note, transcribed by the hearing organ; it sets a reminder that fires on a heartbeat
  openai.transcript("Please remind me to call mom in a moment");
  const voice = new FormData();
  voice.append("audio", new Blob([wav(300)]), "note.wav");
  const heard = await d.api("POST", `/api/persona/${id}/hear?wait=10`, voice);
  t.equal(heard.status, 200, JSON.stringify(heard.body));
  t.same(heard.body.replies.map((r: any) => r.text), ["I'll remind you."]);
  await until(() => said.includes("Sam, it's time to call your mom!"), 10_000, "the reminder to fire");

  // A PDF
  const report = new FormData();
  report.append("file", new Blob([pdf([["Quarterly report"], ["Revenue grew 12%."]])]), "report.pdf");
  const rr = await d.api("POST", `/api/persona/${id}/attach?wait=10`, report);
  t.same(rr.body.replies.map((r: any) => r.text), ["The report says revenue grew 12%."]);

  // A new kind of task: learned from the frontier once, reused without it
  t.same((await readWait("Write me a haiku about today")).body.replies.map((r: any) => r.text), ["Green tea steam rises / a red square on the white page / mom's voice on the phone"]);
  t.same((await readWait("Another haiku?")).body.replies.map((r: any) => r.text), ["Green tea steam rises / a red square on the white page / mom's voice on the phone"]);
  t.equal(calls("frontier-70b").length, 1, "the frontier was asked once");

  // A knowledge edit is seen by the next beat
  t.equal((await d.api("POST", `/api/persona/${id}/knowledge`, { key: "permissions", content: "# What the person allows me to do\n\n- Remind Sam of things.\n" })).status, 200);
  await readWait("thanks");
  t.match(calls("llama3.2").filter(isDecision).at(-1)!.messages[0]!.content, /- Remind Sam of things\./);

  // Night
  const night = await d.api("POST", `/api/persona/${id}/sleep`);
  t.equal(night.status, 200, JSON.stringify(night.body));
  t.match(night.body, { archived: String, summary: /A full day with Sam/ });
  const date = night.body.archived as string;

  // Every file, as a person would read it
  t.equal(read("person.md"), "# What I know about the person\n\n- Name: Sam.\n- Loves green tea.\n- Calls their mother.\n");
  t.equal(read("persona-trait.md"), "# Who I am\n\nI am Ada. I keep Sam company and remember for them.\n");
  t.equal(read("wishes.md"), "# The person's wishes\n\nEnjoys poems.\n");
  t.equal(read("context.md"), "# Hand-off from yesterday\n\nTomorrow: ask whether Sam called mom.\n");
  t.equal(read("conversation.jsonl"), "", "a fresh day");
  const md = read(path.join("history", `conversation-${date}.md`));
  for (const bit of ["Good morning!", "I'm Sam and I love green tea", "look at this", "media/", "Please remind me to call mom", "Sam, it's time to call your mom!", "The report says revenue grew 12%.", "Another haiku?"]) {
    t.ok(md.includes(bit), `the archived day reads "${bit}"`);
  }
  const media = fs.readdirSync(path.join(home, "media")).sort();
  t.equal(media.length, 3, "the image, the voice note and the PDF are kept");
  t.ok(media.some((m) => m.endsWith("-square.png")) && media.some((m) => m.endsWith("-note.wav")) && media.some((m) => m.endsWith("-report.pdf")));
  t.same(fs.readFileSync(path.join(home, "media", media.find((m) => m.endsWith(".png"))!)), png(4, 4, [220, 20, 20]), "byte for byte");
  t.match(read(path.join("meanings", "write-a-haiku.md")), /^---\nintention: Write a haiku for Sam\.\nsource: frontier\n---\n\n1\. One image/);
  t.match(read(path.join("lessons", "write-a-haiku.md")), /# write-a-haiku[\s\S]*5, 7, 5/);
  const fired = read(path.join("history", "fired.jsonl")).trim().split("\n").map((l) => JSON.parse(l));
  t.match(fired, [{ text: "Call mom", due: remindAt, recurrence: null }]);
  t.same(fs.readdirSync(path.join(home, "destiny")), [], "a one-off reminder is gone once fired");
  const health = read("health.jsonl").trim().split("\n").map((l) => JSON.parse(l));
  t.ok(health.length > 5 && health.every((h) => h.thinking === "ok"));
  t.notMatch(fs.readFileSync(path.join(d.home, "personas", id, "persona.json"), "utf8"), /sk-day-test/, "no key outside secrets.json");
  for (const f of ["conversation.jsonl", "health.jsonl", path.join("history", `conversation-${date}.jsonl`), path.join("history", `conversation-${date}.md`)]) {
    t.notMatch(read(f), /sk-day-test/, `no key in ${f}`);
  }
});
