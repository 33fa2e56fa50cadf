// The CLI as a person runs it: real `node bin/eternego.js` child processes (the dist is
// built by `npm test` before tap runs), each with its own temporary ETERNEGO_HOME.
import "reflect-metadata";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import t from "tap";
import { resolveConfig } from "../../core/config.js";
import { FORMAT_VERSION, PersonaStore } from "../../core/persona-store.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { BIN, childEnv, childHome, freePort, ROOT, runCli, signalAndWait, spawnDaemon, STEP_MS, type ChildDaemon as Daemon } from "../helpers/child-daemon.js";

const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;


function readRecord(home: string, id: string): { status: string; name: string } {
  return JSON.parse(fs.readFileSync(path.join(home, "personas", id, "persona.json"), "utf8"));
}

t.test("--version prints the package version; --help lists the commands", async (t) => {
  const home = childHome(t);
  for (const flag of ["--version", "-v"]) {
    const v = await runCli([flag], childEnv(home));
    t.equal(v.code, 0, flag);
    t.equal(v.stdout.trim(), VERSION, flag);
  }
  const h = await runCli(["--help"], childEnv(home));
  t.equal(h.code, 0);
  t.match(h.stdout, /^\s+daemon\b/m);
  t.match(h.stdout, /^\s+personas\b/m);
  t.match(h.stdout, /--port/);
  const dh = await runCli(["daemon", "--help"], childEnv(home));
  t.equal(dh.code, 0);
  for (const flag of ["--port", "--host", "--home", "--plugin", "--open"]) t.match(dh.stdout, flag, `daemon --help mentions ${flag}`);
});

t.test("daemon --port P serves the API there", async (t) => {
  const home = childHome(t);
  const port = await freePort();
  const d = await spawnDaemon(t, ["daemon", "--port", String(port)], childEnv(home));
  t.equal(d.port, port);
  t.notMatch(d.stdout(), /was in use/);
  const r = await d.api("GET", "/api/personas");
  t.equal(r.status, 200);
  t.same(r.body, { personas: [] });
  t.ok(fs.existsSync(path.join(home, "personas")), "the home given by ETERNEGO_HOME is used");
});

t.test("--port is accepted before the daemon word", async (t) => {
  const home = childHome(t);
  const port = await freePort();
  const d = await spawnDaemon(t, ["--port", String(port), "daemon"], childEnv(home));
  t.equal(d.port, port);
  t.equal((await d.api("GET", "/api/personas")).status, 200);
});

t.test("WEB_PORT sets the port; --port wins over it; --home wins over ETERNEGO_HOME", async (t) => {
  const home = childHome(t);
  const port = await freePort();
  const d = await spawnDaemon(t, ["daemon"], childEnv(home, { WEB_PORT: String(port) }));
  t.equal(d.port, port);
  t.equal((await d.api("GET", "/api/personas")).status, 200);

  const other = childHome(t);
  const flagPort = await freePort();
  const d2 = await spawnDaemon(t, ["daemon", "--port", String(flagPort), "--home", other], childEnv(home, { WEB_PORT: String(port) }));
  t.equal(d2.port, flagPort);
  t.match(d2.stdout(), `home: ${other}`);
  t.ok(fs.existsSync(path.join(other, "personas")));
});

t.test("a taken port falls back to the next free one and says so", async (t) => {
  const home = childHome(t);
  const port = await freePort(true);
  const blocker = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    blocker.once("error", reject);
    blocker.listen(port, "127.0.0.1", () => resolve());
  });
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const d = await spawnDaemon(t, ["daemon", "--port", String(port)], childEnv(home));
  const m = d.stdout().match(/^Port (\d+) was in use; using (\d+) instead\.$/m);
  t.ok(m, "the fallback line is printed");
  if (!m) t.comment(d.stdout());
  t.equal(Number(m![1]), port);
  t.ok(Number(m![2]) > port && Number(m![2]) < port + 20, "a later port within the tried range");
  t.equal(Number(m![2]), d.port, "the line names the port the URL gives");
  // P+1 was free a moment ago; only a race with another process could make it otherwise.
  if (Number(m![2]) === port + 1) t.equal(m![0], `Port ${port} was in use; using ${port + 1} instead.`);
  const r = await d.api("GET", "/api/personas");
  t.equal(r.status, 200);
});

t.test("refusals: a non-loopback host without a token, a port that is not a number", async (t) => {
  const home = childHome(t);
  const host = await runCli(["daemon", "--host", "0.0.0.0", "--port", String(await freePort())], childEnv(home));
  t.not(host.code, 0);
  t.match(host.stderr, /ETERNEGO_TOKEN/);
  t.notMatch(host.stdout, /Eternego is running/);

  const bad = await runCli(["daemon", "--port", "abc"], childEnv(home));
  t.not(bad.code, 0);
  t.match(bad.stderr, /'abc' is not a port number/);
  t.match(bad.stderr, /--port/);
  t.notMatch(bad.stderr, /\n\s+at /, "no stack trace");

  const badEnv = await runCli(["daemon"], childEnv(home, { WEB_PORT: "70000" }));
  t.not(badEnv.code, 0);
  t.match(badEnv.stderr, /'70000' is not a port number/);

  const unknown = await runCli(["frobnicate"], childEnv(home));
  t.not(unknown.code, 0);
  t.match(unknown.stderr, /unknown command/i);
});

t.test("SIGTERM stops every agent and keeps every status; the next daemon starts the active ones", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const home = childHome(t);
  const port = await freePort();
  const d = await spawnDaemon(t, ["daemon", "--port", String(port)], childEnv(home));
  const organs = { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } };
  const ada = await d.api("POST", "/api/persona/create", { name: "Ada", organs });
  t.equal(ada.status, 201, "Ada is created");
  if (ada.status !== 201) t.comment(JSON.stringify(ada.body));
  const bea = await d.api("POST", "/api/persona/create", { name: "Bea", organs });
  t.equal(bea.status, 201, "Bea is created");
  if (bea.status !== 201) t.comment(JSON.stringify(bea.body));
  const adaId: string = ada.body.persona.id;
  const beaId: string = bea.body.persona.id;
  t.equal(ada.body.persona.running, true);
  t.same((await d.api("POST", `/api/persona/${beaId}/stop`)).body, { status: "stopped" });
  t.equal(readRecord(home, adaId).status, "active");
  t.equal(readRecord(home, beaId).status, "hibernate");

  const exit = await signalAndWait(d, "SIGTERM");
  t.same(exit, { code: 0, signal: null }, "exits 0 on SIGTERM");
  t.match(d.stdout(), /SIGTERM: stopping every persona/);
  t.equal(readRecord(home, adaId).status, "active", "her status is untouched by the shutdown");
  t.equal(readRecord(home, beaId).status, "hibernate");

  const again = await spawnDaemon(t, ["daemon", "--port", String(port)], childEnv(home));
  const a = await again.api("GET", `/api/persona/${adaId}`);
  t.equal(a.status, 200);
  t.equal(a.body.persona.status, "active");
  t.equal(a.body.persona.running, true, "an active persona is started at boot");
  t.equal(a.body.persona.state, "running");
  const b = await again.api("GET", `/api/persona/${beaId}`);
  t.equal(b.body.persona.status, "hibernate");
  t.equal(b.body.persona.running, false, "a hibernated persona stays stopped");
  t.equal(b.body.persona.state, "stopped");

  const exit2 = await signalAndWait(again, "SIGINT");
  t.same(exit2, { code: 0, signal: null }, "exits 0 on SIGINT");
  t.equal(readRecord(home, adaId).status, "active");
  t.equal(readRecord(home, beaId).status, "hibernate");
});

t.test("eternego personas: from disk without a daemon, from the daemon when one runs", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const home = childHome(t);

  const empty = await runCli(["personas", "--port", String(await freePort())], childEnv(home));
  t.equal(empty.code, 0);
  t.match(empty.stdout, /No personas yet/);
  const nowhere = path.join(home, "not-made-yet");
  const none = await runCli(["personas", "--port", String(await freePort()), "--home", nowhere], childEnv(home));
  t.match(none.stdout, /No personas yet/);
  t.notOk(fs.existsSync(nowhere), "listing personas makes no home where there was none");

  const port = await freePort();
  const d = await spawnDaemon(t, ["daemon", "--port", String(port)], childEnv(home));
  const organs = { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } };
  const ada = (await d.api("POST", "/api/persona/create", { name: "Ada", organs })).body.persona;
  const bea = (await d.api("POST", "/api/persona/create", { name: "Bea", organs })).body.persona;
  t.ok(ada?.id && bea?.id);
  await d.api("POST", `/api/persona/${bea.id}/stop`);

  // With the daemon running: live rows (running/stopped), no "not running" note.
  const live = await runCli(["personas", "--port", String(port)], childEnv(home));
  t.equal(live.code, 0, live.stderr);
  const liveLines = live.stdout.trim().split("\n");
  t.equal(liveLines.length, 2, "one line per persona");
  t.match(liveLines[0], new RegExp(`^${ada.id}\\s+active\\s+running\\s+Ada$`));
  t.match(liveLines[1], new RegExp(`^${bea.id}\\s+hibernate\\s+stopped\\s+Bea$`));
  t.notMatch(live.stdout, /not running/);
  // WEB_PORT and --port before the word reach the list command too.
  t.match((await runCli(["--port", String(port), "personas"], childEnv(home))).stdout, /running\s+Ada/);
  t.match((await runCli(["personas"], childEnv(home, { WEB_PORT: String(port) }))).stdout, /running\s+Ada/);

  t.same(await signalAndWait(d, "SIGTERM"), { code: 0, signal: null });

  // No daemon: read from her folders, in creation order, and say so.
  const disk = await runCli(["personas", "--port", String(port)], childEnv(home));
  t.equal(disk.code, 0, disk.stderr);
  const diskLines = disk.stdout.trim().split("\n");
  t.match(diskLines[0], new RegExp(`^${ada.id}\\s+active\\s+Ada$`));
  t.match(diskLines[1], new RegExp(`^${bea.id}\\s+hibernate\\s+Bea$`));
  t.match(disk.stdout, new RegExp(`daemon is not running on port ${port}`));
  // --home is honoured by the list command.
  const other = await runCli(["personas", "--port", String(port), "--home", childHome(t)], childEnv(home));
  t.match(other.stdout, /No personas yet/);
});

t.test("--plugin PATH loads a plugin", async (t) => {
  const home = childHome(t);
  const dir = childHome(t);
  const file = path.join(dir, "cli-echo.mjs");
  fs.writeFileSync(
    file,
    `export default {
  kind: "channel", name: "cli-echo", version: "1.2.3", title: "CLI echo",
  credentials: [{ key: "token", label: "Token", secret: true, required: true }], maxText: 1000,
  async validate() { return { name: "echo" }; },
  async connect(c, ctx) { return { async send() {}, closed: new Promise((r) => ctx.signal.addEventListener("abort", r)), async close() {} }; },
};
`,
  );
  const broken = path.join(dir, "broken.mjs");
  fs.writeFileSync(broken, `export default { kind: "channel", name: "Bad Name" };\n`);
  const d = await spawnDaemon(t, ["daemon", "--port", String(await freePort()), "--plugin", file, "--plugin", broken], childEnv(home));
  const r = await d.api("GET", "/api/plugins");
  t.equal(r.status, 200);
  const echo = r.body.plugins.find((p: { name: string }) => p.name === "cli-echo");
  t.match(echo, { kind: "channel", name: "cli-echo", version: "1.2.3", builtin: false, state: "loaded", error: null, declares: { title: "CLI echo" } });
  const bad = r.body.plugins.find((p: { builtin: boolean; name: string }) => !p.builtin && p.name !== "cli-echo");
  t.match(bad, { state: "failed", declares: null }, "a broken plugin is listed as failed, and the daemon still runs");
  t.type(bad?.error, "string");

  // ETERNEGO_PLUGINS does the same.
  const d2 = await spawnDaemon(t, ["daemon", "--port", String(await freePort())], childEnv(home, { ETERNEGO_PLUGINS: file }));
  const r2 = await d2.api("GET", "/api/plugins");
  t.match(r2.body.plugins.find((p: { name: string }) => p.name === "cli-echo"), { state: "loaded" });
});

t.test("the port answers only once boot is done: active personas already run, a stop sent at once sticks", async (t) => {
  const home = childHome(t);
  // Folders written straight to disk (no scrypt), created one second apart.
  const store = new PersonaStore(resolveConfig({ home, port: 0 }, {}));
  const ids: string[] = [];
  for (let n = 0; n < 30; n++) {
    const id = crypto.randomUUID();
    ids.push(id);
    await store.create(
      {
        version: FORMAT_VERSION, id, name: `P${n}`, birthday: "2026-01-01", created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        status: "active", status_reason: null, organs: { thinking: { provider: "ollama", model: "llama3.2:latest", url: "http://127.0.0.1:9" } },
        channels: [],
      },
      { organs: {}, channels: {} },
    );
  }
  const last = ids[ids.length - 1]!;
  const port = await freePort();
  const proc = spawn(process.execPath, [BIN, "daemon", "--port", String(port)], { env: childEnv(home), cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  // The CLI prints this once the daemon's start is over, boot included: after it, nothing of the boot is left to run.
  let out = "";
  const booted = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon never said it was running\nstdout: ${out}`)), STEP_MS);
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (!/Eternego is running at /.test(out)) return;
      clearTimeout(timer);
      resolve();
    });
    proc.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited before it said it was running\nstdout: ${out}`));
    });
  });
  booted.catch(() => {}); // awaited below; a failure before then must not go unhandled
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await exited;
  });
  // The very first request that gets through: stop the persona boot would start last.
  const deadline = Date.now() + STEP_MS;
  let stop: Response | null = null;
  while (!stop) {
    if (Date.now() > deadline) throw new Error("the daemon never answered");
    if (proc.exitCode !== null) throw new Error("the daemon exited");
    stop = await fetch(`http://127.0.0.1:${port}/api/persona/${last}/stop`, { method: "POST" }).catch(() => null);
    if (!stop) await new Promise((r) => setTimeout(r, 2));
  }
  t.equal(stop.status, 200);
  const list = await (await fetch(`http://127.0.0.1:${port}/api/personas`)).json() as { personas: { id: string; status: string; running: boolean }[] };
  t.equal(list.personas.length, 30);
  t.equal(list.personas.filter((p) => p.running).length, 29, "every other active persona is already running");
  await booted;
  const her = (await (await fetch(`http://127.0.0.1:${port}/api/persona/${last}`)).json() as { persona: { status: string; running: boolean } }).persona;
  t.same({ status: her.status, running: her.running }, { status: "hibernate", running: false }, "the boot did not undo the stop");
});

t.test("the terminal and the log: a readable line naming what failed where, a private log file with start and stop lines", async (t) => {
  const home = childHome(t);
  const KEY = "key-for-the-terminal-test-7c1f";
  const plugin = path.join(ROOT, "dist", "test", "fixtures", "plugins", "keyed-model.js");
  const d = await spawnDaemon(t, ["daemon", "--port", "0", "--plugin", plugin], childEnv(home, { ETERNEGO_QUIET: "0" }));
  const crash = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "keyed", model: "explode", api_key: KEY } } });
  t.equal(crash.status, 500, "a plugin that crashes is the daemon's 500");
  t.match(crash.body.detail, /^TypeError: /);
  const line = await d.waitFor(/^.* error .*Unhandled error on POST \/api\/persona\/create: TypeError: [^\n]*$/m, "stderr");
  t.ok(line, `the terminal line says the method, the path and the error: ${line[0]}`);
  t.notOk(d.stderr().includes(KEY), "…without the key");
  t.same(await signalAndWait(d, "SIGTERM"), { code: 0, signal: null });
  const log = path.join(home, "logs", "eternego.log");
  t.equal(fs.statSync(log).mode & 0o777, 0o600, "the log file is the person's alone");
  const lines = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  t.match(lines[0], { msg: new RegExp(`^Eternego ${VERSION.replace(/\./g, "\\.")} started at http://127\\.0\\.0\\.1:${d.port}`) }, "it begins with the start");
  t.match(lines.at(-1), { msg: /^Eternego stopped/ }, "and ends with the stop");
});
