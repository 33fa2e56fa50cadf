import { execFile } from "node:child_process";
import path from "node:path";
import t, { type Test } from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { ROOT } from "../helpers/child-daemon.js";
import { startDaemon } from "../helpers/daemon.js";
import { decide, isDecision, lastWords } from "../mind/helpers.js";

// The client examples, run exactly as their headers say, against a real daemon and the fake
// Ollama: if one stops working as written, this fails.

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (e, out, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out, err }));
  });
}

async function setup(t: Test) {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  ollama.brain = (req) => (isDecision(req) ? decide(`Hello from Ada: ${lastWords(req).split("\n")[0]}`) : undefined);
  const d = await startDaemon(t);
  return { d, ollama, env: { API: d.url, OLLAMA_URL: ollama.url } };
}

t.test("examples/curl-walkthrough.sh runs as written", async (t) => {
  const { d, env } = await setup(t);
  const r = await run("bash", [path.join("examples", "curl-walkthrough.sh")], env);
  t.equal(r.code, 0, `it ends well:\n${r.out}\n${r.err}`);
  t.match(r.out, /Hello from Ada: hello Ada/, "she answered");
  t.match(r.out, /^415 \{"detail":"No perception plugin takes '\.exe' files/m, "the refused file, with why");
  t.match(r.out, /gone: 404/);
  t.match(r.out, /"running"/, "she came back from her diary, running");
  t.same((await d.api("GET", "/api/personas")).body.personas, [], "and the script tidied up");
});

t.test("examples/node-client.mjs follows her over socket.io", async (t) => {
  const { env } = await setup(t);
  const r = await run(process.execPath, [path.join("examples", "node-client.mjs")], env);
  t.equal(r.code, 0, `${r.out}\n${r.err}`);
  t.match(r.out, /Made Ada \([0-9a-f-]{36}\)/);
  t.match(r.out, /You: Hello! What can you do\?/);
  t.match(r.out, /\(she is thinking\)/);
  t.match(r.out, /Ada: Hello from Ada: Hello! What can you do\?/);
  t.match(r.out, /Deleted her; done\./);
});

t.test("examples/openai-client.mjs talks to her through the OpenAI SDK, streamed", async (t) => {
  const { d, ollama, env } = await setup(t);
  const made = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const r = await run(process.execPath, [path.join("examples", "openai-client.mjs")], { ...env, MODEL: "Ada", MESSAGE: "what a day" });
  t.equal(r.code, 0, `${r.out}\n${r.err}`);
  t.match(r.out, new RegExp(`Personas: Ada \\(${made.body.persona.id}\\)`));
  t.match(r.out, /Ada: Hello from Ada: what a day/);
  t.match(r.out, /\(\d+ tokens in, \d+ out\)/);
  t.match(r.out, /An unknown persona is the SDK's NotFoundError \(404\)/);
});
