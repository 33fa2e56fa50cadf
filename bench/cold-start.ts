// (b) Cold start: from spawning `node bin/eternego.js daemon --port P` on a home with 100
// active personas (all agents start at boot) to the first 200 from GET /api/personas.
// Baseline: a bare `node -e` http server spawned and probed the same way.
import { BIN, daemonEnv, freePort, median, seedHome, spawnUntil200, tempHome } from "./lib.js";

export interface ColdStartResult {
  personas: number;
  runs: number;
  daemonMs: number[];
  /** The same daemon on an empty home: what the 100 personas add is the difference. */
  emptyMs: number[];
  bareMs: number[];
  daemonMedian: number;
  emptyMedian: number;
  bareMedian: number;
  /** daemon median ÷ bare median. */
  ratio: number;
}

const PERSONAS = 100;
const RUNS = 5;

const BARE = `require("node:http").createServer((q, s) => { s.setHeader("content-type", "application/json"); s.end('{"personas":[]}'); }).listen(Number(process.argv[1]), "127.0.0.1");`;

export async function coldStart(): Promise<ColdStartResult> {
  const home = tempHome();
  await seedHome(home, PERSONAS, "active");
  const env = daemonEnv(home);
  const emptyEnv = daemonEnv(tempHome());
  const daemonMs: number[] = [];
  const emptyMs: number[] = [];
  const bareMs: number[] = [];
  // One unmeasured run of each warms the OS file cache, as for anyone starting it twice.
  for (let i = 0; i <= RUNS; i++) {
    const port = await freePort();
    const d = await spawnUntil200([BIN, "daemon", "--port", String(port)], port, "/api/personas", env);
    await d.stop();
    const emptyPort = await freePort();
    const e = await spawnUntil200([BIN, "daemon", "--port", String(emptyPort)], emptyPort, "/api/personas", emptyEnv);
    await e.stop();
    const barePort = await freePort();
    const b = await spawnUntil200(["-e", BARE, String(barePort)], barePort, "/api/personas", env);
    await b.stop();
    if (i > 0) {
      daemonMs.push(d.readyMs);
      emptyMs.push(e.readyMs);
      bareMs.push(b.readyMs);
    }
  }
  const daemonMedian = median(daemonMs);
  const bareMedian = median(bareMs);
  const emptyMedian = median(emptyMs);
  return { personas: PERSONAS, runs: RUNS, daemonMs, emptyMs, bareMs, daemonMedian, emptyMedian, bareMedian, ratio: daemonMedian / bareMedian };
}
