import path from "node:path";
import { io as connect } from "socket.io-client";
import t from "tap";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { childEnv, childHome, filesOf, spawnDaemon } from "../helpers/child-daemon.js";

// A provider that echoes her key back, whatever the key looks like, must not get it out of
// the daemon: not in a response, an event, a log line, a terminal line or a file of hers.

for (const KEY of ["sk-proj-Zx81pQw7LmN3vB5kR2tY9uJ0", "correct-horse-battery-staple-42"]) {
  t.test(`a key echoed in a streamed error (${KEY.slice(0, 8)}…) reaches nothing`, async (t) => {
    const openai = await startFakeOpenAI({ apiKey: KEY });
    t.teardown(() => openai.close());
    const home = childHome(t, "eternego-scrub-");
    const d = await spawnDaemon(t, ["daemon", "--port", "0"], childEnv(home, { ETERNEGO_QUIET: "0", ETERNEGO_FAULT_RETRY_MS: "30" }));
    const seen: string[] = [];
    const keep = (what: string, value: unknown) => seen.push(`${what}: ${JSON.stringify(value)}`);

    // A key put in the url is refused, and not printed.
    for (const url of [`http://me:${KEY}@127.0.0.1:${new URL(openai.url).port}/v1`, `${openai.url}/v1?api_key=${encodeURIComponent(KEY)}`]) {
      const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mini", url } } });
      t.equal(r.status, 400, "a credential in the url is refused");
      t.match(r.body.detail, /api_key/, "the detail says to use api_key");
      keep("create with the key in the url", r.body);
    }

    const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "openai", model: "gpt-4o-mini", url: `${openai.url}/v1`, api_key: KEY } } });
    t.equal(created.status, 201, JSON.stringify(created.body));
    keep("create", created.body);
    const id: string = created.body.persona.id;

    const socket = connect(d.url, { transports: ["websocket"], forceNew: true });
    t.teardown(() => void socket.close());
    socket.onAny((name, e) => keep(`event ${name}`, e));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    await socket.timeout(5000).emitWithAck("persona:watch", id);
    const sick = new Promise<void>((resolve) => socket.on("persona:changed", (e) => e.persona?.status === "sick" && resolve()));

    for (let i = 0; i < 3; i++) openai.reply({ content: '{"say": "half', streamError: `Incorrect API key ${KEY} was revoked; your key ${KEY} may not be used` });
    keep("chat:send", await socket.timeout(5000).emitWithAck("chat:send", { persona: id, message: "hello?" }));
    await sick;

    for (const p of [`/api/persona/${id}`, `/api/persona/${id}/diagnose`, `/api/persona/${id}/conversation`, `/api/persona/${id}/knowledge`, "/api/personas"]) {
      const r = await d.api("GET", p);
      keep(p, r.body);
    }
    const diag = (await d.api("GET", `/api/persona/${id}/diagnose`)).body;
    t.match(diag.organs.thinking.last_fault.detail, /\*\*\*/, "diagnose keeps the fault, the key masked");
    const conversation = (await d.api("GET", `/api/persona/${id}/conversation`)).body.messages;
    t.match(conversation.at(-1), { from: "persona", text: /I cannot think right now/ }, "she says why she stopped…");
    t.match(conversation.at(-1).text, /\*\*\*/, "…with the key masked");

    await d.waitFor(/Thinking failed/, "stderr");
    const files = filesOf(home);
    const log = files.get(path.join(home, "logs", "eternego.log")) ?? "";
    t.match(log, /Thinking failed/, "the log has the retries");
    for (const [file, text] of files) {
      if (path.basename(file) === "secrets.json") continue;
      t.notOk(text.includes(KEY), `${path.relative(home, file)} does not hold the key`);
    }
    t.notOk(d.stderr().includes(KEY), "no terminal line holds it");
    t.notOk(d.stdout().includes(KEY), "nor anything on stdout");
    for (const s of seen) t.notOk(s.includes(KEY), `${s.slice(0, 60)}… does not hold it`);
    t.ok(seen.some((s) => s.startsWith("event organ:fault")), "the faults were pushed (scrubbed)");
  });
}
