import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { decide, isDecision, watch } from "../mind/helpers.js";

// One owner per persona: every pair of lifecycle calls on her, run at once, ends with her
// wholly there or wholly gone, and never with a 500.

type Call = (d: TestDaemon, id: string) => Promise<{ status: number; body: any }>;

const CALLS: Record<string, Call> = {
  start: (d, id) => d.api("POST", `/api/persona/${id}/start`),
  stop: (d, id) => d.api("POST", `/api/persona/${id}/stop`),
  restart: (d, id) => d.api("POST", `/api/persona/${id}/restart`),
  delete: (d, id) => d.api("POST", `/api/persona/${id}/delete`),
  rename: (d, id) => d.api("POST", `/api/persona/${id}/update`, { name: "Ada B" }),
  hibernate: (d, id) => d.api("POST", `/api/persona/${id}/update`, { status: "hibernate" }),
  knowledge: (d, id) => d.api("POST", `/api/persona/${id}/knowledge`, { key: "notes", content: "# My notes\n\n- tea\n" }),
  sleep: (d, id) => d.api("POST", `/api/persona/${id}/sleep`),
  read: (d, id) => d.api("POST", `/api/persona/${id}/read`, { message: "hello" }),
};

/** What each call may answer when another call races it: never a 5xx. */
const ALLOWED: Record<string, number[]> = {
  start: [200, 404], stop: [200, 404], restart: [200, 404], delete: [200, 404], rename: [200, 404], hibernate: [200, 404],
  knowledge: [200, 404], sleep: [200, 404, 409], read: [202, 404, 409],
};

/** Her folder as it must be when she is there: every file in place. */
function whole(dir: string): string | null {
  for (const f of ["persona.json", "secrets.json", "home/notes.md", "home/person.md", "home/conversation.jsonl", "home/history", "home/media", "workspace"]) {
    if (!fs.existsSync(path.join(dir, f))) return f;
  }
  return null;
}

t.test("every pair of lifecycle calls, run at once, leaves her wholly there or wholly gone", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const personas = path.join(d.home, "personas");
  const names = Object.keys(CALLS);
  const ROUNDS = 2;
  let pairs = 0;
  const seen = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const a of names) {
      for (const b of names) {
        const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
        if (created.status !== 201) throw new Error(JSON.stringify(created.body));
        const id: string = created.body.persona.id;
        const [ra, rb] = await Promise.all([CALLS[a]!(d, id), CALLS[b]!(d, id)]);
        pairs++;
        for (const [name, r] of [[a, ra], [b, rb]] as const) {
          seen.set(`${name} ${r.status}`, (seen.get(`${name} ${r.status}`) ?? 0) + 1);
          if (!ALLOWED[name]!.includes(r.status)) t.fail(`${a} ∥ ${b}: ${name} answered ${r.status} ${JSON.stringify(r.body)}`);
          if (r.status >= 400) t.same(Object.keys(r.body), ["detail"], `${a} ∥ ${b}: ${name}'s error is {detail}`);
        }
        const view = await d.api("GET", `/api/persona/${id}`);
        const dir = path.join(personas, id);
        if (view.status === 404) {
          t.notOk(fs.existsSync(dir), `${a} ∥ ${b}: gone, and her folder with her`);
        } else {
          t.equal(view.status, 200);
          const missing = whole(dir);
          t.equal(missing, null, `${a} ∥ ${b}: there, and whole (missing: ${missing})`);
          const p = view.body.persona;
          t.ok(p.state === "running" || p.state === "stopped", `${a} ∥ ${b}: settled (${p.state})`);
          t.equal(p.running, p.state === "running");
          // What the daemon says of her holds: she answers when running, 409 when not.
          const sleep = await d.api("POST", `/api/persona/${id}/sleep`);
          t.equal(sleep.status, p.running ? 200 : 409, `${a} ∥ ${b}: a live call agrees with running=${p.running}`);
          t.equal((await d.api("POST", `/api/persona/${id}/delete`)).status, 200, "she can always be deleted after");
        }
      }
    }
  }
  const left = fs.readdirSync(personas);
  t.same(left, [], "nothing left beside the personas: no staging or half-removed folder");
  t.equal(pairs, names.length * names.length * ROUNDS, `${pairs} pairs`);
  t.ok(seen.get("delete 404") || seen.get("start 404"), "some calls did find her gone (the race was real)");
});

t.test("an edit the person makes while her night is thinking survives the night", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const id: string = created.body.persona.id;
  const socket = await watch(t, d, id);
  ollama.reply(decide("Hello!"));
  const answered = new Promise((resolve) => socket.on("chat:message", (e) => e.from === "persona" && resolve(e)));
  await d.api("POST", `/api/persona/${id}/read`, { message: "I like green tea" });
  await answered;

  // Her night holds its answer until the person has edited two of the files it rewrites.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let nightAsked!: () => void;
  const asked = new Promise<void>((r) => (nightAsked = r));
  ollama.reply({
    held: held.then(() => undefined),
    then: JSON.stringify({
      person: "# What I know about the person\n\n- likes green tea\n",
      traits: "# The person's traits\n\n- curious\n",
      persona_trait: "", wishes: "", struggles: "", permissions: "",
      context: "# Hand-off from yesterday\n\nAsk about the tea.\n",
      summary: "We talked about tea.",
    }),
  });
  ollama.onChat = (event, body) => {
    if (event === "request" && !isDecision(body as never)) nightAsked();
  };
  const night = d.api("POST", `/api/persona/${id}/sleep`);
  await asked;
  const edit = await d.api("POST", `/api/persona/${id}/knowledge`, { key: "person", content: "# What I know about the person\n\n- prefers coffee now\n" });
  t.equal(edit.status, 200, "the edit is taken at once, while she thinks");
  release();
  const r = await night;
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.notOk(r.body.updated.includes("person"), "her night did not rewrite the file the person edited");
  t.ok(r.body.updated.includes("traits") && r.body.updated.includes("context"), "…and rewrote the others");
  const k = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(k.body.memory.person, "# What I know about the person\n\n- prefers coffee now\n", "the person's edit survived her night");
  t.match(k.body.memory.traits, /curious/);
});
