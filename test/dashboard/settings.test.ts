import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { decide, lastWords, living, until, watch, within } from "../mind/helpers.js";
import { LOOKS, STEP_MS, look, openAt, sees } from "./admin-helpers.js";

const KEY = "sk-kept-across-changes";

t.test("organs and status: rename, change a model keeping the key, add and remove vision, rest and start, delete", async (t) => {
  const { d, ollama, id } = await living(t, { organs: { thinking: { provider: "ollama", model: "llama3.2", api_key: KEY } } });
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  const her = async () => (await d.api("GET", `/api/persona/${id}`)).body.persona;
  const b = await openAt(t, d.url, `#/persona/${id}/settings`);
  const { page } = b;
  const thinking = page.getByRole("group", { name: "Thinking" });
  const vision = page.getByRole("group", { name: "Vision" });
  await thinking.getByLabel("Model").waitFor();
  t.equal(await thinking.getByLabel("Model").inputValue(), "llama3.2", "her thinking organ is shown as she has it");
  t.match(await thinking.getByLabel(/API key/).getAttribute("placeholder"), /key is kept/, "the key field says a key is kept");
  t.ok(await page.getByRole("button", { name: "Save organs" }).isDisabled(), "nothing to save before anything changed");
  await look(t, b, "settings");

  // Rename.
  await page.getByLabel("Her name").fill("Ada Lovelace");
  await page.getByRole("button", { name: "Rename her" }).click();
  await sees(page, "Renamed: she is Ada Lovelace now.");
  t.equal((await her()).name, "Ada Lovelace");
  await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor();

  // Another thinking model, the key field left empty: the stored key is kept and used.
  await thinking.getByLabel("Model").fill("frontier-70b");
  const asked = ollama.requests.length;
  await page.getByRole("button", { name: "Save organs" }).click();
  await sees(page, /Saved — thinking: frontier-70b \(ollama\)\. She restarted with her new organs\./);
  const changed = await her();
  t.match(changed.organs.thinking, { provider: "ollama", model: "frontier-70b", has_key: true }, "the model changed and the key was kept");
  t.match(changed, { running: true, status: "active" });
  const prepared = ollama.requests.slice(asked);
  t.ok(prepared.length > 0, "the new model was prepared");
  t.ok(prepared.every((r) => r.headers.authorization === `Bearer ${KEY}`), "with the key she had");

  // A vision organ refused: the daemon's reason on the vision organ; then one that is there.
  await vision.getByLabel("Give her a vision organ").check();
  await vision.getByLabel("URL").fill(ollama.url);
  await vision.getByLabel("Model").fill("no-such-eyes");
  await page.getByRole("button", { name: "Save organs" }).click();
  const refusal = vision.getByRole("alert");
  await refusal.waitFor();
  t.match(await refusal.textContent(), /Organ 'vision'.*no-such-eyes/, "the refusal is shown on the organ it names");
  t.notOk((await her()).organs.vision, "nothing was kept");
  await look(t, b, "settings-organ-refused");
  await vision.getByLabel("Model").fill("llava");
  await page.getByRole("button", { name: "Save organs" }).click();
  await sees(page, /Saved — vision: llava \(ollama\)/);
  t.match((await her()).organs.vision, { provider: "ollama", model: "llava" });
  t.equal(await vision.getByRole("alert").count(), 0, "the refusal is gone once it is put right");

  await vision.getByLabel("Give her a vision organ").uncheck();
  await page.getByRole("button", { name: "Save organs" }).click();
  await sees(page, /Saved — vision removed/);
  t.notOk((await her()).organs.vision, "the vision organ is removed");
  t.match((await her()).organs.thinking, { model: "frontier-70b", has_key: true }, "the other organs are as they were");

  // Rest, then start.
  await page.getByRole("button", { name: "Let her rest" }).click();
  await page.getByRole("button", { name: "Start her", exact: true }).waitFor();
  t.match(await her(), { status: "hibernate", running: false });
  await sees(page, /She is resting/);
  await look(t, b, "settings-resting");
  await page.getByRole("button", { name: "Start her", exact: true }).click();
  await page.getByRole("button", { name: "Let her rest" }).waitFor();
  t.match(await her(), { status: "active", running: true });

  // Restart.
  await page.getByRole("button", { name: "Restart", exact: true }).click();
  await page.getByRole("button", { name: "Restarting…" }).waitFor({ state: "detached" });
  t.match(await her(), { status: "active", running: true });

  // Delete: asked in a dialog that names her; the button waits for her name.
  await page.getByRole("button", { name: "Delete Ada Lovelace…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete Ada Lovelace?" });
  await dialog.waitFor();
  const confirm = dialog.getByRole("button", { name: "Delete Ada Lovelace for good" });
  t.ok(await confirm.isDisabled(), "not before her name is typed");
  await dialog.getByLabel("Type Ada Lovelace to confirm").fill("Ada");
  t.ok(await confirm.isDisabled(), "not with part of her name");
  await dialog.getByLabel("Type Ada Lovelace to confirm").fill("Ada Lovelace");
  t.ok(await confirm.isEnabled());
  await look(t, b, "settings-delete", { window: true });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  t.equal((await d.api("GET", `/api/persona/${id}`)).status, 200, "cancel keeps her");

  await page.getByRole("button", { name: "Delete Ada Lovelace…" }).click();
  await dialog.getByLabel("Type Ada Lovelace to confirm").fill("Ada Lovelace");
  await confirm.click();
  await page.waitForURL((u) => u.hash === "#/", { timeout: STEP_MS });
  await page.getByRole("heading", { name: "No persona yet" }).waitFor();
  t.equal((await d.api("GET", `/api/persona/${id}`)).status, 404, "she is gone");
  t.same(b.errors, []);
  t.same(b.foreign, []);
});

t.test("organs and status in the dark and on a phone", async (t) => {
  const { d, id } = await living(t, { organs: { vision: { provider: "ollama", model: "llava" } } });
  for (const l of LOOKS.slice(1)) {
    const b = await openAt(t, d.url, `#/persona/${id}/settings`, l);
    await b.page.getByRole("group", { name: "Vision" }).getByLabel("Model").waitFor();
    t.equal(await b.page.getByRole("group", { name: "Vision" }).getByLabel("Model").inputValue(), "llava");
    await look(t, b, "settings");
    await b.page.getByRole("button", { name: "Delete Ada…" }).click();
    await b.page.getByRole("dialog", { name: "Delete Ada?" }).waitFor();
    await look(t, b, "settings-delete", { window: true });
  }
});

t.test("sick: the reason is shown, and started again once her organ is back she comes back", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  const socket = await watch(t, d, id);
  let fellSick!: () => void;
  const sick = new Promise<void>((resolve) => (fellSick = resolve));
  socket.on("persona:changed", (e) => e.id === id && e.persona?.status === "sick" && fellSick());
  const port = Number(new URL(ollama.url).port);
  await ollama.close();
  t.equal((await d.api("POST", `/api/persona/${id}/read`, { message: "are you there?" })).status, 202);
  await within(sick, "her falling sick", 20_000);

  // Dark and phone first: the light look then brings her back.
  for (const l of [LOOKS[1], LOOKS[2], LOOKS[0]]) {
    const b = await openAt(t, d.url, `#/persona/${id}/settings`, l);
    const status = b.page.getByRole("region", { name: "Status" });
    await status.getByText("Why she is sick").waitFor();
    t.match(await status.textContent(), /connection refused/, "the reason, in the daemon's words");
    t.match(await status.textContent(), new RegExp(`127\\.0\\.0\\.1:${port}`), "naming where");
    await look(t, b, "settings-sick");
    if (l !== LOOKS[0]) continue;

    const healed = await startFakeOllama({ port, models: ["llama3.2"] });
    t.teardown(() => healed.close());
    healed.brain = (req) => decide(`back: ${lastWords(req)}`);
    await status.getByRole("button", { name: "Start her", exact: true }).click();
    await status.getByRole("button", { name: "Let her rest" }).waitFor();
    await status.getByText("Why she is sick").waitFor({ state: "detached" });
    t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { status: "active", running: true, status_reason: null });
    await until(async () => (await d.api("GET", `/api/persona/${id}/conversation`)).body.messages.some((m: { text: string }) => m.text === "back: are you there?"), STEP_MS, "what waited, answered");
    t.same(b.errors, []);
  }
});
