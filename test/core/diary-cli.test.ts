// Her diary from the terminal and through a crash: `eternego export`, `migrate` and
// `identity` as real child processes, with and without a daemon running; Debian's `age`
// opening what the daemon wrote; a daemon killed in the middle of writing one.
import { execFile, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { startFakeOllama, type FakeOllama } from "../fixtures/fake-ollama.js";
import { generateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { BIN, childEnv, childHome, freePort, runCli, signalAndWait, spawnDaemon, STEP_MS } from "../helpers/child-daemon.js";
import { startDaemon } from "../helpers/daemon.js";
import { headerOf, tree } from "../helpers/diary.js";
import { until, within } from "../mind/helpers.js";

async function fakeOllama(t: Test): Promise<FakeOllama> {
  const o = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => o.close());
  return o;
}

/** A home holding Ada (made by an in-process daemon, stopped again), with a few files of hers. */
async function homeWithAda(t: Test, ollama: FakeOllama, big = 0): Promise<{ home: string; id: string; phrase: string; dir: string }> {
  const home = childHome(t);
  const d = await startDaemon(t, { home });
  const r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  const id: string = r.body.persona.id;
  await d.api("POST", `/api/persona/${id}/knowledge`, { key: "person", content: "# The person\n\nSam, who plays the cello.\n" });
  await d.daemon.stop();
  const dir = path.join(home, "personas", id);
  fs.writeFileSync(path.join(dir, "workspace", "score.bin"), crypto.randomBytes(big || 50_000));
  return { home, id, phrase: r.body.recovery_phrase, dir };
}

const sh = (command: string) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile("sh", ["-c", command], { timeout: STEP_MS }, (err, _out, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }));
  });

t.test("export, identity and migrate from the terminal, with no daemon running", async (t) => {
  const ollama = await fakeOllama(t);
  const { home, id, phrase, dir } = await homeWithAda(t, ollama);
  const nobody = String(await freePort()); // no daemon on it: the CLI works from disk
  const out = childHome(t, "eternego-out-");
  const file = path.join(out, "ada.diary");

  const ex = await runCli(["export", id, file], childEnv(home, { WEB_PORT: nobody }));
  t.equal(ex.code, 0, ex.stderr);
  t.match(ex.stdout, new RegExp(`Saved her diary to ${file.replace(/[.]/g, "\\.")} \\(\\d+ bytes, written from ${home}; no daemon was running\\)`));
  t.equal(fs.statSync(file).mode & 0o777, 0o600, "the saved diary is private");
  const diary = fs.readFileSync(file);
  t.same(headerOf(diary).lines.slice(0, 2), ["eternego-diary 1", `id ${id}`]);

  const unknown = await runCli(["export", crypto.randomUUID()], childEnv(home, { WEB_PORT: nobody }));
  t.not(unknown.code, 0);
  t.match(unknown.stderr, /No persona with id/);

  // The identity her phrase is, and Debian's age opening the diary with it: no Eternego needed.
  const ident = await runCli(["identity"], childEnv(home), `${phrase}\n`);
  t.equal(ident.code, 0, ident.stderr);
  t.match(ident.stdout.trim(), /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  t.match(ident.stderr, /keep it as safe as the phrase/);
  const key = path.join(out, "key.txt");
  fs.writeFileSync(key, ident.stdout, { mode: 0o600 });
  const opened = path.join(out, "opened");
  fs.mkdirSync(opened);
  const age = await sh(`tail -n +6 '${file}' | age -d -i '${key}' | tar -x -C '${opened}'`);
  t.equal(age.code, 0, `age and tar open it: ${age.stderr}`);
  t.same(fs.readdirSync(opened).sort(), ["home", "manifest.json", "persona.json", "workspace"]);
  const manifest = JSON.parse(fs.readFileSync(path.join(opened, "manifest.json"), "utf8"));
  t.match(manifest, { format: 1, id, name: "Ada", fingerprint: headerOf(diary).lines[2]!.slice(12) });
  for (const part of ["home", "workspace"]) {
    const mine = tree(path.join(dir, part));
    const theirs = tree(path.join(opened, part));
    t.same([...theirs.keys()].sort(), [...mine.keys()].sort(), `${part}/: the same files`);
    t.ok([...mine].every(([f, b]) => theirs.get(f)?.equals(b)), `${part}/: byte for byte`);
  }
  t.same(JSON.parse(fs.readFileSync(path.join(opened, "persona.json"), "utf8")), JSON.parse(fs.readFileSync(path.join(dir, "persona.json"), "utf8")));
  t.notOk(fs.existsSync(path.join(opened, "secrets.json")), "never her secrets");

  // Migrate into another home, the phrase piped in; a wrong one first.
  const other = childHome(t);
  const wrong = await runCli(["migrate", file], childEnv(other, { WEB_PORT: nobody }), `${phrase.split(" ").reverse().join(" ")}\n`);
  t.not(wrong.code, 0);
  t.match(wrong.stderr, /checksum is wrong|does not open this diary/);
  t.same(fs.existsSync(path.join(other, "personas")) ? fs.readdirSync(path.join(other, "personas")) : [], [], "a refused restore leaves nothing");
  const moved = await runCli(["migrate", file], childEnv(other, { WEB_PORT: nobody }), `${phrase}\n`);
  t.equal(moved.code, 0, moved.stderr);
  t.match(moved.stdout, new RegExp(`Restored Ada \\(${id}\\) into ${other}`));
  const arrived = tree(path.join(other, "personas", id, "home"));
  // She was started here (and stopped with the command): her uptime log has that on top.
  t.same([...tree(path.join(dir, "home"))].filter(([f, b]) => !arrived.get(f)?.equals(b)).map(([f]) => f), ["health.jsonl"], "her home arrived byte for byte");
  t.ok(arrived.get("health.jsonl")!.subarray(0, tree(path.join(dir, "home")).get("health.jsonl")!.length).equals(tree(path.join(dir, "home")).get("health.jsonl")!), "her uptime log as it was, and this run after it");
  const again = await runCli(["migrate", file], childEnv(other, { WEB_PORT: nobody }), `${phrase}\n`);
  t.not(again.code, 0);
  t.match(again.stderr, /already here.*replace/);
  const replaced = await runCli(["migrate", file, "--replace"], childEnv(other, { WEB_PORT: nobody }), `${phrase}\n`);
  t.equal(replaced.code, 0, replaced.stderr);
});

t.test("export and migrate through a running daemon", async (t) => {
  const ollama = await fakeOllama(t);
  const { home, id, phrase } = await homeWithAda(t, ollama);
  const a = await spawnDaemon(t, ["daemon", "--port", String(await freePort())], childEnv(home));
  const out = childHome(t, "eternego-out-");
  const file = path.join(out, "through.diary");
  const ex = await runCli(["export", id, file], childEnv(home, { WEB_PORT: String(a.port) }));
  t.equal(ex.code, 0, ex.stderr);
  t.match(ex.stdout, /^Saved her diary to .* \(\d+ bytes\)\. Only her recovery phrase opens it\./);
  t.notMatch(ex.stdout, /no daemon/);
  const named = await runCli(["export", id], childEnv(home, { WEB_PORT: String(a.port) }), undefined, out);
  t.equal(named.code, 0, named.stderr);
  t.match(named.stdout, /Ada-\d{4}-\d{2}-\d{2}\.diary/, "without a file name, the daemon's name for it");
  t.same(fs.readdirSync(out).filter((f) => f.startsWith("Ada-")).length, 1, "saved where the command was run");
  const again = await runCli(["export", id], childEnv(home, { WEB_PORT: String(a.port) }), undefined, out);
  t.not(again.code, 0, "a second one of the same name is not written over the first");
  t.match(again.stderr, /is already there; give the file to save her diary to: eternego export/);

  const other = childHome(t);
  const b = await spawnDaemon(t, ["daemon", "--port", String(await freePort())], childEnv(other));
  const moved = await runCli(["migrate", file, "--organs", JSON.stringify({ thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } })], childEnv(other, { WEB_PORT: String(b.port) }), `${phrase}\n`);
  t.equal(moved.code, 0, moved.stderr);
  t.match(moved.stdout, new RegExp(`Restored Ada \\(${id}\\); she is running on the daemon at ${b.url}`));
  const her = await b.api("GET", `/api/persona/${id}`);
  t.equal(her.body.persona.state, "running", "the daemon took her in and started her");
  const refused = await runCli(["migrate", file], childEnv(other, { WEB_PORT: String(b.port) }), "not a phrase\n");
  t.not(refused.code, 0);
  t.match(refused.stderr, /24 words/);
  await signalAndWait(a, "SIGTERM");
  await signalAndWait(b, "SIGTERM");
});

t.test("a daemon killed while writing her diary: the previous diary is whole, the half-written one gone at boot", async (t) => {
  const ollama = await fakeOllama(t);
  // Big enough that writing it takes a while after its temp file appears.
  const { home, id, dir } = await homeWithAda(t, ollama, 64 * 1024 * 1024);
  const latest = path.join(dir, "diary", `${id}.diary`);
  const before = fs.readFileSync(latest);
  const d = await spawnDaemon(t, ["daemon", "--port", String(await freePort())], childEnv(home));

  const started = new Promise<string>((resolve) => {
    const w = fs.watch(path.dirname(latest), (_e, name) => {
      if (name && name.endsWith(".tmp")) {
        w.close();
        resolve(name);
      }
    });
    t.teardown(() => w.close());
  });
  const download = fetch(`${d.url}/api/persona/${id}/export`).then((r) => r.arrayBuffer()).catch((err: Error) => err);
  const temp = await within(started, "the diary's temp file");
  d.proc.kill("SIGKILL");
  await d.exited;
  t.ok((await download) instanceof Error, "the download broke off with the daemon");
  t.ok(fs.existsSync(path.join(path.dirname(latest), temp)), "the half-written diary was left by the crash");
  t.same(fs.readFileSync(latest), before, "her previous diary is untouched");

  const again = await spawnDaemon(t, ["daemon", "--port", String(await freePort())], childEnv(home));
  t.same(fs.readdirSync(path.dirname(latest)), [`${id}.diary`], "the boot swept the half-written one");
  const fresh = await fetch(`${again.url}/api/persona/${id}/export`);
  t.equal(fresh.status, 200);
  t.ok(Buffer.from(await fresh.arrayBuffer()).length > 64 * 1024 * 1024, "and a whole one is written");
  await signalAndWait(again, "SIGTERM");
});

/** `eternego <args>` on a real terminal (a pseudo-terminal from `script`), typed into key by key. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv) {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  child.stdout.on("data", (c: Buffer) => (screen += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    screen: () => screen,
    type: (keys: string) => child.stdin.write(keys),
    exited,
    kill: () => child.kill("SIGKILL"),
  };
}

t.test("on a terminal the phrase is typed unseen, with backspace, and Ctrl-C leaves", async (t) => {
  const home = childHome(t);
  const phrase = generateMnemonic(wordlist, 256);
  const term = onTerminal(["identity"], childEnv(home));
  t.teardown(term.kill);
  await until(() => term.screen().includes("nothing is shown as you type"), STEP_MS, "the prompt");
  term.type("oops\u007f\u007f\u007f\u007f");
  term.type(`${phrase}\r`);
  t.equal(await term.exited, 0, term.screen());
  t.match(term.screen(), /AGE-SECRET-KEY-1[0-9A-Z]{58}/, "the identity of the phrase typed (the mistake rubbed out)");
  t.notMatch(term.screen(), phrase.split(" ")[0]!, "and not one word of it on the screen");
  t.notMatch(term.screen(), "oops");
  const piped = await runCli(["identity"], childEnv(home), `${phrase}\n`);
  t.equal(term.screen().match(/AGE-SECRET-KEY-1[0-9A-Z]{58}/)![0], piped.stdout.trim(), "the same identity as the phrase piped in");

  const left = onTerminal(["identity"], childEnv(home));
  t.teardown(left.kill);
  await until(() => left.screen().includes("nothing is shown as you type"), STEP_MS, "the prompt again");
  left.type("half a phr\u0003");
  t.equal(await left.exited, 130, "Ctrl-C ends it as a terminal would");
  t.notMatch(left.screen(), /AGE-SECRET-KEY/);
});
