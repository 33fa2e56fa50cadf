// (a) GET /api/personas with 100 personas on disk, against a bare express 5 handler
// returning the same JSON. Both servers and the client live in this process, so the
// client's own cost is the same on both sides and the ratio is the daemon's overhead.
import "reflect-metadata";
import type http from "node:http";
import express from "express";
import { buildDaemon } from "../core/bootstrap.js";
import { resolveConfig } from "../core/config.js";
import { get, load, seedHome, tempHome, type LoadResult } from "./lib.js";

export interface ThroughputResult {
  personas: number;
  bodyBytes: number;
  daemon: LoadResult;
  bare: LoadResult;
  /** bare req/s ÷ daemon req/s: how many times slower the daemon is. */
  slowdown: number;
}

const PERSONAS = 100;
const CONCURRENCY = 10;
const WARMUP = 500;
const REQUESTS = 4_000;
const ROUNDS = 3;
const DEADLINE_MS = 10_000; // per measured run

export async function throughput(): Promise<ThroughputResult> {
  const home = tempHome();
  await seedHome(home, PERSONAS, "active");
  const daemon = await buildDaemon(resolveConfig({ home, port: 0 }, { ETERNEGO_QUIET: "1" }));
  await daemon.start();
  let bareServer: http.Server | null = null;
  try {
    const daemonUrl = `${daemon.url}/api/personas`;
    const first = await get(daemonUrl, false);
    if (first.status !== 200) throw new Error(`daemon answered ${first.status}`);
    const payload = JSON.parse(first.body) as { personas: { running: boolean }[] };
    if (payload.personas.length !== PERSONAS || !payload.personas.every((p) => p.running)) {
      throw new Error(`expected ${PERSONAS} running personas, got ${payload.personas.filter((p) => p.running).length}/${payload.personas.length}`);
    }

    // The baseline: express 5, one route, the same object serialised on every request.
    const app = express();
    app.disable("x-powered-by");
    app.get("/api/personas", (_req, res) => void res.json(payload));
    bareServer = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as { port: number }).port}/api/personas`;
    const bareFirst = await get(bareUrl, false);
    if (bareFirst.body !== first.body) throw new Error("the baseline does not answer the same JSON as the daemon");
    const bytes = first.body.length;

    await load(daemonUrl, WARMUP, CONCURRENCY, DEADLINE_MS, bytes);
    await load(bareUrl, WARMUP, CONCURRENCY, DEADLINE_MS, bytes);
    // Alternate the two, keep each side's best round: noise only ever slows a round down.
    let bestDaemon: LoadResult | null = null;
    let bestBare: LoadResult | null = null;
    for (let i = 0; i < ROUNDS; i++) {
      const d = await load(daemonUrl, REQUESTS, CONCURRENCY, DEADLINE_MS, bytes);
      const b = await load(bareUrl, REQUESTS, CONCURRENCY, DEADLINE_MS, bytes);
      if (!bestDaemon || d.rps > bestDaemon.rps) bestDaemon = d;
      if (!bestBare || b.rps > bestBare.rps) bestBare = b;
    }
    return { personas: PERSONAS, bodyBytes: bytes, daemon: bestDaemon!, bare: bestBare!, slowdown: bestBare!.rps / bestDaemon!.rps };
  } finally {
    if (bareServer) {
      bareServer.closeAllConnections();
      await new Promise<void>((r) => bareServer!.close(() => r()));
    }
    await daemon.stop();
  }
}
