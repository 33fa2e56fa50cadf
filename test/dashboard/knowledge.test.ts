import fs from "node:fs";
import path from "node:path";
import t from "tap";
import type { Test } from "tap";
import { living } from "../mind/helpers.js";
import { WAIT_MS, accessible, clean, homeOf, openAt, writeMeaning } from "./screens-helpers.js";

// The knowledge screen, driven as a person drives it: her memory files read, edited, saved
// (and the daemon asked what it stored), edits kept from being lost by leaving, meanings
// added and removed, and a file of hers broken by hand.

const PERSON = `# What I know about the person

Sam lives in Lisbon with a cat called **Miso**.

- Works as a nurse, mostly night shifts
- Learning the piano since the spring
- Sister: Inês, in Porto
`;

const PERSONA = `# Who I am

I am Ada. I speak plainly and warmly, and I ask before I assume.

> I would rather understand than be clever.
`;

async function herWithMemory(t: Test) {
  const her = await living(t);
  for (const [key, content] of [
    ["person", PERSON],
    ["persona_trait", PERSONA],
    ["context", "# Hand-off from yesterday\n\nSam was tired after a long shift; ask how the night went.\n"],
  ]) {
    const r = await her.d.api("POST", `/api/persona/${her.id}/knowledge`, { key, content });
    t.equal(r.status, 200, `${key} written`);
  }
  writeMeaning(homeOf(her.d, her.id), "good-morning", "The person says good morning", "frontier", "Greet them back by name, and ask **one** question about the day ahead.");
  writeMeaning(homeOf(her.d, her.id), "bad-night", "The person slept badly", "self", "Keep it short. Offer a calm plan for the day, not advice.");
  return her;
}

t.test("a memory file read, edited, saved; edits not lost by leaving; meanings added and removed", async (t) => {
  const { d, id } = await herWithMemory(t);
  const b = await openAt(t, d, `/persona/${id}/knowledge`);
  const { page } = b;

  // With no file in the address, the first one is chosen — and put in the address.
  await page.waitForURL(new RegExp(`#/persona/${id}/knowledge/person$`), { timeout: WAIT_MS });
  await page.getByRole("heading", { name: "What Ada knows about you" }).waitFor();
  await page.getByText("a cat called").waitFor();
  t.equal(await page.getByRole("strong").filter({ hasText: "Miso" }).count(), 1, "her file is shown as Markdown");
  await accessible(t, b, "a memory file");
  await b.shot("knowledge");

  // Another file, by the list.
  await page.getByRole("navigation", { name: "Memory files" }).getByRole("link", { name: "Ada's notes" }).click();
  await page.waitForURL(/\/knowledge\/notes$/, { timeout: WAIT_MS });
  await page.getByRole("heading", { name: "Ada's notes" }).waitFor();

  // Edited…
  await page.getByRole("button", { name: "Edit" }).click();
  const text = page.getByLabel("Text of notes.md");
  const mine = "# My notes\n\n- Sam likes **green tea**, no sugar\n- Piano lesson on Thursdays at 18:00\n";
  await text.fill(mine);
  await page.getByText("Unsaved changes").waitFor();
  await accessible(t, b, "a file being edited");
  await b.shot("knowledge-editing");

  // …then a link followed: asked first, in the page; Cancel keeps the edit and the place.
  await page.getByRole("link", { name: "Your wishes" }).click();
  const leave = page.getByRole("dialog", { name: "Leave without saving?" });
  await leave.waitFor();
  await accessible(t, b, "the question before leaving");
  await b.shot("knowledge-leave");
  await leave.getByRole("button", { name: "Cancel" }).click();
  await leave.waitFor({ state: "hidden" });
  t.match(page.url(), /\/knowledge\/notes$/, "still on the file");
  t.equal(await text.inputValue(), mine, "the edit is still there");

  // A change of address made some other way (typed, back, a script) is asked about too.
  await page.evaluate(`location.hash = ${JSON.stringify(`#/persona/${id}/calendar`)}`);
  await leave.waitFor();
  t.match(page.url(), /\/knowledge\/notes$/, "the address is put back while she asks");
  await leave.getByRole("button", { name: "Cancel" }).click();
  await leave.waitFor({ state: "hidden" });
  t.equal(await text.inputValue(), mine, "the edit survived that too");

  // Saved: what the daemon stored is shown, and is what the API gives.
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText(/Saved at .*This is the file as Ada keeps it now/).waitFor();
  await page.getByRole("strong").filter({ hasText: "green tea" }).waitFor();
  const stored = await d.api("GET", `/api/persona/${id}/knowledge`);
  t.equal(stored.body.memory.notes, mine, "the daemon stored the edit");
  await accessible(t, b, "a file just saved");
  await b.shot("knowledge-saved");

  // Edited again and left for another tab: asked; leaving gives the edit up, nothing is written.
  await page.getByRole("button", { name: "Edit" }).click();
  await text.fill(mine + "- this line is given up\n");
  await page.getByRole("link", { name: "Calendar" }).click();
  await leave.waitFor();
  await leave.getByRole("button", { name: "Leave without saving" }).click();
  await page.waitForURL(/\/calendar$/, { timeout: WAIT_MS });
  await page.getByRole("group", { name: "Months" }).waitFor();
  t.equal((await d.api("GET", `/api/persona/${id}/knowledge`)).body.memory.notes, mine, "leaving wrote nothing");

  // Back to her knowledge by history: no question (nothing is being edited), the saved file shown.
  await page.goBack({ timeout: WAIT_MS });
  await page.getByRole("heading", { name: "Ada's notes" }).waitFor();
  await page.getByRole("strong").filter({ hasText: "green tea" }).waitFor();

  // Meanings: hers listed with who wrote them.
  const meanings = page.locator("et-knowledge-meanings");
  await page.getByRole("heading", { name: "good-morning" }).waitFor();
  await page.getByText("Learned from her frontier organ").waitFor();
  await page.getByText("Written by Ada herself").waitFor();

  // A name that is not a slug is refused at once, with a better one offered.
  const name = page.getByLabel("Name", { exact: true });
  await name.fill("Write A Haiku");
  await name.blur();
  await meanings.getByText("for example write-a-haiku").waitFor();
  t.equal(await name.getAttribute("aria-invalid"), "true", "the name field says it is wrong");

  // What only the daemon refuses (a body of spaces) comes back on its field, in its words.
  await name.fill("write-a-haiku");
  await page.getByLabel("When it is for").fill("The person asks for a poem");
  const body = page.getByLabel("What she does then");
  await body.fill("   ");
  await page.getByRole("button", { name: "Add meaning" }).click();
  await meanings.getByText("'body' is not allowed to be empty").waitFor();
  t.equal(await body.getAttribute("aria-invalid"), "true", "the daemon's 422 is on the body field");
  t.equal(await name.getAttribute("aria-invalid"), "false", "the name is fine now");
  await accessible(t, b, "a meaning refused");
  await b.shot("knowledge-meaning-refused");

  await body.fill("Write **three lines** of five, seven and five syllables, about what they asked.");
  await page.getByRole("button", { name: "Add meaning" }).click();
  await meanings.getByText("Added write-a-haiku. Ada uses it when the person asks for a poem.").waitFor();
  const card = meanings.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "write-a-haiku" }) });
  await card.getByText("Written by you").waitFor();
  await card.getByRole("strong").filter({ hasText: "three lines" }).waitFor();
  const added = (await d.api("GET", `/api/persona/${id}/meanings`)).body.meanings.find((m: { name: string }) => m.name === "write-a-haiku");
  t.match(added, { intention: "The person asks for a poem", source: "person" }, "the daemon stored the meaning");
  t.equal(await name.inputValue(), "", "the form is empty again");

  // Removed only after a question.
  await page.getByRole("button", { name: "Remove write-a-haiku" }).click();
  const ask = page.getByRole("dialog", { name: "Remove write-a-haiku?" });
  await ask.waitFor();
  await page.getByText("Ada will no longer know what to do when the person asks for a poem").waitFor();
  await accessible(t, b, "the question before removing a meaning");
  await b.shot("knowledge-remove-meaning");
  await ask.getByRole("button", { name: "Remove it" }).click();
  await ask.waitFor({ state: "hidden" });
  await meanings.getByText("Removed write-a-haiku.").waitFor();
  t.equal(await page.getByRole("heading", { name: "write-a-haiku" }).count(), 0, "the card is gone");
  const left = (await d.api("GET", `/api/persona/${id}/meanings`)).body.meanings.map((m: { name: string }) => m.name);
  t.same(left.sort(), ["bad-night", "good-morning"], "the daemon removed it");
  clean(t, b);

  // Closing the page with an edit not saved: the browser's own question.
  await page.getByRole("button", { name: "Edit" }).click();
  await text.fill("about to be closed\n");
  const asked = page.waitForEvent("dialog", { timeout: WAIT_MS });
  await page.close({ runBeforeUnload: true });
  const dialog = await asked;
  t.equal(dialog.type(), "beforeunload", "closing asks first");
  await dialog.accept();
});

t.test("a file of hers broken by hand: the daemon's words, naming it, and a way to try again", async (t) => {
  const { d, id } = await herWithMemory(t);
  const notes = path.join(homeOf(d, id), "notes.md");
  fs.rmSync(notes, { force: true });
  fs.mkdirSync(notes);

  const b = await openAt(t, d, `/persona/${id}/knowledge/notes`);
  const { page } = b;
  const alert = page.getByRole("alert").filter({ hasText: "Ada's memory could not be read." });
  await alert.waitFor();
  await alert.getByText(/notes\.md cannot be read: it is a folder, not a file/).waitFor();
  await accessible(t, b, "her memory unreadable");
  await b.shot("knowledge-broken");

  // Put right, and tried again.
  fs.rmdirSync(notes);
  fs.writeFileSync(notes, "# My notes\n\nSam's birthday is on 3 March.\n");
  await alert.getByRole("button", { name: "Try again" }).click();
  await page.getByText("Sam's birthday is on 3 March.").waitFor();
  await alert.waitFor({ state: "detached" });

  // Broken again while she is being edited: the save is refused naming the file; the edit stays.
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Text of notes.md").fill("# My notes\n\nSam's birthday is on 3 March. Order the cake.\n");
  fs.rmSync(notes);
  fs.mkdirSync(notes);
  await page.getByRole("button", { name: "Save" }).click();
  const refused = page.getByRole("alert").filter({ hasText: "notes.md could not be saved." });
  await refused.getByText(/notes\.md cannot be written: it is a folder, not a file/).waitFor();
  await accessible(t, b, "a save refused");
  await b.shot("knowledge-save-refused");
  fs.rmdirSync(notes);
  await refused.getByRole("button", { name: "Try again" }).click();
  await page.getByText("Order the cake.").waitFor();
  t.equal(fs.readFileSync(notes, "utf8"), "# My notes\n\nSam's birthday is on 3 March. Order the cake.\n", "saved once put right");
  clean(t, b);
});

t.test("in the dark, and on a phone", async (t) => {
  const { d, id } = await herWithMemory(t);
  for (const opts of [{ dark: true }, { width: 390, height: 844 }, { width: 390, height: 844, dark: true }]) {
    const b = await openAt(t, d, `/persona/${id}/knowledge/person`, opts);
    const { page } = b;
    await page.getByRole("heading", { name: "What Ada knows about you" }).waitFor();
    await page.getByRole("heading", { name: "good-morning" }).waitFor();
    await accessible(t, b, `a memory file ${JSON.stringify(opts)}`);
    await b.shot("knowledge");
    if (opts.width) {
      // On a phone the files are a list to choose from.
      await page.getByLabel("Memory file", { exact: true }).selectOption({ label: "Hand-off from yesterday" });
      await page.waitForURL(/\/knowledge\/context$/, { timeout: WAIT_MS });
      await page.getByRole("heading", { name: "Hand-off from yesterday", level: 2 }).waitFor();
    }
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel(/^Text of/).fill("# Edited\n\nSomething new.\n");
    await page.getByRole("link", { name: "Your wishes" }).or(page.getByRole("link", { name: "Calendar" })).first().click();
    await page.getByRole("dialog", { name: "Leave without saving?" }).waitFor();
    await accessible(t, b, `the question before leaving ${JSON.stringify(opts)}`);
    await b.shot("knowledge-leave");
    clean(t, b);
  }
});
