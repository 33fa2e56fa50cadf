import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { startFakeOllama, type ChatRequest, type FakeOllama } from "../../fixtures/fake-ollama.js";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.js";

// GET /api/persona/{id}/diagnose (SPEC §6): status, organs with their token counts and last
// fault, and an uptime grid from her health.jsonl — never a secret.

// Away from UTC, so an hour or a day taken in UTC instead of her local clock shows.
process.env.TZ = "Asia/Kolkata";

const here = path.dirname(fileURLToPath(import.meta.url));
const KEYED = path.resolve(here, "../../fixtures/plugins/keyed-model.ts");
const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";
const VISION_KEY = "good-vision-key-5c81e0a7f2d94b3c";
const p2 = (n: number) => String(n).padStart(2, "0");
const localDay = (d: Date) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;

/** Her answer to a decision request: the JSON her mind asks for. */
const decide = (say: string) => JSON.stringify({ say, tools: [], task: "" });

async function until<T>(check: () => Promise<T>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function her(t: Test, organs: object = {}): Promise<{ d: TestDaemon; ollama: FakeOllama; id: string; home: string }> {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t, { plugins: [KEYED], env: { ETERNEGO_FAULT_RETRY_MS: "20" } });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url }, ...organs } });
  t.equal(r.status, 201, JSON.stringify(r.body));
  const id: string = r.body.persona.id;
  return { d, ollama, id, home: path.join(d.home, "personas", id, "home") };
}

t.test("diagnose: her status, organs with zero counts and no fault, seven empty days; no key anywhere", async (t) => {
  const { d, ollama, id } = await her(t, { vision: { provider: "keyed", model: "eyes-1", api_key: VISION_KEY } });
  const r = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.equal(r.status, 200, JSON.stringify(r.body));
  const b = r.body;
  t.same(Object.keys(b).sort(), ["diary", "failure", "id", "inbox", "last_heartbeat", "name", "organs", "phase", "running", "state", "status", "status_reason", "trouble", "uptime", "uptime_ms"].sort());
  t.match(b, { id, name: "Ada", status: "active", status_reason: null, running: true, state: "running", failure: null, inbox: 0, trouble: null });
  t.match(b.diary, { fingerprint: /^[0-9a-f]{16}$/, latest: { created: /^\d{4}-\d{2}-\d{2}T/, bytes: Number }, detail: null }, "her diary key and the diary written at her create");
  t.ok(["morning", "day", "night"].includes(b.phase), `a phase while she runs: ${b.phase}`);
  t.ok(Number.isInteger(b.uptime_ms) && b.uptime_ms >= 0 && b.uptime_ms < 60_000, `uptime_ms since her start: ${b.uptime_ms}`);
  t.same(b.organs, {
    thinking: { provider: "ollama", model: "llama3.2", url: ollama.url, has_key: false, calls: 0, input_tokens: 0, output_tokens: 0, last_fault: null, waiting: null, waited: 0 },
    vision: { provider: "keyed", model: "eyes-1", url: "http://127.0.0.1:9", has_key: true, calls: 0, input_tokens: 0, output_tokens: 0, last_fault: null, waiting: null, waited: 0 },
  }, "only the organs she has; preparing them at creation is not her usage");
  t.notMatch(JSON.stringify(b), VISION_KEY, "the key is not in the answer");
  t.notMatch(JSON.stringify(b), "vision-key", "not even a part of it");

  t.equal(b.uptime.length, 7, "seven days");
  const today = new Date();
  const expectedDays = [6, 5, 4, 3, 2, 1, 0].map((n) => localDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - n)));
  t.same(b.uptime.map((x: any) => x.date), expectedDays, "the last seven local days, oldest first, ending today");
  for (const day of b.uptime) t.same(day.hours.length, 24, `${day.date}: 24 hours`);

  const missing = await d.api("GET", `/api/persona/${NO_SUCH_ID}/diagnose`);
  t.equal(missing.status, 404);
  t.match(missing.body, { detail: /No persona/ });
  t.equal((await d.api("GET", `/api/persona/not-an-id/diagnose`)).status, 404);
});

t.test("diagnose: the uptime grid counts minutes with a heartbeat per local hour, over seven local days", async (t) => {
  const { d, id, home } = await her(t);
  t.same((await d.api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" }, "stopped, so no heartbeat of hers lands in the file meanwhile");

  const now = new Date();
  const at = (daysAgo: number, h: number, m: number, s = 0) => new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo, h, m, s).toISOString();
  const beat = (time: string, extra: object = {}) => JSON.stringify({ time, phase: "day", inbox: 0, thinking: "ok", ...extra });
  const lines: string[] = [];
  // Old enough to be left out, and long enough that the file is read back in several chunks.
  for (let i = 0; i < 3000; i++) lines.push(beat(at(9, Math.floor(i / 60) % 24, i % 60)));
  lines.push(beat(at(7, 23, 59)), beat(at(6, 0, 0)), beat(at(6, 0, 0, 30)));
  // Yesterday, every minute of the day: 1440 lines crossing chunk boundaries.
  for (let m = 0; m < 24 * 60; m++) lines.push(beat(at(1, Math.floor(m / 60), m % 60, 15)));
  lines.push("{cut short by a cra", JSON.stringify({ time: "not a time", phase: "day" }), "null");
  lines.push(beat(at(0, 0, 1)), beat(at(0, 0, 1, 40)), beat(at(0, 0, 2)), beat(at(0, 0, 59)));
  lines.push(beat(at(0, 0, 30), { thinking: "fault", inbox: 2, detail: "Organ 'thinking' (ollama, llama3.2) at http://127.0.0.1:1: connection refused", extra: "dropped" }));
  fs.writeFileSync(path.join(home, "health.jsonl"), lines.join("\n") + "\n");

  const r = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
  const grid: { date: string; hours: number[] }[] = r.body.uptime;
  const zeros = () => Array<number>(24).fill(0);
  const sixAgo = zeros();
  sixAgo[0] = 1;
  const todayHours = zeros();
  todayHours[0] = 4;
  t.same(grid, [
    { date: localDay(new Date(at(6, 12, 0))), hours: sixAgo },
    ...[5, 4, 3, 2].map((n) => ({ date: localDay(new Date(at(n, 12, 0))), hours: zeros() })),
    { date: localDay(new Date(at(1, 12, 0))), hours: Array<number>(24).fill(60) },
    { date: localDay(now), hours: todayHours },
  ], "one minute six days ago (two beats in it), every minute yesterday, four minutes today; what is older is left out");
  t.same(r.body.last_heartbeat, {
    time: at(0, 0, 30), phase: "day", inbox: 2, thinking: "fault", detail: "Organ 'thinking' (ollama, llama3.2) at http://127.0.0.1:1: connection refused",
  }, "the last line written, with only the documented fields");
  t.match(r.body, { status: "hibernate", running: false, state: "stopped", phase: null, uptime_ms: null });

  // Only old heartbeats: an empty grid, and the last one still shown.
  fs.writeFileSync(path.join(home, "health.jsonl"), beat(at(30, 10, 0)) + "\n");
  const old = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.ok(old.body.uptime.every((x: any) => x.hours.every((n: number) => n === 0)), "no minute in the last seven days");
  t.equal(old.body.last_heartbeat.time, at(30, 10, 0));

  fs.rmSync(path.join(home, "health.jsonl"));
  const none = await d.api("GET", `/api/persona/${id}/diagnose`);
  t.equal(none.status, 200, "no health file at all");
  t.equal(none.body.last_heartbeat, null);
});

t.test("diagnose: calls and tokens as the thinking organ reported them, then its fault", async (t) => {
  const { d, ollama, id } = await her(t);
  ollama.reply(decide("Hello, Sam."));
  const read = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello" });
  t.equal(read.status, 200, JSON.stringify(read.body));
  const chats = ollama.sent;
  t.ok(chats.length >= 1, "her organ was called");

  const thinking = (await d.api("GET", `/api/persona/${id}/diagnose`)).body.organs.thinking;
  t.equal(thinking.calls, chats.length, "one call per answer the model sent");
  t.equal(thinking.input_tokens, chats.reduce((n, c) => n + c.prompt_eval_count, 0), "input tokens as Ollama counted them");
  t.equal(thinking.output_tokens, chats.reduce((n, c) => n + c.eval_count, 0), "output tokens as Ollama counted them");
  t.ok(thinking.input_tokens > 0 && thinking.output_tokens > 0);
  t.equal(thinking.last_fault, null);

  // The model disappears: a fault she cannot wait out.
  ollama.fail({ status: 404, error: "model 'llama3.2' not found, try pulling it first" }, { path: "/api/chat", times: 20 });
  t.equal((await d.api("POST", `/api/persona/${id}/read`, { message: "still there?" })).status, 202);
  const b = await until(async () => {
    const x = (await d.api("GET", `/api/persona/${id}/diagnose`)).body;
    return x.organs.thinking.last_fault ? x : null;
  }, 15_000, "the fault recorded");
  t.match(b.organs.thinking.last_fault, { status: 404, detail: /llama3\.2/ });
  t.ok(!Number.isNaN(Date.parse(b.organs.thinking.last_fault.time)), "with when");
  const sick = await until(async () => {
    const x = (await d.api("GET", `/api/persona/${id}/diagnose`)).body;
    return x.status === "sick" ? x : null;
  }, 15_000, "her sickness");
  t.match(sick, { status: "sick", status_reason: /llama3\.2/, running: false, uptime_ms: null });
  t.equal(sick.organs.thinking.calls, chats.length, "a refused call has no usage");
  t.ok(ollama.requests.some((q) => q.path === "/api/chat" && (q.body as ChatRequest).messages && q.status === 404), "the fault came from the organ, for real");
});
