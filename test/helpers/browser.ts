import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { Test } from "tap";
import { ROOT } from "./child-daemon.js";

// Real Chromium (Debian's, installed by .ci/run) driving the dashboard as a person would.

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROME_PATH ?? "/usr/bin/chromium";
/** Where the tests write their screenshots (not committed): look at them. */
export const SHOTS = path.join(ROOT, "test-output", "screens");

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to any host but the daemon (there must be none). */
  foreign: string[];
  /** Errors the page threw or logged. */
  errors: string[];
  /** A screenshot of the whole page as `<name>-<theme>.png` under test-output/screens. */
  shot(name: string): Promise<string>;
  /** axe-core over the page: the serious and critical violations, described. */
  axe(): Promise<string[]>;
}

/**
 * Chromium on a fresh profile, pointed at nothing yet. `dark` sets the system's colour scheme
 * (the dashboard's "system" theme follows it). A page that asks for any host but `origin` is
 * refused and the request recorded.
 */
export async function openBrowser(t: Pick<Test, "teardown">, origin: string, opts: { dark?: boolean; width?: number; height?: number } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROME_PATH.`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
    colorScheme: opts.dark ? "dark" : "light",
    reducedMotion: "reduce",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  });
  t.teardown(async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  const foreign: string[] = [];
  const errors: string[] = [];
  const own = new URL(origin);
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === "data:" || u.protocol === "blob:" || u.host === own.host) return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && errors.push(`console: ${m.text()}`));
  fs.mkdirSync(SHOTS, { recursive: true });
  const theme = opts.dark ? "dark" : "light";
  return {
    context,
    page,
    foreign,
    errors,
    async shot(name) {
      const file = path.join(SHOTS, `${name}-${theme}${opts.width && opts.width < 600 ? "-phone" : ""}.png`);
      // From the top, so the sticky header sits where a person sees it.
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async axe() {
      // Evaluated over the DevTools protocol: the page's own CSP (no inline script) stays as it is.
      await page.evaluate(fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
      // A string, run in the page: these tests compile for Node, without the DOM's types.
      const found = await page.evaluate<string[]>(`(async () => {
        const r = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] });
        return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => v.impact + " " + v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target) + " " + (n.failureSummary || "")).join(" | "));
      })()`);
      return found;
    },
  };
}
