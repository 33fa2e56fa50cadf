import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import type { ChatReply, ChatRequest } from "../fixtures/fake-ollama.js";
import { living } from "../mind/helpers.js";
import { LOOKS, STEP_MS, look, openAt } from "./admin-helpers.js";

const EXPORTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/exports");
const CHATGPT = path.join(EXPORTS, "chatgpt-conversations.json");
const CLAUDE = path.join(EXPORTS, "claude-conversations.json");

/** Whether a request is her reading of an export (it asks for what she learned about the person). */
const isFeed = (req: ChatRequest) => JSON.stringify(req.format ?? {}).includes('"struggles"') && !JSON.stringify(req.format ?? {}).includes('"persona_trait"');

/** What she learns from any export, as the model answers it. */
const learned = (req: ChatRequest) => {
  const said = req.messages.at(-1)!.content;
  return JSON.stringify({
    person: `# What I know about the person\n\n${said.includes("cello") ? "- Started the cello at 40.\n" : ""}${said.includes("2am") ? "- Struggles to sleep before 2am.\n" : ""}`,
    traits: said.includes("cello") ? "Brave about new things." : "",
    wishes: "",
    struggles: said.includes("2am") ? "Sleeping early." : "",
  });
};

t.test("feed: an export sent with its progress, her reading pushed as it goes, the result in words; refusals in the daemon's words", async (t) => {
  const { d, ollama, id } = await living(t);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  ollama.brain = (req): ChatReply | undefined => {
    if (!isFeed(req)) return undefined;
    // The first reading waits for the test, so the page can be seen while she reads.
    if (!held) {
      held = true;
      return { held: gate, then: learned(req) };
    }
    return learned(req);
  };
  const b = await openAt(t, d.url, `#/persona/${id}/feed`);
  const { page } = b;
  const picker = page.getByLabel("Choose an export or drop it here");
  const send = page.getByRole("button", { name: "Let her read it" });
  await picker.waitFor({ state: "attached" });
  t.ok(await send.isDisabled(), "nothing to send before a file is chosen");
  await look(t, b, "feed");

  await picker.setInputFiles(CHATGPT);
  await page.getByText("Chosen: chatgpt-conversations.json").waitFor();
  const answer = page.waitForResponse((r) => r.url().endsWith(`/api/persona/${id}/feed`), { timeout: STEP_MS });
  await send.click();
  const reading = page.getByRole("progressbar", { name: "Her reading" });
  await reading.waitFor();
  await page.getByText(/Ada is reading your conversations: part 1 of \d+/).waitFor();
  t.equal(await reading.evaluate((el) => (el as unknown as { value: number }).value), 0, "her reading, as feed:progress says it");
  await look(t, b, "feed-reading");
  release();
  const result = (await (await answer).json()) as { source: string; conversations: number; messages: number; read: number; updated: string[] };
  t.match(result, { source: "chatgpt" });
  t.ok(result.updated.includes("person") && result.updated.includes("traits"), "she learned from it");
  const summary = page.getByRole("status").filter({ hasText: "Ada read your ChatGPT export" });
  await summary.waitFor();
  const words = await summary.textContent();
  t.match(words, new RegExp(`It held ${result.conversations} conversations? with ${result.messages} messages?`), "what the export held");
  t.match(words, /She rewrote what she knows about who you are, your traits and your struggles\./, "what she learned, in words");
  t.same(result.updated, ["person", "traits", "struggles"]);
  t.match(fs.readFileSync(path.join(d.home, "personas", id, "home", "person.md"), "utf8"), /cello at 40/, "and it is in her files");
  await look(t, b, "feed-result");

  // A Claude export, said to be one: what it teaches her she knows already.
  await picker.setInputFiles(CLAUDE);
  await page.getByLabel("Which export is it?").selectOption({ label: "Claude" });
  const claude = page.waitForResponse((r) => r.url().endsWith(`/api/persona/${id}/feed`), { timeout: STEP_MS });
  await send.click();
  const fromClaude = await (await claude).json();
  t.equal(fromClaude.source, "claude");
  t.same(fromClaude.updated, [], "nothing new");
  await page.getByRole("status").filter({ hasText: "Ada read your Claude export" }).waitFor();
  t.match(await page.getByRole("status").filter({ hasText: "Ada read your Claude export" }).textContent(), /Nothing in it changed what she knows about you\./);

  // Refusals: a file that is no export (415), an export that is not what it says (400).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-feed-"));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.writeFileSync(path.join(tmp, "history.pdf"), "%PDF-1.4 not an export");
  await picker.setInputFiles(path.join(tmp, "history.pdf"));
  await send.click();
  const refusal = page.getByRole("alert").filter({ hasText: "That is not a file she can read as an export." });
  await refusal.waitFor();
  const pdf = await d.api("POST", `/api/persona/${id}/feed`, (() => {
    const f = new FormData();
    f.append("history", new Blob(["%PDF-1.4"]), "history.pdf");
    return f;
  })());
  t.equal(pdf.status, 415);
  t.match(await refusal.textContent(), pdf.body.detail, "the daemon's own words");
  await look(t, b, "feed-refused");

  fs.writeFileSync(path.join(tmp, "conversations.json"), "{not json");
  await picker.setInputFiles(path.join(tmp, "conversations.json"));
  await page.getByLabel("Which export is it?").selectOption({ label: "Tell from the file" });
  await send.click();
  await page.getByRole("alert").filter({ hasText: "Ada could not read this export." }).filter({ hasText: /is not JSON/ }).waitFor();

  // She is not running: the page says so, and the daemon's 409 is shown when tried anyway.
  t.equal((await d.api("POST", `/api/persona/${id}/stop`)).status, 200);
  await page.getByText("Ada is not running: she can read an export only while she is awake.").waitFor();
  await picker.setInputFiles(CHATGPT);
  await send.click();
  const stopped = page.getByRole("alert").filter({ hasText: "Ada cannot read it now." });
  await stopped.waitFor();
  t.match(await stopped.textContent(), /not running|stopped|start/i, "the daemon's reason");
  await look(t, b, "feed-not-running");
  await page.getByRole("button", { name: "Start Ada" }).click();
  await page.getByText("Ada is not running").waitFor({ state: "detached" });
  t.match((await d.api("GET", `/api/persona/${id}`)).body.persona, { status: "active", running: true }, "started from here");
  t.same(b.errors, []);
});

t.test("feed in the dark and on a phone", async (t) => {
  const { d, ollama, id } = await living(t);
  ollama.brain = (req) => (isFeed(req) ? learned(req) : undefined);
  for (const l of LOOKS.slice(1)) {
    const b = await openAt(t, d.url, `#/persona/${id}/feed`, l);
    await look(t, b, "feed");
    await b.page.getByLabel("Choose an export or drop it here").setInputFiles(CLAUDE);
    await b.page.getByRole("button", { name: "Let her read it" }).click();
    await b.page.getByRole("status").filter({ hasText: "Ada read your Claude export" }).waitFor();
    await look(t, b, "feed-result");
  }
});
