// `npm run bench`: builds, then runs each benchmark and prints its figures with a ratio
// against a baseline measured in this same run. Loopback only; every loop is bounded in
// count and time, and a watchdog ends the whole run if it ever passes WATCHDOG_MS.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { coldStart } from "./cold-start.js";
import { cleanup } from "./lib.js";
import { organ } from "./organ.js";
import { rss } from "./rss.js";
import { throughput } from "./throughput.js";

const WATCHDOG_MS = 110_000;
const AIMS = { throughputSlowdown: 1.5, coldStartMs: 1_500, organOverhead: 1.1 };

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");

async function main(): Promise<number> {
  const started = performance.now();
  console.log(`Eternego benchmarks — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? "?"}), ${os.platform()} ${os.release()}`);
  let missed = 0;

  console.log("\n(a) GET /api/personas, 100 personas (all running), keep-alive, concurrency 10, best of 3 × 4000 requests");
  const a = await throughput();
  console.log(`    daemon  : ${f0(a.daemon.rps).padStart(6)} req/s  (${a.daemon.requests} requests in ${f0(a.daemon.ms)} ms, ${f1(a.daemon.ms / a.daemon.requests * 10)} ms mean latency)`);
  console.log(`    baseline: ${f0(a.bare.rps).padStart(6)} req/s  (bare express 5 handler, same ${a.bodyBytes}-byte JSON, same process)`);
  const aOk = a.slowdown <= AIMS.throughputSlowdown;
  console.log(`    ratio   : daemon is ${f2(a.slowdown)}× slower than the baseline (aim ≤ ${AIMS.throughputSlowdown}×) ${verdict(aOk)}`);
  if (!aOk) missed++;

  console.log("\n(b) cold start to first 200 on GET /api/personas, 100 active personas (100 agents start at boot), median of 5");
  const b = await coldStart();
  console.log(`    daemon  : ${f0(b.daemonMedian).padStart(6)} ms   (runs: ${b.daemonMs.map(f0).join(", ")})`);
  console.log(`    0 personas: ${f0(b.emptyMedian).padStart(4)} ms   (same daemon, empty home; runs: ${b.emptyMs.map(f0).join(", ")}) → boot of 100 costs ~${f0(b.daemonMedian - b.emptyMedian)} ms`);
  console.log(`    baseline: ${f0(b.bareMedian).padStart(6)} ms   (bare node -e http server; runs: ${b.bareMs.map(f0).join(", ")})`);
  const bOk = b.daemonMedian < AIMS.coldStartMs;
  console.log(`    ratio   : ${f2(b.ratio)}× the baseline; aim < ${AIMS.coldStartMs} ms ${verdict(bOk)}`);
  if (!bOk) missed++;

  console.log("\n(c) RSS per running agent: daemon with 0 vs 100 active personas, VmRSS after first 200 + 2 forced GCs, median of 3");
  const c = await rss();
  console.log(`    0 agents  : ${f0(c.rss0).padStart(7)} KiB  (runs: ${c.rss0KiB.join(", ")})`);
  console.log(`    100 agents: ${f0(c.rss100).padStart(7)} KiB  (runs: ${c.rss100KiB.join(", ")})`);
  console.log(`    per agent : ${f1(c.perAgentKiB).padStart(7)} KiB  ((rss100 − rss0) / 100); ratio rss100/rss0 = ${f2(c.ratio)}`);

  console.log("\n(d) organ overhead: openai plugin Thinker vs raw fetch, same request to the same fake OpenAI server, sequential, 9 alternating rounds × 300 calls; ms/call = best round, ratio = median of per-round ratios");
  const d = await organ();
  const dOk = d.plain.ratio <= AIMS.organOverhead;
  console.log(`    plain : plugin ${f2(d.plain.pluginMs)} ms/call, raw fetch ${f2(d.plain.rawMs)} ms/call → ${f2(d.plain.ratio)}× (aim ≤ ${AIMS.organOverhead}×) ${verdict(dOk)}, ~${f0((d.plain.ratio - 1) * d.plain.rawMs * 1000)} µs a call`);
  if (!dOk) missed++;
  console.log(`    toolkit: core organRequest alone (per-attempt timeout signal, retries and fault mapping armed) ${f2(d.plain.toolkitMs)} ms/call → ${f2(d.plain.toolkitRatio)}× raw`);
  console.log(`    schema: plugin ${f2(d.schema.pluginMs)} ms/call, raw fetch ${f2(d.schema.rawMs)} ms/call → ${f2(d.schema.ratio)}× (no aim: the plugin also checks the answer against the schema, raw fetch only JSON.parses it)`);

  console.log(`\n(e) time to first streamed delta, ${d.ttfd.chunks} SSE chunks ${d.ttfd.gapMs} ms apart, median of ${d.ttfd.samples}`);
  console.log(`    plugin  : ${f2(d.ttfd.pluginMedianMs).padStart(6)} ms  (onDelta of the openai Thinker)`);
  console.log(`    baseline: ${f2(d.ttfd.rawMedianMs).padStart(6)} ms  (raw fetch, reading the SSE body to the first content delta)`);
  console.log(`    ratio   : ${f2(d.ttfd.ratio)}×`);

  console.log(`\nDone in ${f1((performance.now() - started) / 1000)} s; ${missed ? `${missed} aim(s) missed` : "every aim met"}.`);
  return 0; // a missed aim is reported, not fatal: figures depend on the machine
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s; giving up.`);
  cleanup();
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

main().then(
  (code) => {
    cleanup();
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    cleanup();
    process.exitCode = 1;
  },
);
