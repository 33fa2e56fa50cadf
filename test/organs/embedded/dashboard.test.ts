import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import t from "tap";
import { writeTinyGguf } from "../../fixtures/gguf.js";
import { openBrowser } from "../../helpers/browser.js";
import { startDaemon, tempHome } from "../../helpers/daemon.js";

// The create screen with the embedded engine: a file or a link instead of a server, a
// suggested model to fetch, and the download followed live.

const WAIT = { timeout: 15_000 };

t.test("create with Embedded: no URL to give, a suggested model, a download followed live", async (t) => {
  const model = writeTinyGguf({ name: "picked" });
  const bytes = fs.readFileSync(model.path);
  t.teardown(() => fs.rmSync(path.dirname(model.path), { recursive: true, force: true }));
  // A slow server, so the download's progress has time to show.
  const server = http.createServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
    for (let at = 0; at < bytes.length; at += 32 * 1024) {
      res.write(bytes.subarray(at, at + 32 * 1024));
      await new Promise((r) => setTimeout(r, 120));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const link = `http://127.0.0.1:${(server.address() as AddressInfo).port}/picked.gguf`;

  const home = tempHome();
  process.env.ETERNEGO_HOME = home;
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const d = await startDaemon(t, { home });
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/#/new`);
  await page.getByRole("heading", { name: "A new persona" }).waitFor(WAIT);
  const thinking = page.getByRole("group", { name: "Thinking" });
  await thinking.getByLabel("Provider").selectOption({ label: "Embedded (runs inside Eternego)" });

  t.equal(await thinking.getByLabel("URL").count(), 0, "no URL to give: there is no server");
  t.match(await thinking.getByText(/A \.gguf model file on this machine/).innerText(), /hf:<user>\/<repo>\/<file>\.gguf/, "the model field says what it takes");
  const suggested = thinking.getByLabel("Suggested model");
  const presets = (await d.api("GET", "/api/config/providers")).body.embedded.presets as { title: string; url: string }[];
  t.same((await suggested.locator("option").allInnerTexts()).slice(1), presets.map((p) => p.title), "the plugin's suggestions");
  await suggested.selectOption({ label: presets[0]!.title });
  t.equal(await thinking.getByLabel("Model", { exact: true }).inputValue(), presets[0]!.url, "a suggestion is a model to fetch: it fills the model");
  await b.shot("embedded-form");
  t.same(await b.axe(), [], "no serious or critical accessibility violation");

  await thinking.getByLabel("Model", { exact: true }).fill(link);
  t.equal(await suggested.inputValue(), "", "a link of her own: no suggestion picked");
  await page.getByLabel("Name", { exact: true }).fill("Ada");
  await page.getByRole("button", { name: "Create her" }).click();
  await page.getByRole("progressbar", { name: "Model download" }).waitFor(WAIT);
  t.match(await page.getByRole("status").filter({ hasText: /picked-/ }).innerText(), /(downloading|verified) picked-[0-9a-f]{8}\.gguf — \d+ KB of \d+ KB/, "the download's progress, in words and as a bar");
  await b.shot("embedded-downloading");
  await page.getByRole("heading", { name: /recovery phrase/ }).waitFor({ timeout: 30_000 });
  const created = (await d.api("GET", "/api/personas")).body.personas.at(-1);
  t.match(created.organs.thinking, { provider: "embedded", model: link, url: "http://in-process.invalid" }, "she was made with the link, and no URL of the form's");
  t.same(b.errors, []);
  t.same(b.foreign, []);
});
