import http from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import { bodyFault, organRequest, retryAfterMs, OrganFault } from "../../../core/api/index.js";

const target = (url: string) => ({ role: "thinking" as const, provider: "fake", model: "m", url });

/** A server answering from a script of statuses; records when each request arrived. */
async function scripted(t: { teardown(fn: () => unknown): void }, script: { status: number; headers?: Record<string, string>; body?: string }[]) {
  const times: number[] = [];
  const server = http.createServer((req, res) => {
    times.push(Date.now());
    const step = script[Math.min(times.length - 1, script.length - 1)]!;
    res.writeHead(step.status, { "content-type": "application/json", ...step.headers });
    res.end(step.body ?? "{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, times };
}

t.test("retryAfterMs reads seconds and dates", async (t) => {
  t.equal(retryAfterMs("2"), 2000);
  t.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  t.equal(retryAfterMs(null), null);
  t.equal(retryAfterMs("soon"), null);
});

t.test("429 is retried after Retry-After, then succeeds", async (t) => {
  const s = await scripted(t, [{ status: 429, headers: { "retry-after": "1" } }, { status: 200, body: '{"ok":true}' }]);
  const res = await organRequest(target(s.url), s.url, { method: "GET" }, { backoffMs: 10 });
  t.same(await res.json(), { ok: true });
  t.equal(s.times.length, 2);
  t.ok(s.times[1]! - s.times[0]! >= 950, `waited ${s.times[1]! - s.times[0]!} ms, as Retry-After asked`);
});

t.test("5xx is retried a bounded number of times, then a server fault", async (t) => {
  const s = await scripted(t, [{ status: 503, body: '{"error":{"message":"overloaded"}}' }]);
  const err = await organRequest(target(s.url), s.url, { method: "GET" }, { attempts: 3, backoffMs: 5 }).catch((e) => e);
  t.ok(err instanceof OrganFault);
  t.equal(err.kind, "server");
  t.equal(err.httpStatus, 503);
  t.equal(err.transient, true);
  t.match(err.message, /503 .*overloaded/);
  t.equal(s.times.length, 3, "three attempts in all");
});

t.test("401 is not retried and never shows the key", async (t) => {
  const key = "sk-secret-key-123456";
  const s = await scripted(t, [{ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }) }]);
  const err = await organRequest(target(s.url), s.url, { method: "GET" }, { secrets: [key] }).catch((e) => e);
  t.equal(err.kind, "auth");
  t.equal(err.transient, false);
  t.match(err.message, /the key was refused/);
  t.notMatch(err.message, key);
  t.equal(s.times.length, 1);
});

t.test("404 carries the plugin's hint; other 4xx are rejected as they are", async (t) => {
  const s = await scripted(t, [{ status: 404 }]);
  const err = await organRequest(target(s.url), s.url, { method: "GET" }, { notFound: "run `ollama pull m`" }).catch((e) => e);
  t.equal(err.kind, "model");
  t.match(err.message, /run `ollama pull m`/);
  const s2 = await scripted(t, [{ status: 400, body: '{"error":"bad field"}' }]);
  const err2 = await organRequest(target(s2.url), s2.url, { method: "GET" }).catch((e) => e);
  t.equal(err2.kind, "rejected");
  t.match(err2.message, /bad field/);
});

t.test("network faults: refused, timeout, DNS", async (t) => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await organRequest(target(url), url, { method: "GET" }, { attempts: 2, backoffMs: 5 }).catch((e) => e);
  t.equal(refused.kind, "unreachable");
  t.match(refused.message, /connection refused/);

  const hanging = http.createServer(() => {});
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  t.teardown(() => {
    hanging.closeAllConnections();
    hanging.close();
  });
  const hurl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  const started = Date.now();
  const timeout = await organRequest(target(hurl), hurl, { method: "GET" }, { timeoutMs: 200, attempts: 1 }).catch((e) => e);
  t.equal(timeout.kind, "timeout");
  t.ok(Date.now() - started < 2000, "gave up at the timeout");

  const dns = await organRequest(target("http://nonexistent.invalid"), "http://nonexistent.invalid/", { method: "GET" }, { attempts: 3, backoffMs: 5 }).catch((e) => e);
  t.equal(dns.kind, "dns");
});

t.test("bodyFault: errors while reading an answer become timeout or dropped-connection faults; the rest pass through", async (t) => {
  const tg = target("http://127.0.0.1:9");
  const terminated = Object.assign(new TypeError("terminated"), { cause: { code: "ECONNRESET" } });
  const dropped = bodyFault(terminated, tg, { timeout: "too slow", dropped: "did it crash?" }) as OrganFault;
  t.ok(dropped instanceof OrganFault);
  t.equal(dropped.kind, "unreachable");
  t.match(dropped.message, /the connection dropped before the answer was complete \(ECONNRESET\) — did it crash\?$/);
  t.match((bodyFault(terminated, tg, { timeout: "too slow" }) as OrganFault).message, /complete \(ECONNRESET\)\.$/, "without a hint, a full stop");
  const silent = bodyFault(new Error("aborted"), tg, { timedOut: true, timeout: "the stream went silent for 2 s" }) as OrganFault;
  t.match(silent, { kind: "timeout" });
  t.match(silent.message, /the stream went silent for 2 s$/);
  t.match(bodyFault(new DOMException("x", "TimeoutError"), tg, { timeout: "late" }), { kind: "timeout" });
  const mine = new AbortController();
  mine.abort();
  t.equal(bodyFault(terminated, tg, { signal: mine.signal, timeout: "late" }), terminated, "the caller's own abort passes through");
  const bug = new RangeError("a bug");
  t.equal(bodyFault(bug, tg, { timeout: "late" }), bug, "anything else passes through");
});
