import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { openBrowser } from "../helpers/browser.js";
import { startDaemon } from "../helpers/daemon.js";

// The personas screen and the shell around it, in Chromium, against the real daemon.

const WAIT = { timeout: 10_000 };

t.test("the empty state says what to do first, in both themes and at phone width", async (t) => {
  const d = await startDaemon(t);
  for (const opts of [{ dark: false }, { dark: true }, { dark: false, width: 390, height: 844 }]) {
    const b = await openBrowser(t, d.url, opts);
    await b.page.goto(`${d.url}/`);
    await b.page.getByRole("heading", { name: "No persona yet" }).waitFor(WAIT);
    t.ok(await b.page.getByText(/a model for her to think with/).isVisible(), "it says what she needs");
    t.ok(await b.page.getByRole("link", { name: "Create your first persona" }).isVisible());
    await b.shot("personas-empty");
    t.same(await b.axe(), [], "no serious or critical accessibility violation");
    t.same(b.errors, []);
    t.same(b.foreign, [], "no request to any host but the daemon");
  }
});

t.test("the list shows each persona's status and state, start / stop / restart work, and it follows changes made elsewhere", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const organs = { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } };
  const ada = (await d.api("POST", "/api/persona/create", { name: "Ada", organs })).body.persona.id;
  const bo = (await d.api("POST", "/api/persona/create", { name: "Bo", organs })).body.persona.id;
  await d.api("POST", `/api/persona/${bo}/stop`);

  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/`);
  const main = page.getByRole("main");
  await main.getByRole("heading", { name: "Your personas" }).waitFor(WAIT);
  const card = (name: string) => main.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await card("Ada").getByText("Awake").waitFor(WAIT);
  await card("Bo").getByText("Resting").waitFor(WAIT);
  t.ok(await card("Ada").getByText("llama3.2 (ollama)").isVisible(), "what she thinks with");
  await b.shot("personas-list");
  t.same(await b.axe(), []);

  await card("Bo").getByRole("button", { name: "Start Bo", exact: true }).click();
  await card("Bo").getByText("Awake").waitFor(WAIT);
  t.equal((await d.api("GET", `/api/persona/${bo}`)).body.persona.running, true, "the button started her");
  await card("Ada").getByRole("button", { name: "Stop Ada", exact: true }).click();
  await card("Ada").getByText("Resting").waitFor(WAIT);
  t.equal((await d.api("GET", `/api/persona/${ada}`)).body.persona.status, "hibernate");
  await card("Bo").getByRole("button", { name: "Restart Bo" }).click();
  await card("Bo").getByText("Awake").waitFor(WAIT);

  // Changes made by a script reach the page through persona:changed.
  await d.api("POST", "/api/persona/create", { name: "Cy", organs });
  await card("Cy").getByText("Awake").waitFor(WAIT);
  t.ok(await page.getByRole("navigation", { name: "Personas" }).getByRole("link", { name: /Cy/ }).isVisible(), "the side list follows too");
  await d.api("POST", `/api/persona/${ada}/delete`);
  await card("Ada").waitFor({ state: "detached", ...WAIT });
  t.pass("a persona deleted elsewhere leaves the list");

  // A refusal is shown on her card in the daemon's words: a hand edit of persona.json gone wrong.
  fs.writeFileSync(path.join(d.home, "personas", bo, "persona.json"), "{ not json");
  await card("Bo").getByRole("button", { name: "Restart Bo" }).click();
  const alert = card("Bo").getByRole("alert");
  await alert.waitFor(WAIT);
  t.match(await alert.innerText(), /persona\.json cannot be read.*Fix the file and try again/s, "the daemon's own words, on her card");
  await card("Bo").getByText("Awake").waitFor(WAIT);
  t.pass("and she is left running as she was");
  await b.shot("personas-refusal");
  t.same(b.errors, []);
  t.same(b.foreign, []);
});

t.test("every screen has a link: reload and back/forward return to it; an unknown place says so", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const id = (await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).body.persona.id;
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/#/persona/${id}/knowledge`);
  await page.getByRole("link", { name: "Knowledge" }).and(page.locator('[aria-current="page"]')).waitFor(WAIT);
  await page.reload();
  await page.getByRole("link", { name: "Knowledge" }).and(page.locator('[aria-current="page"]')).waitFor(WAIT);
  t.pass("a reload opens the same screen");
  await page.getByRole("link", { name: "Chat" }).click();
  await page.getByRole("textbox", { name: "Message to Ada" }).waitFor(WAIT);
  t.match(page.url(), new RegExp(`#/persona/${id}/chat$`));
  await page.goBack();
  // Knowledge opens on its first file (the address says which: #/persona/<id>/knowledge/person).
  await page.waitForURL(new RegExp(`#/persona/${id}/knowledge(/person)?$`), WAIT);
  await page.goForward();
  await page.waitForURL(new RegExp(`#/persona/${id}/chat$`), WAIT);
  t.pass("back and forward move between screens");
  await page.goto(`${d.url}/#/persona/00000000-0000-4000-8000-000000000000/chat`);
  await page.getByRole("heading", { name: "No persona here" }).waitFor(WAIT);
  await page.goto(`${d.url}/#/nowhere`);
  await page.getByRole("heading", { name: "Nothing here" }).waitFor(WAIT);
  t.same(b.errors, []);
});

t.test("the theme: light, dark or the system's, remembered across reloads and followed by other tabs", async (t) => {
  const d = await startDaemon(t);
  const b = await openBrowser(t, d.url, { dark: true });
  const page = b.page;
  await page.goto(`${d.url}/`);
  const picker = page.getByRole("group", { name: "Theme" });
  await picker.waitFor(WAIT);
  const bg = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
  const systemDark = await bg();
  await picker.getByRole("button", { name: "Light" }).click();
  t.equal(await picker.getByRole("button", { name: "Light" }).getAttribute("aria-pressed"), "true");
  const light = await bg();
  t.not(light, systemDark, "light overrides the system's dark");
  await page.reload();
  await picker.waitFor(WAIT);
  t.equal(await bg(), light, "remembered after a reload");
  const other = await b.context.newPage();
  await other.goto(`${d.url}/`);
  await other.getByRole("group", { name: "Theme" }).getByRole("button", { name: "Dark" }).click();
  await page.waitForFunction('document.documentElement.dataset.theme === "dark"', null, WAIT);
  t.pass("a choice in another tab is followed");
  await picker.getByRole("button", { name: "System" }).click();
  t.equal(await bg(), systemDark, "system follows the system again");
});

t.test("the page and its files: the page is never cached, hashed bundles for a year, a CSP, nothing from elsewhere", async (t) => {
  const d = await startDaemon(t);
  const page = await fetch(`${d.url}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get("cache-control"), "no-cache");
  t.match(page.headers.get("content-security-policy"), /default-src 'self'/);
  t.match(page.headers.get("content-security-policy"), /connect-src 'self'/);
  const html = await page.text();
  const bundle = /src="(\/app-[A-Za-z0-9_-]+\.js)"/.exec(html)?.[1];
  t.ok(bundle, "the page names a hashed bundle");
  const js = await fetch(`${d.url}${bundle}`);
  t.equal(js.status, 200);
  t.match(js.headers.get("cache-control"), "max-age=31536000, immutable");
  t.match(js.headers.get("content-type"), /javascript/);
  t.notMatch(html, /https?:\/\//, "the page names no other host (what it asks for in use is checked in the browser tests)");
  const theme = await fetch(`${d.url}/theme.js`);
  t.match(theme.headers.get("cache-control"), "no-cache", "an unhashed file is revalidated");
});
