import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, tempHome } from "../helpers/daemon.js";
import { LOOKS, look, openAt } from "./admin-helpers.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/plugins-host");

interface PluginInfo {
  kind: string | null;
  name: string;
  state: "loaded" | "failed";
  error: string | null;
}

/** A home whose plugins folder holds a plugin that throws, one without a version, a good one, one claiming its extension too, and a second 'ollama'. */
function homeWithPlugins(): string {
  const home = tempHome("eternego-dash-plugins-");
  fs.cpSync(path.join(FIXTURES, "home"), path.join(home, "plugins"), { recursive: true });
  return home;
}

t.test("plugins: every plugin with its state, a failed one's reason prominent, what each declares, and what she can take in", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2", "llava"] });
  t.teardown(() => ollama.close());
  const home = homeWithPlugins();
  const d = await startDaemon(t, { home });
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201);
  const id = created.body.persona.id;
  const plugins: PluginInfo[] = (await d.api("GET", "/api/plugins")).body.plugins;
  const failed = plugins.filter((p) => p.state === "failed");
  t.ok(failed.length >= 3, "the fixtures make plugins fail");

  const b = await openAt(t, d.url, "#/plugins");
  const { page } = b;
  await page.getByRole("heading", { name: "Plugins and capabilities", level: 1 }).waitFor();
  const broken = page.getByRole("region", { name: `${failed.length} plugins failed to load` });
  await broken.waitFor();
  await page.getByText(`${plugins.length} plugins: ${plugins.length - failed.length} loaded, ${failed.length} failed.`).waitFor();
  for (const p of failed) {
    const card = broken.getByRole("article", { name: p.name, exact: true });
    t.match(await card.textContent(), p.error!, `${p.name}: why it failed, in the daemon's words`);
    t.match(await card.textContent(), /Failed/);
  }
  t.match(await broken.getByRole("article", { name: "a-throws" }).textContent(), /a-throws exploded on import/);
  t.match(await broken.getByRole("article", { name: "notes-clash" }).textContent(), /both claim '\.mdn'/);

  // What the loaded ones declare.
  const models = page.getByRole("region", { name: "Models" });
  const builtinOllama = models.getByRole("article", { name: "ollama", exact: true });
  t.match(await builtinOllama.textContent(), /Loaded/);
  t.match(await builtinOllama.textContent(), /Default URL\s*http:\/\/localhost:11434/);
  t.match(await builtinOllama.textContent(), /Organs\s*Thinking, Vision/);
  t.match(await builtinOllama.textContent(), /Built in/);
  const notes = page.getByRole("region", { name: "Perceptions" }).getByRole("article", { name: "notes", exact: true });
  t.match(await notes.textContent(), /\.mdn/);
  t.match(await notes.textContent(), /Needs\s*No organ/);
  t.match(await notes.textContent(), /Largest file\s*4\.0 KB/);
  t.match(await notes.textContent(), /Added/);

  // Her capabilities: the persona chosen is the first one; which she can take in, and for the rest which organ.
  const caps = (await d.api("GET", `/api/persona/${id}/capabilities`)).body.capabilities as { extension: string; organ: string | null; available: boolean }[];
  const can = caps.filter((c) => c.available);
  t.ok(can.length > 0 && can.length < caps.length, "she can take in some files and not others");
  t.equal(await page.getByLabel("For a persona").inputValue(), id, "she is chosen");
  await page.getByText(`Ada can take in ${can.length} of ${caps.length} kinds of file with the organs she has.`).waitFor();
  const visionOnly = caps.filter((c) => c.organ === "vision").map((c) => c.extension);
  t.ok(visionOnly.includes(".png"));
  await page.getByText(`For ${visionOnly.join(", ")}: give her a vision organ.`).waitFor();
  const table = page.getByRole("table", { name: /Files that can be taken in, and whether Ada can/ });
  const png = table.getByRole("row").filter({ has: page.getByText(".png", { exact: true }) });
  t.match(await png.textContent(), /A vision organ/);
  const add = png.getByRole("link", { name: "Add a vision organ" });
  t.equal(await add.getAttribute("href"), `#/persona/${id}/settings`, "the way to add it");
  const mdn = table.getByRole("row").filter({ has: page.getByText(".mdn", { exact: true }) });
  t.match(await mdn.textContent(), /She can/);
  await look(t, b, "plugins");

  // Nobody chosen: what the daemon can do, without her column.
  await page.getByLabel("For a persona").selectOption({ label: "Nobody (what the daemon can do)" });
  await page.getByRole("table", { name: "Files that can be taken in" }).waitFor();
  t.equal(await page.getByText(/Ada can take in/).count(), 0);

  // With a vision organ she can take pictures in.
  t.equal((await d.api("POST", `/api/persona/${id}/update`, { organs: { vision: { provider: "ollama", model: "llava", url: ollama.url } } })).status, 200);
  await page.reload();
  await page.getByText(new RegExp(`Ada can take in ${can.length + visionOnly.length} of ${caps.length} kinds`)).waitFor();
  t.equal(await page.getByText(/give her a vision organ/).count(), 0, "nothing is asked of vision any more");

  for (const l of LOOKS.slice(1)) {
    const other = await openAt(t, d.url, "#/plugins", l);
    await other.page.getByRole("region", { name: `${failed.length} plugins failed to load` }).waitFor();
    await other.page.getByText(/Ada can take in/).waitFor();
    await look(t, other, "plugins");
  }
});
