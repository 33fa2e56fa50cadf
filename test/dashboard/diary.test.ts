import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon } from "../helpers/daemon.js";
import { decide, isDecision, living } from "../mind/helpers.js";
import { look, openAt, sees } from "./admin-helpers.js";

// Her diary in the dashboard: exported from her settings, a new phrase shown once, and
// restored on another daemon from the file and the words, with the daemon's refusals shown.

t.test("export her diary, make her a new phrase, restore her elsewhere (refusals in the daemon's words, then a replace)", async (t) => {
  const { d, ollama, id } = await living(t);
  const b = await openAt(t, d.url, `#/persona/${id}/settings`);
  const { page } = b;
  const card = page.getByRole("region", { name: "Her diary" });
  await card.getByText("Latest").waitFor();
  const diag = (await d.api("GET", `/api/persona/${id}/diagnose`)).body.diary;
  await card.getByText(diag.fingerprint).waitFor();
  t.pass("her diary key's fingerprint is shown, as diagnose has it");
  await look(t, b, "settings-diary");

  const [download] = await Promise.all([page.waitForEvent("download"), card.getByRole("link", { name: "Export her diary" }).click()]);
  t.match(download.suggestedFilename(), /^Ada-\d{4}-\d{2}-\d{2}\.diary$/, "saved under her name and the day");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-dl-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = path.join(dir, download.suggestedFilename());
  await download.saveAs(first);
  t.match(fs.readFileSync(first).subarray(0, 60).toString(), new RegExp(`^eternego-diary 1\\nid ${id}\\n`), "the file is her diary");

  // A new phrase: asked first, shown once, and her key changes.
  await card.getByRole("button", { name: "New recovery phrase" }).click();
  const dialog = page.getByRole("dialog", { name: "A new recovery phrase for Ada?" });
  await page.getByText(/Diaries saved before keep needing the phrase they were written with/).waitFor();
  await look(t, b, "settings-diary-new-phrase", { window: true });
  await dialog.getByRole("button", { name: "Make a new phrase" }).click();
  const words = page.getByRole("list", { name: "The 24 words, in order" });
  await words.waitFor();
  t.equal(await words.getByRole("listitem").count(), 24, "24 words, shown once");
  const phrase = (await words.getByRole("listitem").allTextContents()).map((w) => w.replace(/^\d+\./, "").trim()).join(" ");
  await sees(page, /Diaries saved before today still need the phrase they were written with/);
  await look(t, b, "settings-diary-phrase");
  const done = page.getByRole("button", { name: "Done" });
  t.ok(await done.isDisabled(), "Done waits for the words to be kept");
  await page.getByLabel(/I have written down or printed these 24 words/).check();
  await done.click();
  const renewed = (await d.api("GET", `/api/persona/${id}/diagnose`)).body.diary.fingerprint;
  t.not(renewed, diag.fingerprint, "her key changed");
  await card.getByText(renewed).waitFor();

  const [second] = await Promise.all([page.waitForEvent("download"), card.getByRole("link", { name: "Export her diary" }).click()]);
  const fresh = path.join(dir, "fresh.diary");
  await second.saveAs(fresh);

  // Another daemon, empty: the restore screen from its list.
  const other = await startDaemon(t);
  ollama.brain = (req) => (isDecision(req) ? decide("I am here again.") : undefined);
  const r = await openAt(t, other.url, "#/");
  const p2 = r.page;
  await p2.getByRole("link", { name: "Restore one from her diary" }).click();
  await p2.getByRole("heading", { name: "Restore a persona from her diary" }).waitFor();
  await look(t, r, "restore");
  await p2.getByLabel("Her diary", { exact: true }).setInputFiles(first);
  await p2.getByLabel("Her recovery phrase").fill(phrase);
  await p2.getByRole("button", { name: "Restore her" }).click();
  const refused = p2.getByText("She was not restored.");
  await refused.waitFor();
  await sees(p2, /does not open this diary/);
  t.pass("the new phrase does not open the older diary, in the daemon's words");
  await look(t, r, "restore-refused");
  t.same((await other.api("GET", "/api/personas")).body.personas, [], "and nothing was restored");

  await p2.getByLabel("Her diary", { exact: true }).setInputFiles(fresh);
  await p2.getByRole("button", { name: "Restore her" }).click();
  await p2.getByRole("textbox", { name: "Message to Ada" }).waitFor();
  t.match(p2.url(), new RegExp(`#/persona/${id}/chat$`), "restored, she opens on her chat");
  t.match((await other.api("GET", `/api/persona/${id}`)).body.persona, { id, name: "Ada", state: "running" });

  // Again: she is here, so the page asks before replacing her.
  await p2.goto(`${other.url}/#/restore`);
  await p2.getByLabel("Her diary", { exact: true }).setInputFiles(fresh);
  await p2.getByLabel("Her recovery phrase").fill(phrase.toUpperCase());
  await p2.getByRole("button", { name: "Restore her" }).click();
  await p2.getByText("She is already here.").waitFor();
  await look(t, r, "restore-conflict");
  await p2.getByRole("button", { name: "Replace her with this diary" }).click();
  await p2.getByRole("textbox", { name: "Message to Ada" }).waitFor();
  t.pass("replaced, she opens on her chat again");
  t.same(r.errors, []);
});

t.test("a restore that cannot use her diary's organ says so, and takes others chosen here", async (t) => {
  const gone = await startFakeOllama({ models: ["llama3.2"] });
  const a = await startDaemon(t);
  const made = await a.api("POST", "/api/persona/create", { name: "Bea", organs: { thinking: { provider: "ollama", model: "llama3.2", url: gone.url } } });
  t.equal(made.status, 201);
  const diary = Buffer.from(await (await fetch(`${a.url}/api/persona/${made.body.persona.id}/export`)).arrayBuffer());
  await gone.close(); // her model is not on the new machine
  const here = await startFakeOllama({ models: ["qwen3"] });
  t.teardown(() => here.close());
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "eternego-dl-")), "bea.diary");
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  fs.writeFileSync(file, diary);

  const b = await startDaemon(t);
  const r = await openAt(t, b.url, "#/restore");
  const { page } = r;
  await page.getByLabel("Her diary", { exact: true }).setInputFiles(file);
  await page.getByLabel("Her recovery phrase").fill(made.body.recovery_phrase);
  await page.getByRole("button", { name: "Restore her" }).click();
  await page.getByText("Her thinking organ from the diary cannot be used here.").waitFor();
  await look(t, r, "restore-organ-refused");
  await page.getByLabel("Give her other organs than her diary names").check();
  const thinking = page.getByRole("group", { name: "Thinking" });
  await thinking.getByLabel("URL").fill(here.url);
  await thinking.getByLabel("Model").fill("qwen3");
  await page.getByRole("button", { name: "Restore her" }).click();
  await page.getByRole("textbox", { name: "Message to Bea" }).waitFor();
  t.match((await b.api("GET", `/api/persona/${made.body.persona.id}`)).body.persona.organs.thinking, { model: "qwen3", url: here.url });
});

t.test("a persona from before diaries had a key: told so, and given a phrase", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-legacy-"));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const id = crypto.randomUUID();
  const dir = path.join(home, "personas", id);
  fs.mkdirSync(path.join(dir, "home"), { recursive: true });
  fs.writeFileSync(path.join(dir, "persona.json"), JSON.stringify({
    version: 1, id, name: "Old", birthday: "2026-01-01", created_at: "2026-01-01T00:00:00.000Z", status: "active", status_reason: null,
    organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } }, channels: [], diary: { salt: "00", kdf: { name: "scrypt" } },
  }));
  fs.writeFileSync(path.join(dir, "secrets.json"), JSON.stringify({ organs: {}, channels: {}, diary_key: "ab".repeat(32) }));
  const d = await startDaemon(t, { home });
  const b = await openAt(t, d.url, `#/persona/${id}/settings`);
  const { page } = b;
  const card = page.getByRole("region", { name: "Her diary" });
  await card.getByText("Old has no diary key yet").waitFor();
  await sees(page, new RegExp(`POST /api/persona/${id}/recovery-phrase`));
  t.equal(await card.getByRole("link", { name: "Export her diary" }).count(), 0, "no export to offer");
  await look(t, b, "settings-diary-no-key");
  await card.getByRole("button", { name: "Make her a recovery phrase" }).click();
  await page.getByRole("dialog", { name: "A new recovery phrase for Old?" }).getByRole("button", { name: "Make a new phrase" }).click();
  await page.getByRole("list", { name: "The 24 words, in order" }).waitFor();
  await page.getByLabel(/I have written down or printed these 24 words/).check();
  await page.getByRole("button", { name: "Done" }).click();
  await card.getByRole("link", { name: "Export her diary" }).waitFor();
  t.match((await d.api("GET", `/api/persona/${id}/diagnose`)).body.diary, { fingerprint: /^[0-9a-f]{16}$/, latest: { bytes: Number } });
});
