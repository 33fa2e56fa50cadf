import t from "tap";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { startDaemon } from "../helpers/daemon.js";
import { PNG } from "../helpers/model-context.js";
import { decide, isDecision, lastWords } from "../mind/helpers.js";
import { look, openAt, sees } from "./admin-helpers.js";

// One person's first hour, in one browser page, through every screen it needs: an empty
// daemon, a persona made and her phrase kept, a talk, a file refused and a picture seen, her
// knowledge edited, the day found in her calendar, her model changed, and her deleted.

t.test("a whole journey: create → phrase → chat → a refused file → a picture → knowledge → calendar → night → organs → delete", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2", "llava", "frontier-70b"] });
  t.teardown(() => ollama.close());
  ollama.brain = (req) => {
    if (req.model === "llava") return "A small red square on white.";
    const words = lastWords(req);
    return isDecision(req) ? decide(`${req.model} heard: ${words.split("\n")[0]!.slice(0, 40)}${words.includes("red square") ? " (I see a red square)" : ""}`) : undefined;
  };
  const d = await startDaemon(t);
  const b = await openAt(t, d.url, "#/");
  const { page } = b;

  // Create.
  await page.getByRole("link", { name: "Create your first persona" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Ada");
  const thinking = page.getByRole("group", { name: "Thinking" });
  await thinking.getByLabel("URL").fill(ollama.url);
  await thinking.getByLabel("Model").fill("llama3.2");
  const vision = page.getByRole("group", { name: "Vision" });
  await vision.getByLabel("Give her a vision organ").check();
  await vision.getByLabel("URL").fill(ollama.url);
  await vision.getByLabel("Model").fill("llava");
  await page.getByRole("button", { name: "Create her" }).click();

  // Her phrase, kept.
  await page.getByRole("list", { name: "The 24 words, in order" }).waitFor();
  await page.getByLabel(/I have written down or printed these 24 words/).check();
  await page.getByRole("button", { name: "Continue to Ada" }).click();
  const [her] = (await d.api("GET", "/api/personas")).body.personas;
  t.match(her, { name: "Ada", state: "running", organs: { thinking: { model: "llama3.2" }, vision: { model: "llava" } } }, "she was made as the form said");

  // Chat.
  const box = page.getByRole("textbox", { name: "Message to Ada" });
  const log = page.getByRole("log", { name: "Conversation with Ada" });
  await box.fill("Hello Ada, I am Sam");
  await box.press("Enter");
  await log.getByText("llama3.2 heard: Hello Ada, I am Sam").waitFor();
  t.pass("she answers, thinking with her model");

  // A file no plugin takes is refused on the file; a picture is seen by her vision organ.
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach files" }).click();
  await (await chooser).setFiles([{ name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") }]);
  await box.fill("what is this?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("list", { name: "Files to send" }).getByText(/No perception plugin takes '\.exe' files/).waitFor();
  await page.getByRole("button", { name: "Remove setup.exe" }).click();
  const again = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach files" }).click();
  await (await again).setFiles([{ name: "square.png", mimeType: "image/png", buffer: PNG }]);
  await box.fill("and this?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await log.locator("et-message").filter({ hasText: "and this?" }).getByRole("img").waitFor();
  await log.getByText("llama3.2 heard: and this? (I see a red square)").waitFor();
  t.ok(ollama.requests.some((q) => q.body?.model === "llava" && JSON.stringify(q.body).includes('"images"')), "her vision organ saw the picture");
  await look(t, b, "journey-chat");

  // Knowledge: what she knows about the person, edited and saved.
  await page.getByRole("link", { name: "Knowledge" }).click();
  await page.getByRole("heading", { name: "What Ada knows about you" }).waitFor();
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Text of person.md").fill("# What I know about the person\n\n- Sam, who drinks **jasmine tea**.\n");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("strong").filter({ hasText: "jasmine tea" }).waitFor();
  t.match((await d.api("GET", `/api/persona/${her.id}/knowledge`)).body.memory.person, /jasmine tea/, "the daemon keeps the edit");

  // Calendar: today holds the talk, and opens it.
  await page.getByRole("link", { name: "Calendar" }).click();
  const today = page.getByRole("link", { name: /^Conversation of .*: \d+ messages$/ }).first();
  await today.click();
  await page.waitForURL(new RegExp(`#/persona/${her.id}/chat/\\d{4}-\\d{2}-\\d{2}$`));
  await log.getByText("Hello Ada, I am Sam", { exact: true }).waitFor();
  t.pass("the day found in her calendar opens its conversation");

  // Her night, now: the day is archived and her diary written.
  await page.getByRole("link", { name: "Organs and status" }).click();
  await page.getByRole("button", { name: "Her night now" }).click();
  await sees(page, /She slept: the day of \d{4}-\d{2}-\d{2} \(\d+ messages\) is in her history.*her diary was written/);
  t.ok((await d.api("GET", `/api/persona/${her.id}/diagnose`)).body.diary.latest, "her diary was written after her night");

  // Organs: she thinks with another model from now on.
  await page.getByRole("group", { name: "Thinking" }).getByLabel("Model").fill("frontier-70b");
  await page.getByRole("button", { name: "Save organs" }).click();
  await sees(page, /Saved — thinking: frontier-70b/);
  await page.getByRole("link", { name: "Chat" }).click();
  await box.fill("still there?");
  await box.press("Enter");
  await log.getByText("frontier-70b heard: still there?").waitFor();
  t.pass("and answers with the new one");

  // Delete.
  await page.getByRole("link", { name: "Organs and status" }).click();
  await page.getByRole("button", { name: "Delete Ada…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete Ada?" });
  await dialog.getByLabel("Type Ada to confirm").fill("Ada");
  await dialog.getByRole("button", { name: "Delete Ada for good" }).click();
  await page.getByRole("heading", { name: "No persona yet" }).waitFor();
  t.equal((await d.api("GET", `/api/persona/${her.id}`)).status, 404, "she is gone");
  await look(t, b, "journey-end");
});
