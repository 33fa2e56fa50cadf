import fs from "node:fs";
import path from "node:path";
import t from "tap";
import embedded from "../../../organs/embedded/index.js";
import { schemaProblems, type OrganSpec } from "../../../core/api/index.js";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { startDaemon, tempHome, type TestDaemon } from "../../helpers/daemon.js";
import { MOOD_SCHEMA, context } from "../../helpers/model-context.js";
import { waitFor } from "../../fixtures/plugins-host/net.js";

// Her mind through the embedded engine: a generated random-weight GGUF, no model server anywhere.

const model = writeTinyGguf({ name: "mind" });
t.teardown(() => fs.rmSync(path.dirname(model.path), { recursive: true, force: true }));
const spec: OrganSpec = { provider: "embedded", model: model.path, url: embedded.defaultUrl };

/** A daemon whose home the plugin also sees (its models folder follows ETERNEGO_HOME). */
async function daemon(t: Parameters<typeof startDaemon>[0], env: Record<string, string> = {}): Promise<TestDaemon> {
  const home = tempHome();
  process.env.ETERNEGO_HOME = home;
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  t.teardown(() => {
    for (const k of Object.keys(env)) delete process.env[k];
    fs.rmSync(home, { recursive: true, force: true });
  });
  return startDaemon(t, { home });
}

const logLines = (d: TestDaemon): { msg: string; plugin?: string; persona?: string }[] =>
  fs
    .readFileSync(path.join(d.home, "logs", "eternego.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

t.test("the plugin thinks: schema-valid JSON streamed through the filter, usage reported, no server", async (t) => {
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const ctx = context({ signal: stop.signal });
  const thinker = embedded.think!(spec, ctx);
  const deltas: string[] = [];
  const r = await thinker.think({
    messages: [
      { role: "system", content: "You are Ada." },
      { role: "user", content: "How are you today?" },
    ],
    schema: MOOD_SCHEMA,
    onDelta: (d) => deltas.push(d),
  });
  t.equal(schemaProblems(MOOD_SCHEMA, r.json), null, `the answer fits the schema: ${r.text.slice(0, 120)}`);
  t.same(JSON.parse(r.text), r.json, "the text is the JSON itself");
  t.ok(deltas.length > 1, `it streamed (${deltas.length} pieces)`);
  t.equal(deltas.join(""), r.text, "the pieces are the answer, through the same filter (no leading whitespace)");
  t.equal(ctx.usages.length, 1, "one call, one usage");
  t.ok(ctx.usages[0]!.input > 0 && ctx.usages[0]!.output > 0, `tokens read and written: ${JSON.stringify(ctx.usages[0])}`);
  t.same(r.usage, ctx.usages[0]);

  // Her session keeps what it read: a next call sharing the prefix reads only what is new.
  const system = { role: "system" as const, content: `You are Ada. ${"You keep your answers short and kind. ".repeat(20)}` };
  await thinker.think({ messages: [system, { role: "user", content: "Good morning!" }], schema: MOOD_SCHEMA });
  const whole = ctx.usages.at(-1)!.input;
  await thinker.think({ messages: [system, { role: "user", content: "Good evening!" }], schema: MOOD_SCHEMA });
  const rest = ctx.usages.at(-1)!.input;
  t.ok(rest < whole / 3, `the shared prefix is not read again (${whole} tokens read, then ${rest})`);
});

t.test("without a schema she answers text; ETERNEGO_EMBEDDED_MAX_TOKENS bounds an answer", async (t) => {
  process.env.ETERNEGO_EMBEDDED_MAX_TOKENS = "40";
  t.teardown(() => void delete process.env.ETERNEGO_EMBEDDED_MAX_TOKENS);
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const ctx = context({ signal: stop.signal });
  const plain = await embedded.think!(spec, ctx).think({ messages: [{ role: "user", content: "Say something." }] });
  t.type(plain.text, "string", "text");
  t.equal(plain.json, undefined, "no schema, no json");
  t.ok(ctx.usages[0]!.output <= 40, `at most 40 tokens (${ctx.usages[0]!.output})`);
});

t.test("a persona whose only organ is embedded answers over HTTP, with schema-valid JSON behind it", async (t) => {
  const d = await daemon(t);
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "embedded", model: model.path } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.same(created.body.persona.organs.thinking, { provider: "embedded", model: model.path, url: "http://in-process.invalid", has_key: false });
  const id = created.body.persona.id;

  const r = await d.api("POST", `/api/persona/${id}/read?wait=60`, { message: "hello Ada" });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.equal(r.body.status, "answered");
  const diag = (await d.api("GET", `/api/persona/${id}/diagnose`)).body;
  t.equal(diag.trouble, null, "nothing keeps her from answering");
  t.equal(diag.organs.thinking.last_fault, null, "no fault: every answer fit her decision schema (a misfit twice is a fault)");
  t.ok(diag.organs.thinking.calls >= 1 && diag.organs.thinking.output_tokens > 0, `her thinking organ was called: ${JSON.stringify(diag.organs.thinking)}`);
  for (const reply of r.body.replies) t.type(reply.text, "string");
  const said = (await d.api("GET", `/api/persona/${id}/conversation`)).body;
  t.ok(JSON.stringify(said).includes("hello Ada"), "her conversation holds the message");
});

t.test("two personas on one file share one loaded model, each with her own context; the last to stop unloads it", async (t) => {
  const d = await daemon(t);
  const ids: string[] = [];
  for (const name of ["Ada", "Bo"]) {
    const r = await d.api("POST", "/api/persona/create", { name, organs: { thinking: { provider: "embedded", model: model.path } } });
    t.equal(r.status, 201, JSON.stringify(r.body));
    ids.push(r.body.persona.id);
  }
  const answers = await Promise.all(ids.map((id, i) => d.api("POST", `/api/persona/${id}/read?wait=60`, { message: `hello ${i}` })));
  for (const a of answers) t.equal(a.status, 200, JSON.stringify(a.body));

  const loaded = await waitFor("the model loaded", () => logLines(d).filter((l) => l.msg.startsWith(`loaded ${model.path} into memory`)));
  t.equal(loaded.length, 1, "loaded into memory once");
  t.ok(logLines(d).some((l) => l.msg === `shares the loaded ${model.path}: 2 organs use it`), "and shared by both");
  t.ok(logLines(d).some((l) => /^waits for the embedded engine: 1 answer ahead/.test(l.msg)), "one waited for the other (ETERNEGO_EMBEDDED_PARALLEL=1)");
  const organs = await Promise.all(ids.map(async (id) => (await d.api("GET", `/api/persona/${id}/diagnose`)).body.organs.thinking));
  t.ok(organs.reduce((n, o) => n + o.waited, 0) >= 1, `diagnose says one of them waited for the engine: ${JSON.stringify(organs.map((o) => o.waited))}`);
  t.same(organs.map((o) => o.waiting), [null, null], "and that neither waits now");

  t.equal((await d.api("POST", `/api/persona/${ids[0]}/stop`)).status, 200);
  await waitFor("Ada let go of the model", () => logLines(d).some((l) => l.msg === `lets go of ${model.path}: 1 organ still uses it`));
  t.notOk(logLines(d).some((l) => l.msg.startsWith(`unloaded ${model.path}`)), "still loaded while Bo runs");
  t.equal((await d.api("POST", `/api/persona/${ids[1]}/stop`)).status, 200);
  await waitFor("the model unloaded", () => logLines(d).some((l) => l.msg === `unloaded ${model.path}: no running persona uses it`));
  t.pass("unloaded when no running persona uses it");
});
