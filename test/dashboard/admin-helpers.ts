import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import type { Test } from "tap";
import { SHOTS, openBrowser, type Browser } from "../helpers/browser.js";
import { ROOT } from "../helpers/child-daemon.js";
import { until } from "../mind/helpers.js";

const DIST = path.join(ROOT, "dashboard", "dist");

/** Whether the built dashboard is whole: its page, and the bundle the page names (another build empties dist/ while it runs). */
function built(): boolean {
  try {
    const entry = /src="\/(app-[^"]+\.js)"/.exec(fs.readFileSync(path.join(DIST, "index.html"), "utf8"))?.[1];
    return !!entry && fs.existsSync(path.join(DIST, entry));
  } catch {
    return false;
  }
}

/** How long a step the person takes may take to show before the test fails. */
export const STEP_MS = 15_000;

/** The three ways the screens are looked at: light, dark, and a phone (390×844, light). */
export const LOOKS = [
  { name: "light", dark: false },
  { name: "dark", dark: true },
  { name: "phone", dark: false, width: 390, height: 844 },
] as const;

export type Look = (typeof LOOKS)[number];

/** A browser for one look, opened on a place of the dashboard (`#/…`). */
export async function openAt(t: Test, url: string, hash: string, look: Look = LOOKS[0]): Promise<Browser> {
  const b = await openBrowser(t, url, { dark: look.dark, ...("width" in look ? { width: look.width, height: look.height } : {}) });
  b.page.setDefaultTimeout(STEP_MS);
  await until(built, STEP_MS, "a whole build in dashboard/dist (run npm run build:dashboard)");
  const res = await b.page.goto(`${url}/${hash}`);
  if (res?.status() !== 200) throw new Error(`the dashboard answered ${res?.status()}: is dashboard/dist built?`);
  return b;
}

/**
 * A screen state, looked at: a screenshot (of the whole page, or with `window` of what is in
 * view — for a modal dialog), then axe (no serious or critical violation), and nothing thrown
 * or fetched from elsewhere.
 */
export async function look(t: Test, b: Browser, name: string, opts: { window?: boolean } = {}): Promise<void> {
  // Fonts and layout settle before the picture (bounded: fonts are local).
  await b.page.evaluate("document.fonts.ready.then(() => true)");
  if (opts.window) {
    const dark = await b.page.evaluate<boolean>("matchMedia('(prefers-color-scheme: dark)').matches");
    const phone = (b.page.viewportSize()?.width ?? 1280) < 600;
    await b.page.screenshot({ path: path.join(SHOTS, `${name}-${dark ? "dark" : "light"}${phone ? "-phone" : ""}.png`) });
  } else await b.shot(name);
  t.same(await b.axe(), [], `${name}: no serious or critical accessibility violation`);
  t.same(b.errors, [], `${name}: the page threw nothing`);
  t.same(b.foreign, [], `${name}: the page asked no other host`);
}

/** Waits (bounded) until the page shows `text`. */
export async function sees(page: Page, text: string | RegExp, ms = STEP_MS): Promise<void> {
  await page.getByText(text).first().waitFor({ state: "visible", timeout: ms });
}
