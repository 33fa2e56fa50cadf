// `npm run bench`: builds, then runs each benchmark and prints its figures with a ratio
// against a baseline measured in this same run. Loopback only; every loop is bounded in
// count and time, and a watchdog ends the whole run if it ever passes WATCHDOG_MS.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { coldStart } from "./cold-start.js";
import { dashboardSize, dashboardTiming } from "./dashboard.js";
import { diaryBench } from "./diary.js";
import { embeddedBench } from "./embedded.js";
import { v1Overhead } from "./v1.js";
import { channelBurst, telegramLatency } from "./channels.js";
import { cleanup, median } from "./lib.js";
import { mindOverhead, mindSwarm } from "./mind.js";
import { organ } from "./organ.js";
import { rss } from "./rss.js";
import { throughput } from "./throughput.js";

const WATCHDOG_MS = 420_000;
const AIMS = { throughputSlowdown: 1.5, coldStartMs: 1_500, organOverhead: 1.1, messageOverheadMs: 5, pageKiB: 100, drawnMs: 500, diaryGrowthMiB: 64, v1Overhead: 1.1, channelOverhead: 1.5, embeddedOverhead: 1.1 };

/** `--only f,g` runs just those sections (letters a–n, l the embedded engine); the default runs all. */
const onlyArg = process.argv.find((a) => a.startsWith("--only"));
const only = onlyArg ? new Set((onlyArg.includes("=") ? onlyArg.split("=")[1]! : process.argv[process.argv.indexOf(onlyArg) + 1] ?? "").split(",").map((x) => x.trim()).filter(Boolean)) : null;
const want = (...letters: string[]) => !only || letters.some((l) => only.has(l));

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");

async function main(): Promise<number> {
  const started = performance.now();
  console.log(`Eternego benchmarks — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? "?"}), ${os.platform()} ${os.release()}`);
  let missed = 0;

  if (want("a")) {
  console.log("\n(a) GET /api/personas, 100 personas (all running), keep-alive, concurrency 10, best of 3 × 4000 requests");
  const a = await throughput();
  console.log(`    daemon  : ${f0(a.daemon.rps).padStart(6)} req/s  (${a.daemon.requests} requests in ${f0(a.daemon.ms)} ms, ${f1(a.daemon.ms / a.daemon.requests * 10)} ms mean latency)`);
  console.log(`    baseline: ${f0(a.bare.rps).padStart(6)} req/s  (bare express 5 handler, same ${a.bodyBytes}-byte JSON, same process)`);
  const aOk = a.slowdown <= AIMS.throughputSlowdown;
  console.log(`    ratio   : daemon is ${f2(a.slowdown)}× slower than the baseline (aim ≤ ${AIMS.throughputSlowdown}×) ${verdict(aOk)}`);
  if (!aOk) missed++;
  }

  if (want("b")) {
  console.log("\n(b) cold start to first 200 on GET /api/personas, 100 active personas (100 agents start at boot), median of 5");
  const b = await coldStart();
  console.log(`    daemon  : ${f0(b.daemonMedian).padStart(6)} ms   (runs: ${b.daemonMs.map(f0).join(", ")})`);
  console.log(`    0 personas: ${f0(b.emptyMedian).padStart(4)} ms   (same daemon, empty home; runs: ${b.emptyMs.map(f0).join(", ")}) → boot of 100 costs ~${f0(b.daemonMedian - b.emptyMedian)} ms`);
  console.log(`    baseline: ${f0(b.bareMedian).padStart(6)} ms   (bare node -e http server; runs: ${b.bareMs.map(f0).join(", ")})`);
  const bOk = b.daemonMedian < AIMS.coldStartMs;
  console.log(`    ratio   : ${f2(b.ratio)}× the baseline; aim < ${AIMS.coldStartMs} ms ${verdict(bOk)}`);
  if (!bOk) missed++;
  }

  if (want("c")) {
  console.log("\n(c) RSS per running agent: daemon with 0 vs 100 active personas, VmRSS after first 200 + 2 forced GCs, median of 3");
  const c = await rss();
  console.log(`    0 agents  : ${f0(c.rss0).padStart(7)} KiB  (runs: ${c.rss0KiB.join(", ")})`);
  console.log(`    100 agents: ${f0(c.rss100).padStart(7)} KiB  (runs: ${c.rss100KiB.join(", ")})`);
  console.log(`    per agent : ${f1(c.perAgentKiB).padStart(7)} KiB  ((rss100 − rss0) / 100); ratio rss100/rss0 = ${f2(c.ratio)}`);
  }

  if (want("d", "e")) {
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
  }

  if (want("f")) {
  console.log("\n(f) daemon overhead per message: POST /read?wait → ollama plugin → fake Ollama → chat:message at a socket.io client, sequential; legs: (1) POST sent → fake /api/chat entered, (2) fake answer complete → chat:message received; warm-up then 3 alternating rounds × 100 messages");
  const f = await mindOverhead();
  const legs = (l: typeof f.daemon) => `p50 ${f2(l.sumP50)} ms, p95 ${f2(l.sumP95)} ms  (leg 1 p50/p95 ${f2(l.leg1P50)}/${f2(l.leg1P95)}, leg 2 p50/p95 ${f2(l.leg2P50)}/${f2(l.leg2P95)}; POST→event p50 ${f2(l.totalP50)} ms; n=${l.samples})`;
  console.log(`    daemon  : ${legs(f.daemon)}`);
  console.log(`    baseline: ${legs(f.bare)}  (bare express + raw fetch + bare socket.io, same process, same ${f.requestBytes}-byte chat request)`);
  const fOk = f.daemon.sumP50 < AIMS.messageOverheadMs;
  console.log(`    ratio   : daemon ${f2(f.ratio)}× the baseline (p50 of leg 1 + leg 2); aim < ${AIMS.messageOverheadMs} ms p50 ${verdict(fOk)}; her conversation at the end: ${f.conversationLines} lines`);
  if (!fOk) missed++;
  }

  if (want("g")) {
  console.log("\n(g) 20 personas × 50 concurrent messages (1000 in flight, ?wait=60) on one daemon (child process), fake Ollama in the bench process; checked in every conversation.jsonl");
  const g = await mindSwarm();
  const kib = (n: number) => `${f0(n / 1024)} MiB`;
  console.log(`    wall    : ${f0(g.wallMs)} ms for ${g.messages} messages → ${f0(g.rate)} messages/s; ${g.thinkingCalls} thinking calls (a beat takes every message waiting)`);
  console.log(`    http    : ${g.http.answered} answered with words, ${g.http.silent} answered silently, ${g.http.received} 202 (wait ran out), ${g.http.failed} failed`);
  console.log(`    rss     : peak (VmHWM) ${kib(g.hwmKiB)}; idle with ${g.personas} personas before the burst ${kib(g.rssIdleKiB)} (VmHWM then ${kib(g.hwmBeforeKiB)}) → peak/idle ${f2(g.hwmKiB / g.rssIdleKiB)}×`);
  const bad = g.lost + g.duplicated + g.unanswered + g.misplaced + g.idMismatch + g.http.failed;
  if (bad) {
    console.log(`    !!! PROBLEMS: ${g.lost} lost, ${g.duplicated} duplicated, ${g.unanswered} unanswered, ${g.misplaced} misplaced, ${g.idMismatch} id mismatches, ${g.http.failed} HTTP failures — a bug:`);
    for (const p of g.problems.slice(0, 10)) console.log(`        persona ${p.persona} "${p.text}": ${p.what}`);
    if (g.problems.length > 10) console.log(`        … and ${g.problems.length - 10} more`);
    if (g.daemonStderr.trim()) console.log(`        daemon stderr (tail): ${g.daemonStderr.trim().slice(-800)}`);
    missed++;
  } else {
    console.log(`    check   : all ${g.messages} messages in her conversation exactly once and named in an answer of hers ok`);
  }
  }

  if (want("h")) {
  console.log("\n(h) what the dashboard page loads, gzipped (level 9): index.html and every file it names");
  const h = await dashboardSize();
  for (const f of h.files) console.log(`    ${f.name.padEnd(22)} ${f1(f.bytes / 1024).padStart(7)} KiB → ${f1(f.gz / 1024).padStart(6)} KiB gzipped`);
  const kib = h.totalGz / 1024;
  const hOk = kib < AIMS.pageKiB;
  console.log(`    total   : ${f1(kib)} KiB gzipped (aim < ${AIMS.pageKiB} KiB) ${verdict(hOk)}`);
  console.log(`    baseline: ${f1(h.depsGz / 1024)} KiB gzipped (lit + socket.io-client + marked + DOMPurify bundled alone, same minifier) → the page is ${f2(h.totalGz / h.depsGz)}× its libraries`);
  console.log(`    later   : ${f1(h.laterGz / 1024)} KiB gzipped more, the other screens, each fetched the first time its tab is opened`);
  if (!hOk) missed++;
  }

  if (want("i")) {
  console.log("\n(i) navigation to drawn in Chromium (the page's own clock): the persona list with 100 personas; a chat of 1,000 messages drawn and scrolled to its end; 5 runs each");
  const i = await dashboardTiming();
  const row = (name: string, xs: number[], plain: number[]) => {
    const ok = median(xs) < AIMS.drawnMs;
    console.log(`    ${name.padEnd(8)}: median ${f0(median(xs))} ms, best ${f0(Math.min(...xs))} ms (runs ${xs.map(f0).join(", ")}); aim < ${AIMS.drawnMs} ms ${verdict(ok)}`);
    console.log(`    baseline: median ${f0(median(plain))} ms (a plain page fetching the same JSON and drawing plain elements) → ${f2(median(xs) / median(plain))}×`);
    return ok;
  };
  if (!row("list", i.listMs, i.listPlainMs)) missed++;
  if (!row("chat", i.chatMs, i.chatPlainMs)) missed++;
  }

  if (want("l")) {
  console.log("\n(l) the embedded engine on a generated GGUF (random weights): the plugin's Thinker vs node-llama-cpp's LlamaChat on the same file, same history, grammar and sampling, alternating, 1 thread; then 1 vs 2 threads; then through a child daemon");
  const l = await embeddedBench();
  const mib = (kib: number) => `${f0(kib / 1024)} MiB`;
  console.log(`    model   : ${f1(l.model.bytes / 1024 ** 2)} MiB (${l.model.embedding} wide, ${l.model.layers} layers)`);
  console.log(`    plugin  : ${f0(l.plugin.tokensPerS).padStart(6)} tokens/s, first token ${f1(l.plugin.ttftMs)} ms (median of ${l.plugin.calls} calls, ${l.plugin.tokens} tokens)`);
  console.log(`    baseline: ${f0(l.direct.tokensPerS).padStart(6)} tokens/s, first token ${f1(l.direct.ttftMs)} ms (LlamaChat directly, ${l.direct.calls} calls, ${l.direct.tokens} tokens)`);
  const lOk = l.speedRatio <= AIMS.embeddedOverhead && l.ttftRatio <= AIMS.embeddedOverhead;
  console.log(`    ratio   : ${f2(l.speedRatio)}× the baseline's time per token, ${f2(l.ttftRatio)}× its time to the first token (aim ≤ ${AIMS.embeddedOverhead}×) ${verdict(lOk)}`);
  if (!lOk) missed++;
  for (const x of l.threads) console.log(`    threads ${x.threads}: ${f0(x.tokensPerS).padStart(6)} tokens/s (LlamaChat alone in a child), peak RSS ${mib(x.peakRssKiB)}`);
  const [one, two] = l.threads;
  console.log(`    threads : 1 thread is ${f1(one!.tokensPerS / two!.tokensPerS)}× as fast as 2 here (ETERNEGO_EMBEDDED_THREADS, default 1)`);
  console.log(`    daemon  : ${f0(l.daemon.tokensPerS).padStart(6)} tokens/s of whole answers, POST → first chat:delta ${f1(l.daemon.ttftMs)} ms (${l.daemon.calls} messages, ${l.daemon.thinkCalls} think calls; her prompt ${l.daemon.promptTokens} tokens, ${f0(l.daemon.readPerMessage)} read per message); peak RSS ${mib(l.daemon.peakRssKiB)}`);
  console.log(`    baseline: ${f0(l.daemonBaseline.tokensPerS).padStart(6)} tokens/s of whole answers, first token ${f1(l.daemonBaseline.ttftMs)} ms (LlamaChat, a prompt as long as hers and her decision schema, ${f0(l.daemonBaseline.readPerMessage)} read per message)`);
  console.log(`    ratio   : ${f2(l.daemonRatio)}× (no aim: her beats read more of her prompt anew than the baseline's turns)`);
  }

  if (want("m")) {
  console.log("\n(m) one message on Telegram (the fake Bot API, long polling) → her answer sent back to the fake, against the same message over POST /read?wait; alternating, 120 each after a warm-up");
  const m = await telegramLatency();
  console.log(`    telegram: p50 ${f2(m.telegramP50)} ms, p95 ${f2(m.telegramP95)} ms (n=${m.samples}; update taken by a waiting poll, her beat, the outbox, sendMessage)`);
  console.log(`    baseline: p50 ${f2(m.readP50)} ms, p95 ${f2(m.readP95)} ms  (POST /api/persona/:id/read?wait)`);
  const mOk = m.ratio <= AIMS.channelOverhead;
  console.log(`    ratio   : ${f2(m.ratio)}× (aim ≤ ${AIMS.channelOverhead}×) ${verdict(mOk)}`);
  if (!mOk) missed++;
  }

  if (want("n")) {
  console.log("\n(n) 20 personas × 2 channels (her own Telegram bot, her own Discord), every chat paired, then 5 messages into each of the 40 chats at once; counted in every conversation and at every fake");
  const n = await channelBurst();
  const nOk = !n.lost && !n.duplicated && !n.unsent && !n.sentTwice;
  console.log(`    burst   : ${n.messages} messages in ${n.chats} chats, all answered in ${f0(n.wallMs)} ms (${f0(n.messages / (n.wallMs / 1000))} messages/s); ${n.answers} answers (a beat answers every message of a chat waiting)`);
  console.log(`    exactly : ${n.lost} lost, ${n.duplicated} taken twice, ${n.unsent} answers not at their platform, ${n.sentTwice} sent twice ${verdict(nOk)}`);
  if (!nOk) missed++;
  }

  if (want("k")) {
  console.log("\n(k) /v1/chat/completions against POST /read?wait, the same message, persona and fake organ, sequential on a child daemon; 3 rounds × 60 each after a warm-up; then 15 streamed completions");
  const k = await v1Overhead();
  console.log(`    /v1     : p50 ${f2(k.v1P50)} ms, p95 ${f2(k.v1P95)} ms (n=${k.samples})`);
  console.log(`    baseline: p50 ${f2(k.readP50)} ms, p95 ${f2(k.readP95)} ms  (POST /api/persona/:id/read?wait)`);
  const kOk = k.ratio <= AIMS.v1Overhead;
  console.log(`    ratio   : ${f2(k.ratio)}× (aim ≤ ${AIMS.v1Overhead}×) ${verdict(kOk)}`);
  console.log(`    stream  : first words at p50 ${f1(k.firstChunkP50)} ms, the whole answer at ${f1(k.wholeStreamP50)} ms (the organ takes ${k.organStreamMs} ms to stream it)`);
  if (!kOk) missed++;
  }

  if (want("j")) {
  console.log("\n(j) her diary with 100 MiB of media: export over HTTP from a daemon (a child process), then restore by upload into another; peak RSS growth from VmHWM after clear_refs");
  const j = await diaryBench();
  const mib = (k: number) => k / 1024;
  console.log(`    export  : ${f0(j.exportMs).padStart(6)} ms, peak RSS +${f1(mib(j.exportGrowthKiB))} MiB (diary ${f1(j.diaryBytes / 1024 ** 2)} MiB of ${f1(j.mediaBytes / 1024 ** 2)} MiB media)`);
  console.log(`    migrate : ${f0(j.migrateMs).padStart(6)} ms, peak RSS +${f1(mib(j.migrateGrowthKiB))} MiB (upload, decrypt, check, unpack, put in place, start)`);
  console.log(`    baseline: tar | age ${f0(j.tarAgeMs)} ms, age -d | tar -x ${f0(j.ageTarMs)} ms (Debian's Go age, same folder) → export ${f2(j.exportMs / j.tarAgeMs)}×, migrate ${f2(j.migrateMs / j.ageTarMs)}×`);
  const jOk = mib(Math.max(j.exportGrowthKiB, j.migrateGrowthKiB)) < AIMS.diaryGrowthMiB;
  console.log(`    aim     : peak growth < ${AIMS.diaryGrowthMiB} MiB ${verdict(jOk)}`);
  if (!jOk) missed++;
  }

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
