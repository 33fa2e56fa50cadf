import fs from "node:fs";
import path from "node:path";
import t from "tap";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { decide, isDecision, living } from "./helpers.js";

const knowsHaiku = (req: ChatRequest) => req.messages[0]!.content.includes("### write-a-haiku");

t.test("a new kind of task is learned from the frontier once, then reused without it", async (t) => {
  const { d, ollama, id, calls } = await living(t, { organs: { frontier: { provider: "ollama", model: "frontier-70b" } } });
  const home = path.join(d.home, "personas", id, "home");
  ollama.brain = (req) => {
    if (req.model === "frontier-70b") {
      return JSON.stringify({ intention: "Write a haiku for the person.", lesson: "A haiku has three lines of 5, 7 and 5 syllables.", procedure: "1. Pick one image.\n2. Write 5-7-5." });
    }
    return knowsHaiku(req) ? decide("Autumn moon rises / over the quiet river / your tea is still warm", [], "write-a-haiku") : decide("I'll try… roses are red?", [], "write-a-haiku");
  };

  let r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Write me a haiku" });
  t.same(r.body.replies.map((x: any) => x.text), ["Autumn moon rises / over the quiet river / your tea is still warm"], "she answers with what she learned, not her first try");
  t.equal(calls("frontier-70b").length, 1, "the frontier was asked once");
  t.match(calls("frontier-70b")[0]!.messages.at(-1)!.content, /write-a-haiku[\s\S]*Write me a haiku/);
  t.equal(calls("llama3.2").filter(isDecision).length, 2, "a decision, then one more with the meaning");
  const meaning = fs.readFileSync(path.join(home, "meanings", "write-a-haiku.md"), "utf8");
  t.match(meaning, /intention: Write a haiku for the person\.\nsource: frontier/);
  t.match(meaning, /1\. Pick one image\./);
  t.match(fs.readFileSync(path.join(home, "lessons", "write-a-haiku.md"), "utf8"), /5, 7 and 5 syllables/);

  r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Another haiku, please" });
  t.same(r.body.replies.map((x: any) => x.text), ["Autumn moon rises / over the quiet river / your tea is still warm"]);
  t.equal(calls("frontier-70b").length, 1, "no frontier call the second time");
  t.equal(calls("llama3.2").filter(isDecision).length, 3, "one thinking call the second time");

  const k = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(k.status, 200);
  t.match(k.body.meanings, [{ name: "write-a-haiku", intention: "Write a haiku for the person.", source: "frontier" }], "GET knowledge shows what she learned");
});

t.test("without a frontier organ she does her best with her own thinking", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  ollama.brain = () => decide("Roses are red, I tried my best.", [], "write-a-haiku");
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Write me a haiku" });
  t.same(r.body.replies.map((x: any) => x.text), ["Roses are red, I tried my best."]);
  t.equal(calls().length, 1, "one call, no lesson");
  t.notOk(fs.existsSync(path.join(d.home, "personas", id, "home", "meanings", "write-a-haiku.md")));
});

t.test("a failing frontier is switched off with a notice; she still answers", async (t) => {
  const { d, ollama, id, calls } = await living(t, { organs: { frontier: { provider: "ollama", model: "frontier-70b" } } });
  ollama.brain = (req) => decide(req.model === "llama3.2" ? "My own try." : "?", [], "write-a-haiku");
  ollama.models.delete("frontier-70b:latest");
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Write me a haiku" });
  t.same(r.body.replies.map((x: any) => x.text), ["My own try."]);
  const conv = fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8");
  t.match(conv, /My frontier organ failed and is switched off until I am restarted/);
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "Another" });
  t.equal(calls("frontier-70b").length, 1, "not asked again while switched off");
});
