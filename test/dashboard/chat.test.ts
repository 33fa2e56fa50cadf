import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { PNG as PNG_1X1 } from "../helpers/model-context.js";
import { openBrowser } from "../helpers/browser.js";
import { startDaemon, tempHome } from "../helpers/daemon.js";
import { decide, isDecision, lastWords, living } from "../mind/helpers.js";

// The chat in Chromium: live messages and drafts, what she is doing, past days, files by
// button, paste and drop with the daemon's reasons on them, voice notes, Markdown made safe,
// and a daemon restart that the page lives through.

const WAIT = { timeout: 10_000 };

t.test("talking: Enter sends, Shift+Enter is a new line; her words stream as a draft and settle as her message; what she is doing shows", async (t) => {
  const { d, ollama, id } = await living(t);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let asked!: () => void;
  const thinking = new Promise<void>((r) => (asked = r));
  ollama.onChat = (event, body) => event === "request" && isDecision(body as never) && asked();
  ollama.reply({ held, then: { chunks: decide("Good **morning** — I slept well.").match(/.{1,6}/gs)!, delayMs: 15 } });
  for (const dark of [false, true]) {
    const b = await openBrowser(t, d.url, { dark });
    const page = b.page;
    await page.goto(`${d.url}/#/persona/${id}/chat`);
    const box = page.getByRole("textbox", { name: "Message to Ada" });
    await box.waitFor(WAIT);
    if (dark) {
      await page.getByRole("log", { name: "Conversation with Ada" }).getByText("I slept well").waitFor(WAIT);
      await b.shot("chat");
      t.same(await b.axe(), []);
      continue;
    }
    await box.fill("hello Ada");
    await box.press("Shift+Enter");
    await box.pressSequentially("how did you sleep?");
    t.equal(await box.inputValue(), "hello Ada\nhow did you sleep?", "Shift+Enter is a new line, not a send");
    await box.press("Enter");
    const log = page.getByRole("log", { name: "Conversation with Ada" });
    await log.getByText("how did you sleep?").waitFor(WAIT);
    t.equal(await box.inputValue(), "", "Enter sent it and emptied the box");
    await thinking;
    await page.getByRole("status").filter({ hasText: "Ada is thinking…" }).waitFor(WAIT);
    await b.shot("chat-thinking");
    release();
    const settled = log.locator("et-message").filter({ hasText: "I slept well" });
    await settled.waitFor(WAIT);
    t.equal(await settled.locator("strong").innerText(), "morning", "her Markdown is rendered");
    await page.getByText("writing…").waitFor({ state: "detached", ...WAIT });
    t.equal(await log.locator("et-message").count(), 2, "the draft became her one message: no leftover draft, nothing twice");
    await page.getByRole("status").filter({ hasText: "Ada is thinking…" }).waitFor({ state: "detached", ...WAIT });
    t.same(b.errors, []);
    t.same(b.foreign, []);
  }
});

t.test("a draft she does not say is withdrawn from the page; her Markdown is made safe", async (t) => {
  const { d, ollama, id } = await living(t);
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/#/persona/${id}/chat`);
  const box = page.getByRole("textbox", { name: "Message to Ada" });
  await box.waitFor(WAIT);
  // A first answer that breaks the schema (streamed, then withdrawn), then a good one.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let finish!: () => void;
  const half = new Promise<void>((r) => (finish = r));
  ollama.reply({ chunks: ['{"say": "NEVER SAID words', ' here", "tools": 5}'], pause: { after: 1, until: half } }, { held, then: decide('Here: [a link](javascript:alert(1)) <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> and [ok](https://example.org)') });
  await box.fill("tell me");
  await box.press("Enter");
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  await page.locator("et-message[draft]").filter({ hasText: "NEVER SAID" }).waitFor(WAIT);
  t.pass("the first answer streamed as a draft");
  finish();
  await page.locator("et-message[draft]").filter({ hasText: "NEVER SAID" }).waitFor({ state: "detached", ...WAIT });
  t.pass("and was withdrawn when her mind asked again");
  release();
  // Her message as it settled, not the draft of it still streaming (which has only its first words).
  const msg = log.locator("et-message:not([draft])").filter({ hasText: "Here:" });
  await msg.waitFor(WAIT);
  await msg.getByText("and ok").waitFor(WAIT);
  t.equal(await page.evaluate<unknown>("window.__pwned"), undefined, "no script of hers ran");
  t.equal(await msg.locator("script, img[onerror]").count(), 0, "no script, no handler");
  const hrefs = await msg.locator("a").evaluateAll((as) => as.map((a) => (a as unknown as { getAttribute(n: string): string | null }).getAttribute("href")));
  t.notOk(hrefs.some((h) => h?.startsWith("javascript:")), `no javascript: link (${JSON.stringify(hrefs)})`);
  t.ok(hrefs.includes("https://example.org"), "a plain link stays");
  t.equal(await msg.locator('a[href="https://example.org"]').getAttribute("rel"), "noopener noreferrer");
  t.same(b.foreign, [], "her picture from elsewhere was not fetched");
  // Chromium reports the handler she wrote as a CSP violation while the sanitiser parses it
  // (blocked, and removed before anything reaches the page): the page's CSP at work.
  t.same(b.errors.filter((e) => !/Executing inline event handler violates the following Content Security Policy/.test(e)), []);
});

t.test("files: several at once by button, paste and drop, the daemon's refusal on the file it concerns, a picture shown", async (t) => {
  const { d, ollama, id } = await living(t, { organs: { vision: { provider: "ollama", model: "llava" } } });
  ollama.brain = (req) => (isDecision(req) ? decide(`I see it: ${lastWords(req).slice(0, 30)}`) : "A small red square.");
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/#/persona/${id}/chat`);
  const box = page.getByRole("textbox", { name: "Message to Ada" });
  await box.waitFor(WAIT);
  const files = page.getByRole("list", { name: "Files to send" });

  // By the button: a picture and a file no plugin takes.
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach files" }).click();
  await (await chooser).setFiles([
    { name: "square.png", mimeType: "image/png", buffer: PNG_1X1 },
    { name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") },
  ]);
  await files.getByText("square.png").waitFor(WAIT);
  t.equal(await files.locator("img").count(), 1, "the picture has a preview");
  await box.fill("look at these");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const refused = files.getByRole("listitem").filter({ hasText: "setup.exe" });
  await refused.getByText(/No perception plugin takes '\.exe' files/).waitFor(WAIT);
  t.notOk(await files.getByRole("listitem").filter({ hasText: "square.png" }).getByText(/No perception plugin/).count(), "the refusal is on the file it concerns, not the other");
  await page.getByRole("alert").filter({ hasText: "Nothing was sent" }).waitFor(WAIT);
  await b.shot("chat-refused-file");
  t.same(await b.axe(), []);
  await page.getByRole("button", { name: "Remove setup.exe" }).click();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  const sent = log.locator("et-message[from=person]").filter({ hasText: "look at these" });
  await sent.waitFor(WAIT);
  await sent.getByRole("img", { name: /A picture/ }).waitFor(WAIT);
  t.ok(await sent.getByRole("img").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), "the picture is served by the daemon and shown");
  await log.getByText(/I see it: look at these/).waitFor(WAIT);
  t.equal(await files.count(), 0, "sent: the list is empty again");

  // By paste, and by drop: the same list, several at once.
  await box.focus();
  await page.evaluate(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["pasted words"], "pasted.txt", { type: "text/plain" }));
    document.querySelector("et-app").shadowRoot.querySelector("et-persona-page").shadowRoot.querySelector("et-chat").shadowRoot
      .querySelector("et-composer").shadowRoot.querySelector("textarea").dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  })()`);
  await files.getByText("pasted.txt").waitFor(WAIT);
  const drop = await page.evaluateHandle(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["a,b\\n1,2\\n"], "table.csv", { type: "text/csv" }));
    dt.items.add(new File(["# notes"], "notes.md", { type: "text/markdown" }));
    return dt;
  })()`);
  await log.dispatchEvent("dragover", { dataTransfer: drop });
  await log.dispatchEvent("drop", { dataTransfer: drop });
  await files.getByText("notes.md").waitFor(WAIT);
  t.same((await files.getByRole("listitem").allInnerTexts()).map((x) => x.split("\n")[0]), ["pasted.txt", "table.csv", "notes.md"], "pasted and dropped files wait together");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await log.getByText(/I see it/).nth(1).waitFor(WAIT);
  const conv = (await d.api("GET", `/api/persona/${id}/conversation`)).body.messages;
  t.same(conv.find((m: { media?: string[] }) => m.media?.length === 3)?.perceived.map((p: { kind: string }) => p.kind), ["reading", "reading", "reading"], "all three went as one message");
  t.same(b.errors, []);
  t.same(b.foreign, []);
});

t.test("voice notes: recorded with the microphone and sent to her hearing; without a hearing organ the page says so", async (t) => {
  const openai = await startFakeOpenAI();
  t.teardown(() => openai.close());
  openai.transcript("remind me to water the plants");
  const { d, ollama, id } = await living(t, { organs: { hearing: { provider: "openai", model: "whisper-1", url: `${openai.url}/v1` } } });
  ollama.brain = (req) => (isDecision(req) ? decide(`Heard: ${lastWords(req)}`) : undefined);
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await b.context.grantPermissions(["microphone"], { origin: d.url });
  await page.goto(`${d.url}/#/persona/${id}/chat`);
  const record = page.getByRole("button", { name: "Record a voice note" });
  await record.waitFor(WAIT);
  await record.click();
  await page.getByRole("status").filter({ hasText: "Recording" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Stop and send" }).click();
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  await log.getByText("Heard: remind me to water the plants").waitFor({ timeout: 15_000 });
  const heard = openai.requests.filter((q) => q.path === "/v1/audio/transcriptions");
  t.equal(heard.length, 1, "the recording went to her hearing organ");
  t.match(heard[0]!.body.file.name, /^voice-\d+\.(webm|ogg)$/);
  t.ok(heard[0]!.body.file.bytes.length > 100, "with sound in it");

  // Another persona without ears: the button is off and the page says why.
  const bo = (await d.api("POST", "/api/persona/create", { name: "Bo", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).body.persona.id;
  await page.goto(`${d.url}/#/persona/${bo}/chat`);
  await page.getByText("Voice notes need a hearing organ").waitFor(WAIT);
  t.equal(await page.getByRole("button", { name: "Record a voice note" }).isDisabled(), true);
  t.same(b.errors, []);
});

t.test("past days: the chat of a day by its date, in the URL; a day with nothing says so", async (t) => {
  const { d, id } = await living(t);
  const day = "2026-03-14";
  const history = path.join(d.home, "personas", id, "home", "history");
  fs.writeFileSync(path.join(history, `conversation-${day}.jsonl`), [
    { id: "p1", time: `${day}T09:00:00.000Z`, from: "person", channel: "web", text: "Happy pi day" },
    { id: "a1", time: `${day}T09:00:05.000Z`, from: "persona", channel: "telegram", text: "3.14159… to you too!" },
  ].map((e) => JSON.stringify(e)).join("\n") + "\n");
  const b = await openBrowser(t, d.url);
  const page = b.page;
  await page.goto(`${d.url}/#/persona/${id}/chat`);
  await page.getByLabel("Read a day").fill(day);
  await page.waitForURL(new RegExp(`#/persona/${id}/chat/${day}$`), WAIT);
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  await log.getByText("Happy pi day").waitFor(WAIT);
  t.ok(await log.getByText("via telegram").isVisible(), "the channel shows when it is not the web");
  t.equal(await page.getByRole("textbox", { name: /Message to/ }).count(), 0, "a past day is read, not written to");
  await b.shot("chat-past-day");
  await page.getByRole("link", { name: "Day after →" }).click();
  await log.getByText(/Nothing was said on/).waitFor(WAIT);
  await page.getByRole("link", { name: "Today" }).click();
  await page.getByRole("textbox", { name: "Message to Ada" }).waitFor(WAIT);
  t.equal(await page.getByRole("heading", { name: "Today" }).count(), 1);
});

t.test("a daemon restart in the middle of a chat: the page shows it reconnects, recovers by itself, and nothing is lost or doubled", async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const first = await startDaemon(t, { home });
  const port = Number(new URL(first.url).port);
  const id = (await first.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).body.persona.id;
  ollama.brain = (req) => (isDecision(req) ? decide(`Answer to: ${lastWords(req)}`) : undefined);
  const b = await openBrowser(t, first.url);
  const page = b.page;
  await page.goto(`${first.url}/#/persona/${id}/chat`);
  const box = page.getByRole("textbox", { name: "Message to Ada" });
  await box.waitFor(WAIT);
  await box.fill("before the restart");
  await box.press("Enter");
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  await log.getByText("Answer to: before the restart").waitFor(WAIT);

  // She is asked something, and the daemon goes down before she answers.
  let asked!: () => void;
  const thinking = new Promise<void>((r) => (asked = r));
  ollama.onChat = (event, body) => event === "request" && isDecision(body as never) && asked();
  ollama.reply({ held: new Promise(() => {}) });
  await box.fill("during the restart");
  await box.press("Enter");
  await log.getByText("during the restart").waitFor(WAIT);
  await thinking;
  await first.daemon.stop();
  await page.getByText("Reconnecting…").waitFor(WAIT);
  await b.shot("chat-reconnecting");
  ollama.onChat = null;
  const second = await startDaemon(t, { home, port });
  t.equal(Number(new URL(second.url).port), port, "the daemon is back on its port");
  await page.getByText("Reconnecting…").waitFor({ state: "detached", timeout: 15_000 });
  t.pass("the page reconnected by itself");
  await log.getByText("Answer to: during the restart").waitFor({ timeout: 15_000 });
  t.pass("her answer, given after the restart, reached the page");
  await box.fill("after the restart");
  await box.press("Enter");
  await log.getByText("Answer to: after the restart").waitFor(WAIT);
  const texts = await log.locator("et-message:not([draft]) article").allInnerTexts();
  for (const said of ["before the restart", "during the restart", "after the restart"]) {
    t.equal(texts.filter((x) => x.includes(said) && !x.includes("Answer to")).length, 1, `"${said}" is shown once`);
    t.equal(texts.filter((x) => x.includes(`Answer to: ${said}`)).length, 1, `her answer to it is shown once`);
  }
  t.equal(texts.length, 6, "six messages, none lost, none doubled");
  t.same(b.errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|net::/.test(e)), [], "no page error but the connection's own while the daemon was down");
});

t.test("a long chat: a thousand messages drawn and scrollable", async (t) => {
  const { d, id } = await living(t);
  const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: `m${i}`, time: new Date(Date.now() - (1000 - i) * 1000).toISOString(), from: i % 2 ? "persona" : "person", channel: "web", text: i % 2 ? `Her answer number ${i}, with **bold** and \`code\`.` : `Message number ${i}` }));
  fs.writeFileSync(path.join(d.home, "personas", id, "home", "conversation.jsonl"), lines.join("\n") + "\n");
  const b = await openBrowser(t, d.url);
  await b.page.goto(`${d.url}/#/persona/${id}/chat`);
  const log = b.page.getByRole("log", { name: "Conversation with Ada" });
  await log.getByText("Her answer number 999,").waitFor(WAIT);
  t.ok(await log.getByText("Her answer number 999,").isVisible(), "the newest is in view");
  const drawn = await log.locator("et-message").count();
  t.ok(drawn < 1000, `the newest ${drawn} are drawn at first, not all 1000`);
  // Scrolling up brings the earlier ones, a page at a time, until the very first.
  const first = log.getByText("Message number 0", { exact: true });
  for (let i = 0; i < 20 && !(await first.count()); i++) {
    const before = await log.locator("et-message").count();
    await log.evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0));
    await b.page.waitForFunction(([sel, n]) => ((globalThis as any).document.querySelector("et-app").shadowRoot.querySelector("et-persona-page").shadowRoot.querySelector("et-chat").shadowRoot.querySelectorAll(sel).length > n), ["et-message", before] as const, WAIT);
  }
  await first.scrollIntoViewIfNeeded();
  t.ok(await first.isVisible(), "and scrolling up reaches the first");
  t.equal(await log.locator("et-message").count(), 1000, "with every message there");
  await log.getByRole("button", { name: /Show earlier messages/ }).waitFor({ state: "detached", ...WAIT });
});
