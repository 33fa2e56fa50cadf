import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { pdf, png } from "../fixtures/files/samples.js";
import { decide, living } from "./helpers.js";

const form = (...files: [Uint8Array | string, string][]) => {
  const f = new FormData();
  for (const [bytes, name] of files) f.append("file", new Blob([bytes]), name);
  return f;
};

t.test("attach: content that is not what its extension says is a 400 and nothing is kept; a corrupt PDF too", async (t) => {
  const { d, ollama, id, calls } = await living(t, { organs: { vision: { provider: "ollama", model: "llava" } } });
  ollama.brain = () => decide("ok");
  const media = path.join(d.home, "personas", id, "home", "media");
  const conv = path.join(d.home, "personas", id, "home", "conversation.jsonl");

  const fake = await d.api("POST", `/api/persona/${id}/attach`, form(["just some text", "photo.png"]));
  t.equal(fake.status, 400);
  t.match(fake.body.detail, /'photo\.png' is not a \.png file/);
  const broken = await d.api("POST", `/api/persona/${id}/attach`, form([pdf([["hello"]]).subarray(0, 120), "report.pdf"]));
  t.equal(broken.status, 400);
  t.match(broken.body.detail, /'report\.pdf' could not be perceived by 'pdf'/);
  const traversal = await d.api("POST", `/api/persona/${id}/attach`, form(["# hi", "../../../../etc/notes.md"]));
  t.equal(traversal.status, 202, "a path in the file name is reduced to its base name");
  t.same(fs.readdirSync(media).filter((m) => !m.endsWith("-notes.md")), [], "nothing kept of the refused files");
  t.equal(calls().filter((q) => q.model === "llava").length, 0, "the vision organ was never asked about a fake image");
  t.notMatch(fs.readFileSync(conv, "utf8"), /photo\.png|report\.pdf/, "refused files never reach her conversation");
  t.notOk(fs.existsSync(path.join(d.home, "etc")));
});

t.test("attach: a vision organ that fails is switched off with a notice; then images are 415 naming the organ", async (t) => {
  const { d, ollama, id } = await living(t, { organs: { vision: { provider: "ollama", model: "llava" } } });
  ollama.brain = () => decide("ok");
  ollama.models.delete("llava:latest");
  const r = await d.api("POST", `/api/persona/${id}/attach`, form([png(), "a.png"]));
  t.equal(r.status, 400);
  t.match(r.body.detail, /Her vision organ failed on 'a\.png' and is switched off until she is restarted/);
  const again = await d.api("POST", `/api/persona/${id}/attach`, form([png(), "b.png"]));
  t.equal(again.status, 415);
  t.match(again.body.detail, /needs a vision organ/);
  t.match(fs.readFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), "utf8"), /My vision organ failed and is switched off/);
  const diag = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.match(diag.body.organs.vision.last_fault, { detail: /llava/ });
  t.equal((await d.api("POST", `/api/persona/${id}/attach`, form(["plain words", "ok.txt"]))).status, 202, "other files still work");
});
