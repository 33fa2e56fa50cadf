import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import express from "express";
import t from "tap";
import { dashboard } from "../../../core/http/dashboard.js";

// The dashboard's files as the daemon serves them, from a dist folder made here: built or not.

async function serve(t: Tap, dir: string): Promise<string> {
  const app = express().use(dashboard(dir));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
type Tap = { teardown(fn: () => unknown): void };

t.test("not built: a 503 page that says how to build it, with the CSP", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-dist-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = await serve(t, dir);
  const res = await fetch(`${url}/`);
  t.equal(res.status, 503);
  t.match(await res.text(), /The dashboard is not built.*npm run build/s);
  t.match(res.headers.get("content-security-policy"), /default-src 'self'/);
  t.equal((await fetch(`${url}/app-missing0.js`)).status, 404, "a bundle that is not there is a 404, not the page");
});

t.test("built: the page never cached, hashed files for a year, other files revalidated", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-dist-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>x</title>");
  fs.writeFileSync(path.join(dir, "app-AbCdEf12.js"), "export {};");
  fs.writeFileSync(path.join(dir, "theme.js"), "// theme");
  const url = await serve(t, dir);
  const page = await fetch(`${url}/index.html`);
  t.equal(page.status, 200);
  t.equal(page.headers.get("cache-control"), "no-cache");
  t.equal((await fetch(`${url}/app-AbCdEf12.js`)).headers.get("cache-control"), "public, max-age=31536000, immutable");
  t.equal((await fetch(`${url}/theme.js`)).headers.get("cache-control"), "no-cache");
});
