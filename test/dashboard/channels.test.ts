import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import t, { type Test } from "tap";
import { startFakeLoop, type FakeLoop } from "../fixtures/fake-loop-platform.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon, tempHome, type TestDaemon } from "../helpers/daemon.js";
import { decide, lastWords, living, until } from "../mind/helpers.js";
import { LOOKS, STEP_MS, look, openAt } from "./admin-helpers.js";

// The Channels screen in Chromium, against the real daemon with a real channel plugin
// (`fixtures/plugins/loop-channel.ts`) talking to a fake platform on its own port: added
// through the form, a chat paired with the code she sent there, its connection followed
// live as the platform fails, is revoked and comes back, and removed.

const LOOP = fileURLToPath(new URL("../fixtures/plugins/loop-channel.ts", import.meta.url));
/** A first wait of 1.5 s before a lost channel is tried again: long enough to be seen. */
const RETRY = { ETERNEGO_CHANNEL_RETRY_MS: "1500" };

async function platform(t: Test): Promise<FakeLoop> {
  const loop = await startFakeLoop();
  t.teardown(() => loop.close());
  loop.issue("tok-1", "@ada_loop");
  return loop;
}

const channelsOf = async (d: TestDaemon, id: string) => (await d.api("GET", `/api/persona/${id}/channels`)).body.channels as { type: string; state: string; verified: boolean; name: string }[];

/** Her pairing code, from what she sent to a chat. */
async function codeSentTo(loop: FakeLoop, chat: string): Promise<string> {
  const sent = await until(() => loop.sent.find((s) => s.chat === chat && /code [A-Z0-9]{8}\b/.test(s.text)), STEP_MS, `her pairing code in ${chat}`);
  return /code ([A-Z0-9]{8})\b/.exec(sent!.text)![1]!;
}

const card = (page: Page, name: string | RegExp) => page.getByRole("article", { name });

t.test("channels: added through the form, a chat paired with her code, followed live as the platform fails, is revoked and comes back, removed", async (t) => {
  const loop = await platform(t);
  const { d, ollama, id } = await living(t, { plugins: [LOOP], env: RETRY });
  ollama.brain = (req) => decide(`ok: ${lastWords(req)}`);
  const b = await openAt(t, d.url, `#/persona/${id}/channels`);
  const { page } = b;

  // The web is there already, needing nothing, and cannot be removed.
  const web = card(page, /^Web/);
  await web.getByText("Connected", { exact: true }).waitFor();
  await web.getByText("Needs nothing").waitFor();
  t.equal(await web.getByRole("button").count(), 0, "the web cannot be removed");
  t.equal(await page.getByRole("link", { name: "Channels" }).getAttribute("aria-current"), "page", "its tab is the current one");
  t.equal(await page.getByRole("region", { name: "Pair a chat" }).count(), 0, "nothing to pair before a channel that needs it");

  // The add form is made from what the plugin declares.
  const add = page.getByRole("region", { name: "Add a channel" });
  const picker = add.getByRole("combobox", { name: "Channel" });
  const offered = await picker.locator("option").allTextContents();
  t.ok(offered.includes("Loop"), `the loaded channel plugins are offered (${offered.join(", ")})`);
  t.notOk(offered.some((o) => /^Web/.test(o)), "but not the web, which is always there");
  await picker.selectOption("loop");
  t.equal(await add.getByLabel("Bot token").getAttribute("type"), "password", "a secret credential is a password field");
  t.equal(await add.getByLabel("Server URL").getAttribute("type"), "text");
  t.match(await add.locator("label[for=cred-token]").textContent(), /Bot token \(required\)/, "required fields are marked");
  t.equal(await add.getByLabel("Bot token").getAttribute("aria-required"), "true");
  await look(t, b, "channels");

  // Keyboard: from the picker, Tab goes through the fields to the button.
  await picker.focus();
  const focused = () => page.evaluate("(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a ? (a.id || a.textContent.trim()) : null; })()");
  const order: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("Tab");
    order.push(await focused());
  }
  t.same(order, ["cred-server", "cred-token", "Add Loop"], "the form is reached in order by Tab");

  // Refusals: the daemon's 400 on the form (a missing token, then one the platform refuses), a 422 on its field.
  await add.getByLabel("Server URL").fill(loop.url);
  await add.getByRole("button", { name: "Add Loop" }).click();
  const refusal = add.getByRole("alert");
  await refusal.waitFor();
  t.match(await refusal.textContent(), /Loop could not be added\.Channel 'loop' needs 'token' in its credentials\./, "a missing token: the daemon's words");
  await add.getByLabel("Bot token").fill("not-a-token");
  await add.getByRole("button", { name: "Add Loop" }).click();
  await refusal.getByText(/Loop refused the bot token \(401/).waitFor();
  t.equal((await channelsOf(d, id)).length, 1, "nothing was added");
  await look(t, b, "channels-add-refused");
  await add.getByLabel("Bot token").fill("x".repeat(1001));
  await add.getByRole("button", { name: "Add Loop" }).click();
  await add.getByText(/must be less than or equal to 1000 characters/).waitFor();
  t.equal(await add.getByLabel("Bot token").getAttribute("aria-invalid"), "true", "the 422 is on the field it names");
  t.equal(await refusal.count(), 0, "and not on the whole form");

  // Added: checked with the platform (slowly), then she is connecting, then connected.
  loop.meDelayMs = 700;
  await add.getByLabel("Bot token").fill("tok-1");
  await add.getByRole("button", { name: "Add Loop" }).click();
  await add.getByRole("button", { name: "Checking with the platform…" }).waitFor();
  const mine = card(page, "Loop");
  await mine.getByText("Connecting…").waitFor();
  loop.meDelayMs = 0;
  await mine.getByText("Connected", { exact: true }).waitFor();
  await mine.getByText("@ada_loop").waitFor();
  await mine.getByText(/No chat is paired yet/).waitFor();
  await add.getByText("Added Loop as @ada_loop. Write to her on Loop: she answers with a pairing code to enter below.").waitFor();
  t.equal(await add.getByLabel("Bot token").inputValue(), "", "the token does not stay in the form");
  t.match(await page.getByRole("status").filter({ hasText: /^Loop: / }).textContent(), "Loop: Connected", "the change of state is announced");

  // A chat writes to her: she answers it with a code; a wrong code is refused in the daemon's words.
  await until(() => loop.polling > 0, STEP_MS, "the channel waiting for messages");
  loop.write("chat-7", "Grace", "hello?");
  const code = await codeSentTo(loop, "chat-7");
  const pair = page.getByRole("region", { name: "Pair a chat" });
  t.match(await pair.textContent(), /Write to her on Loop; she answers with a code of 8 letters and digits/, "where the code comes from");
  await pair.getByLabel("Pairing code").fill("WRONG-123");
  await pair.getByRole("button", { name: "Pair the chat" }).click();
  await pair.getByRole("alert").waitFor();
  t.match(await pair.getByRole("alert").textContent(), /That code paired no chat\.That pairing code is not one she gave, or it has expired/);
  await look(t, b, "channels-pair-wrong");

  // The code as a person might type it, lower case with a space, sent with Enter.
  await pair.getByLabel("Pairing code").fill(`${code.slice(0, 4).toLowerCase()} ${code.slice(4).toLowerCase()}`);
  await pair.getByLabel("Pairing code").press("Enter");
  await pair.getByText(/^Paired: the chat is hers now — chat chat-7 on Loop \(@ada_loop\)\.$/).waitFor();
  t.equal(await pair.getByRole("alert").count(), 0, "the refusal is gone");
  await mine.getByText("A chat is paired: it is hers.").waitFor();
  t.match((await channelsOf(d, id))[1], { type: "loop", verified: true });
  await until(() => loop.sent.some((s) => s.chat === "chat-7" && s.text.startsWith("Paired: this chat is mine now. Hello, Grace!")), STEP_MS, "her hello in the chat");

  // Paired, she answers there.
  loop.write("chat-7", "Grace", "how are you?");
  await until(() => loop.sent.some((s) => s.chat === "chat-7" && s.text === "ok: how are you?"), STEP_MS, "her answer in the chat");
  await look(t, b, "channels-paired");

  // The platform falters: retrying, at a time, with why; steady again: connected.
  loop.flaky = true;
  await mine.getByText(/^Retrying at \d\d:\d\d:\d\d — Loop answered 503: Loop is having trouble; try again soon\.$/).waitFor();
  await b.shot("channels-retrying");
  loop.flaky = false;
  await mine.getByText("Connected", { exact: true }).waitFor();

  // The token is revoked: failed, with why and what to do.
  loop.revoke("tok-1");
  await mine.getByText(/^Failed — Loop refused the bot token \(401: this token is not a bot's \(revoked, or never issued\)\)/).waitFor();
  await mine.getByText(/add this channel again below with a new one/).waitFor();
  await look(t, b, "channels-failed");

  // Added again with a new token: the same account, connected, its chat still paired.
  loop.issue("tok-2", "@ada_loop");
  t.ok((await picker.locator("option").allTextContents()).includes("Loop (she has it: replace its credentials)"), "the picker says she has it");
  t.equal(await picker.inputValue(), "loop", "and it is still the one picked");
  await add.getByLabel("Server URL").fill(loop.url);
  await add.getByLabel("Bot token").fill("  tok-2 "); // pasted with spaces around it
  await add.getByRole("button", { name: "Replace Loop's credentials" }).click();
  await mine.getByText("Connected", { exact: true }).waitFor();
  await mine.getByText("A chat is paired: it is hers.").waitFor();

  // Removed, after a dialog that names it; Cancel keeps it.
  await mine.getByRole("button", { name: "Remove Loop…" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove Loop (@ada_loop)?" });
  await dialog.waitFor();
  await look(t, b, "channels-remove", { window: true });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  t.equal((await channelsOf(d, id)).length, 2, "cancel keeps it");
  await mine.getByRole("button", { name: "Remove Loop…" }).click();
  await dialog.getByRole("button", { name: "Remove Loop" }).click();
  await mine.waitFor({ state: "detached" });
  await page.getByText("Removed Loop (@ada_loop): she no longer listens there.").waitFor();
  t.equal(await focused(), "Removed Loop (@ada_loop): she no longer listens there.", "focus goes to what happened");
  t.same((await channelsOf(d, id)).map((c) => c.type), ["web"], "only the web is left");
  await until(() => loop.polling === 0, STEP_MS, "the channel to stop listening");
  t.same(b.errors, []);
  t.same(b.foreign, []);
});

t.test("she stops and starts: disconnected, then connected; too many wrong codes are refused in the daemon's words", async (t) => {
  const loop = await platform(t);
  const { d, id } = await living(t, { plugins: [LOOP], env: RETRY });
  t.equal((await d.api("POST", `/api/persona/${id}/channels`, { type: "loop", credentials: { server: loop.url, token: "tok-1" } })).status, 201);
  const b = await openAt(t, d.url, `#/persona/${id}/channels`);
  const { page } = b;
  const mine = card(page, "Loop");
  await mine.getByText("Connected", { exact: true }).waitFor();

  t.equal((await d.api("POST", `/api/persona/${id}/stop`)).status, 200);
  await mine.getByText("Disconnected: she is not running").waitFor();
  await card(page, /^Web/).getByText("Disconnected: she is not running").waitFor();
  const pair = page.getByRole("region", { name: "Pair a chat" });
  await pair.getByText("Ada is not running: start her (Organs and status), then write to her on Loop for a code.").waitFor();
  await pair.getByLabel("Pairing code").fill("ABCD2345");
  t.ok(await pair.getByRole("button", { name: "Pair the chat" }).isDisabled(), "no pairing while she is not running");
  await look(t, b, "channels-stopped");

  t.equal((await d.api("POST", `/api/persona/${id}/start`)).status, 200);
  await mine.getByText("Connected", { exact: true }).waitFor();
  await card(page, /^Web/).getByText("Connected", { exact: true }).waitFor();

  for (let i = 0; i < 5; i++) t.equal((await d.api("POST", `/api/persona/${id}/pair`, { code: `WRONG00${i}` })).status, 400);
  await pair.getByRole("button", { name: "Pair the chat" }).click();
  const alert = pair.getByRole("alert");
  await alert.waitFor();
  t.match((await alert.textContent())?.trim(), /^Too many wrong codes\.Too many wrong pairing codes for her in ten minutes; try again in \d+ minutes?\.$/, "the 429 in the daemon's words");
  await look(t, b, "channels-too-many");
});

t.test("a daemon restart: the page comes back showing what changed while it was away", async (t) => {
  const loop = await platform(t);
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const first = await startDaemon(t, { home, plugins: [LOOP], env: RETRY });
  const port = Number(new URL(first.url).port);
  const created = await first.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const id = created.body.persona.id;
  t.equal((await first.api("POST", `/api/persona/${id}/channels`, { type: "loop", credentials: { server: loop.url, token: "tok-1" } })).status, 201);
  const b = await openAt(t, first.url, `#/persona/${id}/channels`);
  const { page } = b;
  const mine = card(page, "Loop");
  await mine.getByText("Connected", { exact: true }).waitFor();

  // While the daemon is down its token is revoked: the new daemon finds it failed before the page is back.
  await first.daemon.stop();
  await page.getByText("Reconnecting…").waitFor();
  const fetched: string[] = [];
  page.on("request", (r) => new URL(r.url()).pathname === `/api/persona/${id}/channels` && fetched.push(r.method()));
  loop.revoke("tok-1");
  const second = await startDaemon(t, { home, port, plugins: [LOOP], env: RETRY });
  t.equal(Number(new URL(second.url).port), port, "the daemon is back on its port");
  await page.getByText("Reconnecting…").waitFor({ state: "detached" });
  await mine.getByText(/^Failed — Loop refused the bot token/).waitFor();
  t.ok(fetched.includes("GET"), "her channels were fetched again once the page was back");
  t.match((await channelsOf(second, id))[1], { state: "failed" });
  t.same(b.errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|net::/.test(e)), [], "no page error but the connection's own while the daemon was down");
});

t.test("channels in the dark and on a phone", async (t) => {
  const loop = await platform(t);
  const { d, id } = await living(t, { plugins: [LOOP], env: RETRY });
  t.equal((await d.api("POST", `/api/persona/${id}/channels`, { type: "loop", credentials: { server: loop.url, token: "tok-1" } })).status, 201);
  for (const l of LOOKS.slice(1)) {
    const b = await openAt(t, d.url, `#/persona/${id}/channels`, l);
    const mine = card(b.page, "Loop");
    await mine.getByText("Connected", { exact: true }).waitFor();
    await look(t, b, "channels");
    await mine.getByRole("button", { name: "Remove Loop…" }).click();
    await b.page.getByRole("dialog", { name: "Remove Loop (@ada_loop)?" }).waitFor();
    await look(t, b, "channels-remove", { window: true });
  }
});
