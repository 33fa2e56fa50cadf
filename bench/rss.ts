// (c) RSS per running agent: a daemon with 0 personas against one with 100 active ones.
// Each daemon is spawned with --expose-gc and a preload that runs a full GC on SIGUSR2;
// VmRSS is read from /proc after the first 200, some traffic, and two settled GCs.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BIN, daemonEnv, freePort, get, median, rssKiB, seedHome, sleep, spawnUntil200, tempHome } from "./lib.js";

export interface RssResult {
  runs: number;
  rss0KiB: number[];
  rss100KiB: number[];
  rss0: number;
  rss100: number;
  /** (rss100 − rss0) / 100, KiB. */
  perAgentKiB: number;
  /** rss100 ÷ rss0. */
  ratio: number;
}

const PERSONAS = 100;
const RUNS = 3;
const PRELOAD = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "gc-preload.js")).href;

async function settledRss(home: string, expectRunning: number): Promise<number> {
  const port = await freePort();
  const d = await spawnUntil200(["--expose-gc", "--import", PRELOAD, BIN, "daemon", "--port", String(port)], port, "/api/personas", daemonEnv(home));
  try {
    const first = JSON.parse((await get(`http://127.0.0.1:${port}/api/personas`, false)).body) as { personas: { running: boolean }[] };
    const running = first.personas.filter((p) => p.running).length;
    if (running !== expectRunning) throw new Error(`expected ${expectRunning} running agents, found ${running}`);
    for (let i = 0; i < 20; i++) await get(`http://127.0.0.1:${port}/api/personas`, false);
    await sleep(300);
    for (let i = 0; i < 2; i++) {
      d.proc.kill("SIGUSR2");
      await sleep(250);
    }
    return rssKiB(d.proc.pid!);
  } finally {
    await d.stop();
  }
}

export async function rss(): Promise<RssResult> {
  const empty = tempHome();
  const full = tempHome();
  await seedHome(full, PERSONAS, "active");
  const rss0KiB: number[] = [];
  const rss100KiB: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    rss0KiB.push(await settledRss(empty, 0));
    rss100KiB.push(await settledRss(full, PERSONAS));
  }
  const rss0 = median(rss0KiB);
  const rss100 = median(rss100KiB);
  return { runs: RUNS, rss0KiB, rss100KiB, rss0, rss100, perAgentKiB: (rss100 - rss0) / PERSONAS, ratio: rss100 / rss0 };
}
