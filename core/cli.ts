import "reflect-metadata";
import { spawn } from "node:child_process";
import { Command, Option } from "commander";
import { buildDaemon } from "./bootstrap.js";
import { exportDiary, migrateDiary, printIdentity } from "./cli-diary.js";
import { resolveConfig, type ConfigInput } from "./config.js";
import { packageVersion } from "./version.js";
import { PersonaStore } from "./persona-store.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

function common(cmd: Command): Command {
  return cmd
    .addOption(new Option("--port <n>", "port to listen on (default 5000, or WEB_PORT); the next free one is used if taken"))
    .addOption(new Option("--host <host>", "address to bind (loopback by default; anything else needs ETERNEGO_TOKEN)"))
    .addOption(new Option("--home <dir>", "where personas live (default ETERNEGO_HOME or ~/.eternego)"))
    .addOption(new Option("--plugin <path>", "load a plugin from this path (repeatable)").argParser(collect));
}

function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    spawn(cmd, [url], { detached: true, stdio: "ignore" }).on("error", () => {}).unref();
  } catch {
    // Opening a browser is a courtesy; the URL is printed either way.
  }
}

async function runDaemon(opts: ConfigInput & { open?: boolean }): Promise<void> {
  const config = resolveConfig(opts);
  const daemon = await buildDaemon(config);
  await daemon.start();
  if (daemon.fellBackFrom !== null) console.log(`Port ${daemon.fellBackFrom} was in use; using ${daemon.port} instead.`);
  console.log(`Eternego is running at ${daemon.url}  (API docs: ${daemon.url}/docs, home: ${config.home})`);
  if (opts.open) openBrowser(daemon.url);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping every persona (their statuses are kept)…`);
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`Could not stop cleanly: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

async function listPersonas(opts: ConfigInput): Promise<void> {
  const config = resolveConfig(opts);
  const url = `http://127.0.0.1:${config.port}/api/personas`;
  let rows: { id: string; name: string; status: string; running?: boolean }[];
  let live = true;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500), headers: config.token ? { authorization: `Bearer ${config.token}` } : {} });
    if (!res.ok) throw new Error(String(res.status));
    rows = ((await res.json()) as { personas: typeof rows }).personas;
  } catch {
    live = false; // no daemon on that port: read her folders directly, making nothing
    const store = new PersonaStore(config);
    await store.load(undefined, { create: false });
    rows = await store.list();
  }
  if (!rows.length) {
    console.log(`No personas yet in ${config.home}. Start the daemon (eternego daemon) and create one.`);
    return;
  }
  for (const p of rows) console.log(`${p.id}  ${p.status.padEnd(9)} ${live ? (p.running ? "running" : "stopped").padEnd(8) : ""}${p.name}`);
  if (!live) console.log(`(the daemon is not running on port ${config.port}; showing what is on disk)`);
}

export function program(): Command {
  const prog = common(new Command("eternego"))
    .description("A local home for AI companions.")
    .version(packageVersion(), "-v, --version")
    .showHelpAfterError();
  common(prog.command("daemon").description("serve the API, the realtime events and the dashboard"))
    .option("--open", "open the dashboard in a browser")
    .action((opts, cmd: Command) => runDaemon({ ...prog.opts(), ...cmd.opts() }));
  common(prog.command("personas").description("list personas"))
    .action((opts, cmd: Command) => listPersonas({ ...prog.opts(), ...cmd.opts() }));
  common(prog.command("export").description("save a fresh diary of her (through the running daemon, or from disk when none runs)"))
    .argument("<id>", "her id (eternego personas lists them)")
    .argument("[file]", "where to save it (default: <name>-<date>.diary here)")
    .action((id: string, file: string | undefined, _o, cmd: Command) => exportDiary(id, file, { ...prog.opts(), ...cmd.opts() }));
  common(prog.command("migrate").description("restore her from her diary; her recovery phrase is asked for (or read from stdin)"))
    .argument("<file>", "her .diary file")
    .option("--organs <json>", "her organs here, as in create (default: those her diary names)")
    .option("--replace", "put the diary in the place of a persona with her id already here")
    .action((file: string, _o, cmd: Command) => migrateDiary(file, { ...prog.opts(), ...cmd.opts() }));
  prog.command("identity").description("print the age identity her recovery phrase is, to open a diary with age (docs/diary-format.md)")
    .action(() => printIdentity());
  return prog;
}

program()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    console.error(`eternego: ${err.message}`);
    process.exit(1);
  });
