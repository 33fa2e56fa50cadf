// The dashboard as a browser meets it: the bytes the page loads (gzipped), and the time from
// navigation to the persona list drawn with 100 personas and to a chat of 1,000 messages drawn
// and scrollable, in Debian's Chromium. Baselines in the same run: the libraries bundled alone
// (for size) and a plain page that fetches the same JSON and draws plain elements (for time).
import "reflect-metadata";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { chromium } from "playwright-core";
import { rollup } from "rollup";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import { createRequire } from "node:module";
import { buildDaemon } from "../core/bootstrap.js";
import { resolveConfig } from "../core/config.js";
import { median, ROOT, seedHome, tempHome } from "./lib.js";

// @rollup/plugin-terser is CJS with an `export default` typing: createRequire keeps it callable under NodeNext.
const terser: typeof import("@rollup/plugin-terser").default = createRequire(import.meta.url)("@rollup/plugin-terser");

const gz = (b: Buffer | string) => zlib.gzipSync(b, { level: 9 }).length;

export interface SizeResult {
  files: { name: string; bytes: number; gz: number }[];
  totalGz: number;
  depsGz: number;
  /** The screens fetched only when first opened (knowledge, calendar, settings…), gzipped together. */
  laterGz: number;
}

/** Every file index.html makes the browser load, gzipped; and the bundled libraries alone. */
export async function dashboardSize(): Promise<SizeResult> {
  const dir = path.join(ROOT, "dashboard", "dist");
  const html = fs.readFileSync(path.join(dir, "index.html"), "utf8");
  const loaded = ["index.html", ...[...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="\/([^"]+)"/g)].map((m) => m[1]!)];
  const files = loaded.map((name) => {
    const b = fs.readFileSync(path.join(dir, name));
    return { name, bytes: b.length, gz: gz(b) };
  });
  const deps = await rollup({
    input: "entry",
    plugins: [
      { name: "entry", resolveId: (id) => (id === "entry" ? id : null), load: (id) => (id === "entry" ? 'export * from "lit"; export * from "socket.io-client"; export * from "marked"; export { default as DOMPurify } from "dompurify";' : null) },
      nodeResolve({ browser: true, rootDir: ROOT }),
      terser({ format: { comments: false } }),
    ],
    onwarn: () => {},
  });
  const out = await deps.generate({ format: "es" });
  const depsGz = out.output.reduce((n, o) => n + (o.type === "chunk" ? gz(o.code) : 0), 0);
  const later = fs.readdirSync(dir).filter((f) => f.endsWith(".js") && !loaded.includes(f));
  const laterGz = later.reduce((n, f) => n + gz(fs.readFileSync(path.join(dir, f))), 0);
  return { files, totalGz: files.reduce((n, f) => n + f.gz, 0), depsGz, laterGz };
}

export interface TimingResult {
  listMs: number[];
  listPlainMs: number[];
  chatMs: number[];
  chatPlainMs: number[];
}

/** A plain page: fetch the JSON the dashboard fetches, draw one element per item with DOM calls. */
function plainServer(personas: string, conversation: string): Promise<{ url: string; close(): Promise<void> }> {
  const page = (what: "list" | "chat") => `<!doctype html><meta charset="utf-8"><body><div id="out" style="height:600px;overflow:auto"></div><script type="module">
    const r = await fetch("/${what}.json"); const j = await r.json();
    const out = document.getElementById("out");
    for (const x of ${what === "list" ? "j.personas" : "j.messages"}) { const e = document.createElement("div"); e.textContent = ${what === "list" ? "x.name + ' ' + x.status" : "x.text"}; out.append(e); }
    window.__drawn = performance.now();
  </script>`;
  const server = http.createServer((req, res) => {
    const body = req.url === "/list.json" ? personas : req.url === "/chat.json" ? conversation : page(req.url === "/chat" ? "chat" : "list");
    res.writeHead(200, { "content-type": req.url!.endsWith(".json") ? "application/json" : "text/html" });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(() => r())) })));
}

/** Navigation to drawn, in the page's own clock (ms since navigation start), best kept over `runs`. */
export async function dashboardTiming(runs = 5): Promise<TimingResult> {
  const home = tempHome();
  const ids = await seedHome(home, 100, "hibernate");
  const chatId = ids[0]!;
  const base = Date.now() - 2000 * 1000;
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ id: `m${i}`, time: new Date(base + i * 1000).toISOString(), from: i % 2 ? "persona" : "person", channel: "web", text: i % 2 ? `Her answer number ${i}, with **bold**, \`code\` and a [link](https://example.org).` : `Message number ${i}` }),
  );
  fs.writeFileSync(path.join(home, "personas", chatId, "home", "conversation.jsonl"), lines.join("\n") + "\n");
  const daemon = await buildDaemon(resolveConfig({ home, port: 0 }, { ETERNEGO_QUIET: "1" }));
  await daemon.start();
  const personas = await (await fetch(`${daemon.url}/api/personas`)).text();
  const conversation = await (await fetch(`${daemon.url}/api/persona/${chatId}/conversation`)).text();
  const plain = await plainServer(personas, conversation);
  const profile = fs.mkdtempSync(path.join(home, "chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const result: TimingResult = { listMs: [], listPlainMs: [], chatMs: [], chatPlainMs: [] };
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    // Predicates are functions, serialised by Playwright and run over the DevTools protocol (a
    // string would be eval'd in the page, which the dashboard's CSP refuses). Each returns the
    // page's clock once what it waits for is drawn, else 0.
    type Check = () => number;
    const drawn = async (url: string, check: Check) => {
      await page.goto("about:blank");
      await page.goto(url, { waitUntil: "commit" });
      const h = await page.waitForFunction(check, undefined, { polling: "raf", timeout: 30_000 });
      return (await h.jsonValue()) as number;
    };
    const list: Check = () => {
      const g = globalThis as any;
      const app = g.document.querySelector("et-app")?.shadowRoot;
      return app?.querySelector("et-persona-list")?.shadowRoot?.querySelectorAll("li").length === 100 ? g.performance.now() : 0;
    };
    const chat: Check = () => {
      const g = globalThis as any;
      const c = g.document.querySelector("et-app")?.shadowRoot?.querySelector("et-persona-page")?.shadowRoot?.querySelector("et-chat")?.shadowRoot;
      const log = c?.querySelector(".log");
      // The newest messages drawn (the first page of the 1,000; older ones come as she scrolls up), the view at the end.
      return log && c.querySelectorAll("et-message").length > 0 && /Her answer number 999,/.test(c.querySelector("et-message:last-of-type")?.shadowRoot?.textContent ?? "") && log.scrollHeight > log.clientHeight && log.scrollTop > 0 ? g.performance.now() : 0;
    };
    const plainDrawn: Check = () => (globalThis as any).__drawn ?? 0;
    for (let i = 0; i < runs; i++) {
      result.listMs.push(await drawn(`${daemon.url}/#/`, list));
      result.listPlainMs.push(await drawn(`${plain.url}/list`, plainDrawn));
      result.chatMs.push(await drawn(`${daemon.url}/#/persona/${chatId}/chat`, chat));
      result.chatPlainMs.push(await drawn(`${plain.url}/chat`, plainDrawn));
    }
  } finally {
    await ctx.close();
    await plain.close();
    await daemon.stop();
  }
  return result;
}

export const best = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs) });
