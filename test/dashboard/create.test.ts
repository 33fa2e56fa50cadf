import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { openBrowser } from "../helpers/browser.js";
import { filesOf } from "../helpers/child-daemon.js";
import { startDaemon } from "../helpers/daemon.js";

// Creating a persona in the browser: the providers the daemon has, the daemon's refusal on
// the field it concerns, a model pull followed live, and the recovery phrase that must be kept.

const WAIT = { timeout: 10_000 };

t.test("create: providers from the daemon, a refusal on its organ, a pull followed live, then the phrase, kept before going on", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"], pullable: ["qwen3:8b"], pullDelayMs: 60 });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  for (const dark of [false, true]) {
    const b = await openBrowser(t, d.url, { dark });
    const page = b.page;
    await b.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: d.url });
    await page.goto(`${d.url}/#/new`);
    await page.getByRole("heading", { name: "A new persona" }).waitFor(WAIT);
    const thinking = page.getByRole("group", { name: "Thinking" });
    const providers = await thinking.getByLabel("Provider").locator("option").allInnerTexts();
    const thinkers = Object.values<{ title: string; roles: string[] }>((await d.api("GET", "/api/config/providers")).body).filter((p) => p.roles.includes("thinking")).map((p) => p.title);
    t.same(providers.sort(), thinkers.sort(), `every model plugin that can think, by its title: ${providers.join(", ")}`);
    t.equal(await page.getByRole("button", { name: "Create her" }).isDisabled(), true, "nothing to create before a name and a model");
    await b.shot("create-form");
    t.same(await b.axe(), [], "no serious or critical accessibility violation on the form");

    await page.getByLabel("Name", { exact: true }).fill(dark ? "Bea" : "Ada");
    await thinking.getByLabel("Model").fill("no-such-model");
    await thinking.getByLabel("URL").fill(ollama.url);
    await page.getByRole("button", { name: "Create her" }).click();
    const refusal = thinking.getByRole("alert");
    await refusal.waitFor(WAIT);
    t.match(await refusal.innerText(), /Organ 'thinking' \(ollama, no-such-model\).*ollama pull no-such-model/s, "the daemon's 400 is shown on the organ it concerns");
    t.equal(await thinking.getAttribute("aria-invalid"), "true", "and marks it");
    await b.shot("create-refused");
    t.same(await b.axe(), []);

    // An optional organ, switched on, with a model the daemon has to pull: its progress shows.
    const frontier = page.getByRole("group", { name: "Frontier" });
    await frontier.getByLabel("Give her a frontier organ").check();
    await frontier.getByLabel("Model").fill("qwen3:8b");
    await frontier.getByLabel("URL").fill(ollama.url);
    await thinking.getByLabel("Model").fill("llama3.2");
    await page.getByRole("button", { name: "Create her" }).click();
    if (!dark) {
      await page.getByRole("progressbar", { name: "Model download" }).waitFor(WAIT);
      t.match(await page.getByRole("status").filter({ hasText: /qwen3:8b: pulling/ }).innerText(), /of 1\.9 GB/, "the pull's progress, in words and as a bar");
      await b.shot("create-pulling");
    }
    await page.getByRole("heading", { name: /recovery phrase/ }).waitFor({ timeout: 20_000 });
    const words = await page.getByRole("list", { name: "The 24 words, in order" }).getByRole("listitem").allInnerTexts();
    t.equal(words.length, 24, "24 words");
    t.ok(words.every((w, i) => new RegExp(`^${i + 1}\\.\\s*[a-z]+$`).test(w.trim())), `numbered in order: ${words.slice(0, 3).join(", ")}…`);
    t.ok(await page.getByText("This is the only time these words are shown.").isVisible(), "it says plainly the phrase is shown once");
    t.ok(await page.getByText(/They are not stored anywhere/).isVisible(), "…and that it is kept nowhere");
    const phrase = words.map((w) => w.replace(/^\d+\.\s*/, "").trim()).join(" ");
    await page.getByRole("button", { name: "Copy the words" }).click();
    t.equal(await page.evaluate<string>("navigator.clipboard.readText()"), phrase, "copy puts the 24 words on the clipboard");
    t.ok(await page.getByRole("button", { name: "Print" }).isVisible(), "and it can be printed");
    const go = page.getByRole("button", { name: /Continue to/ });
    t.equal(await go.isDisabled(), true, "no going on before the person says the words are kept");
    await b.shot("create-phrase");
    t.same(await b.axe(), [], "the phrase screen passes axe");
    await page.getByLabel(/I have written down or printed these 24 words/).check();
    await go.click();
    await page.getByRole("textbox", { name: /Message to/ }).waitFor(WAIT);
    t.match(page.url(), /#\/persona\/[0-9a-f-]{36}\/chat$/, "then her chat");

    const created = (await d.api("GET", "/api/personas")).body.personas.at(-1);
    t.match(created.organs, { thinking: { model: "llama3.2" }, frontier: { model: "qwen3:8b" } }, "she was created with what the form said");
    for (const [file, text] of filesOf(path.join(d.home, "personas"))) t.notOk(text.includes(phrase), `${path.basename(file)} does not hold the phrase`);
    t.same(b.errors, []);
    t.same(b.foreign, []);
  }
});

t.test("create at phone width", async (t) => {
  const d = await startDaemon(t);
  const b = await openBrowser(t, d.url, { width: 390, height: 844 });
  await b.page.goto(`${d.url}/#/new`);
  await b.page.getByRole("heading", { name: "A new persona" }).waitFor(WAIT);
  await b.shot("create-form");
  t.same(await b.axe(), []);
  const overflow = await b.page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
  t.equal(overflow, 0, "nothing sticks out sideways");
});
