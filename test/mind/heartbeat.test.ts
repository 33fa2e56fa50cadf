import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { Heartbeat, nextAt } from "../../core/mind/heartbeat.js";
import { Memory } from "../../core/mind/memory.js";
import type { Mind } from "../../core/mind/mind.js";
import { tempHome } from "../helpers/daemon.js";
import { decide, living, until } from "./helpers.js";

t.test("a reminder set by her fires on a heartbeat: she tells the person; a recurring one is re-armed; health is recorded", async (t) => {
  const { d, ollama, id } = await living(t, { env: { ETERNEGO_HEARTBEAT_MS: "50" } });
  const home = path.join(d.home, "personas", id, "home");
  const due = new Date(Date.now() + 400).toISOString();
  ollama.reply(decide("I will remind you.", [{ name: "set_reminder", args: { text: "Stretch", due, recurrence: "daily" } }]));
  ollama.brain = (req) => {
    const notice = req.messages.find((m) => m.role === "system" && m.content.startsWith("A reminder is due now"));
    return decide(notice ? `Time to stretch! (${notice.content.includes('"Stretch"') ? "from the reminder" : "?"})` : "hm");
  };
  await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "remind me to stretch, daily" });

  await until(() => fs.readFileSync(path.join(home, "conversation.jsonl"), "utf8").includes("Time to stretch! (from the reminder)"), 10_000, "the reminder said");
  const fired = fs.readFileSync(path.join(home, "history", "fired.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.equal(fired.length, 1, "fired once");
  t.match(fired[0], { text: "Stretch", due, recurrence: "daily" });
  const [file] = fs.readdirSync(path.join(home, "destiny"));
  const rearmed = JSON.parse(fs.readFileSync(path.join(home, "destiny", file!), "utf8"));
  t.equal(rearmed.due, new Date(new Date(due).getTime() + 86_400_000).toISOString(), "re-armed a day later");

  const health = fs.readFileSync(path.join(home, "health.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.ok(health.length >= 3, "a line per heartbeat");
  t.match(health.at(-1), { phase: String, inbox: Number, thinking: "ok" });
});

t.test("nextAt: the next time the clock shows HH:MM", async (t) => {
  const from = new Date(2026, 10, 28, 23, 59, 30);
  t.same(nextAt("00:00", from), new Date(2026, 10, 29, 0, 0, 0));
  t.same(nextAt("23:59", from), new Date(2026, 10, 29, 23, 59, 0), "a time just passed is tomorrow's");
  t.same(nextAt("12:30", new Date(2026, 10, 28, 9, 0)), new Date(2026, 10, 28, 12, 30));
});

t.test("the sleep routine starts her night once its time has come, then waits for the next day", async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const memory = new Memory(home);
  const nights: Date[] = [];
  // Only what the heart touches of her mind; her real night is proven in night.test.ts.
  const mind = { phase: "day", pending: 0, thinkingFault: null, notice() {}, sleep: async () => void nights.push(new Date()) } as unknown as Mind;
  const log = { error() {}, warn() {}, info() {} } as never;
  const heart = new Heartbeat(mind, memory, { sleep: "03:00" }, 60_000, log);
  const next = nextAt("03:00", new Date());
  await heart.tick(new Date(next.getTime() - 1000));
  t.equal(nights.length, 0, "not before its time");
  await heart.tick(new Date(next.getTime() + 1000));
  t.equal(nights.length, 1, "at its time");
  await heart.tick(new Date(next.getTime() + 61_000));
  t.equal(nights.length, 1, "once a day");
  await heart.tick(new Date(next.getTime() + 86_400_000 + 1000));
  t.equal(nights.length, 2, "and again the next day");
  t.equal(fs.readFileSync(path.join(home, "health.jsonl"), "utf8").trim().split("\n").length, 4);
});
