import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { decide, isDecision, lastWords, living, until } from "../mind/helpers.js";
import { LOOKS, STEP_MS, look, openAt } from "./admin-helpers.js";

const pad = (n: number) => String(n).padStart(2, "0");
const dayOf = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const weekday = (d: Date) => d.toLocaleDateString("en-US", { weekday: "short" });

/**
 * Her last six days as heartbeats in health.jsonl (one a minute while she ran), before the
 * lines she wrote herself: up 08:00–23:00 each day, but down from 13:00 to 15:30 the day
 * before yesterday, and not at all four days ago.
 */
function pastHeartbeats(file: string, now = new Date()): { day: Date; full: number; half: number; none: number } {
  const lines: string[] = [];
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6);
  for (let day = 0; day < 6; day++) {
    if (day === 2) continue;
    for (let h = 8; h < 23; h++) {
      for (let m = 0; m < 60; m++) {
        if (day === 4 && (h === 13 || h === 14 || (h === 15 && m < 30))) continue;
        const time = new Date(start.getFullYear(), start.getMonth(), start.getDate() + day, h, m, 5);
        lines.push(JSON.stringify({ time: time.toISOString(), phase: "day", inbox: 0, thinking: "ok" }));
      }
    }
  }
  fs.writeFileSync(file, lines.join("\n") + "\n" + fs.readFileSync(file, "utf8"));
  return { day: new Date(start.getFullYear(), start.getMonth(), start.getDate() + 4), full: 10, half: 15, none: 14 };
}

t.test("health: the uptime grid, usage after a message, a fault, and what keeps her from answering", async (t) => {
  const { d, ollama, id } = await living(t, { organs: { vision: { provider: "ollama", model: "llava" } } });
  ollama.brain = (req) => (isDecision(req) ? decide(`ok: ${lastWords(req)}`) : undefined);
  const home = path.join(d.home, "personas", id, "home");
  await until(() => fs.readFileSync(path.join(home, "health.jsonl"), "utf8").trim(), STEP_MS, "her first heartbeat");
  const past = pastHeartbeats(path.join(home, "health.jsonl"));

  const b = await openAt(t, d.url, `#/persona/${id}/health`);
  const { page } = b;
  const grid = page.getByRole("table", { name: /Minutes with a heartbeat/ });
  await grid.waitFor();
  t.equal(await grid.getByRole("row").count(), 8, "a header and seven days");
  const w = weekday(past.day);
  t.equal(await grid.getByRole("cell", { name: `${w} ${pad(past.full)}:00 — 60 minutes`, exact: true }).count(), 1, "a whole hour, in words");
  t.equal(await grid.getByRole("cell", { name: `${w} ${pad(past.half)}:00 — 30 minutes`, exact: true }).count(), 1, "half an hour");
  t.equal(await grid.getByRole("cell", { name: `${w} ${pad(past.none)}:00 — 0 minutes`, exact: true }).count(), 1, "an hour she was down");
  t.match(await grid.getByRole("row", { name: new RegExp(`^${w}`) }).textContent(), /12 h 30 min/, "and the day's total");
  const today = new Date();
  t.equal(await grid.getByRole("cell", { name: new RegExp(`^${weekday(today)} ${pad(today.getHours())}:00 — [1-9]\\d? minutes?$`) }).count(), 1, "this hour has her heartbeats");
  const thinking = page.getByRole("article", { name: "Thinking" });
  await page.getByText("Nothing keeps her from answering.").waitFor();
  t.match(await thinking.textContent(), /Calls\s*0/, "no call yet");
  await look(t, b, "health");

  // A message: one thinking call; the page follows by itself.
  t.equal((await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello" })).status, 200);
  const sent = ollama.sent.at(-1)!;
  await thinking.getByText(/^1$/).waitFor();
  const text = await thinking.textContent();
  t.match(text, /Calls\s*1\b/);
  t.match(text, new RegExp(`Tokens in\\s*${sent.prompt_eval_count.toLocaleString("en-US")}`), "tokens in, as the provider counted them");
  t.match(text, new RegExp(`Tokens out\\s*${sent.eval_count.toLocaleString("en-US")}`), "tokens out");
  t.match(await page.getByRole("article", { name: "Vision" }).textContent(), /Calls\s*0/, "her vision was not used");

  // A fault: shown on the organ, in the provider's words, as it is pushed.
  ollama.fail({ status: 400, error: "injected refusal: model is overloaded" }, { times: 1, path: "/api/chat" });
  t.equal((await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "again" })).status, 200, "answered after the fault");
  await thinking.getByText(/Last fault/).waitFor();
  t.match(await thinking.textContent(), /HTTP 400/);
  t.match(await thinking.textContent(), /model is overloaded/);
  await look(t, b, "health-fault");

  // A file of hers broken by hand: what keeps her from answering, after a refresh.
  const notes = path.join(home, "notes.md");
  fs.rmSync(notes);
  fs.mkdirSync(notes);
  t.equal((await d.api("POST", `/api/persona/${id}/read?wait=1`, { message: "still there?" })).status, 202);
  await page.getByRole("button", { name: "Refresh" }).click();
  await page.getByText("Something keeps her from answering.").waitFor();
  t.match(await page.getByRole("region", { name: "Now" }).textContent(), /home\/notes\.md/, "the daemon's words name the file");
  t.match(await page.getByRole("region", { name: "Now" }).textContent(), /Waiting in her inbox\s*1/);
  await look(t, b, "health-trouble");
  fs.rmdirSync(notes);
  fs.writeFileSync(notes, "# My notes\n");
  // Her answer to what waited is a thinking call: the page refreshes on its organ:usage.
  await page.getByText("Nothing keeps her from answering.").waitFor();
  t.same(b.errors, []);
});

t.test("health in the dark and on a phone", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.fail({ status: 400, error: "out of memory" }, { times: 1, path: "/api/chat" });
  ollama.brain = (req) => (isDecision(req) ? decide(`ok: ${lastWords(req)}`) : undefined);
  const home = path.join(d.home, "personas", id, "home");
  await until(() => fs.readFileSync(path.join(home, "health.jsonl"), "utf8").trim(), STEP_MS, "her first heartbeat");
  pastHeartbeats(path.join(home, "health.jsonl"));
  t.equal((await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello" })).status, 200);
  for (const l of LOOKS.slice(1)) {
    const b = await openAt(t, d.url, `#/persona/${id}/health`, l);
    await b.page.getByRole("article", { name: "Thinking" }).getByText(/Last fault/).waitFor();
    await look(t, b, "health");
  }
});
