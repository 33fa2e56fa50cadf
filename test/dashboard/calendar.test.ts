import t from "tap";
import type { Test } from "tap";
import type { Page } from "playwright-core";
import { living } from "../mind/helpers.js";
import { WAIT_MS, accessible, at, clean, dayOf, homeOf, monthOf, openAt, writeDay, writeFired, writeReminder, writeToday } from "./screens-helpers.js";

// The calendar, driven as a person drives it: a month of her history (archived days, fired
// reminders) and her destiny (reminders to come), the month in the address, today marked with
// its conversation before her night archives it, and a day opening that day's conversation.

/** The first day of the month `by` months from the one `d` is in. */
const monthFrom = (d: Date, by: number) => new Date(d.getFullYear(), d.getMonth() + by, 1, 12);

interface Her {
  d: Awaited<ReturnType<typeof living>>["d"];
  id: string;
  /** Last month, with days of talk and reminders that fired. */
  past: string;
  /** The day of last month whose conversation the test opens. */
  talked: string;
  /** Next month, with reminders to come. */
  next: string;
}

async function herWithAMonth(t: Test): Promise<Her> {
  const { d, id } = await living(t);
  // Resting, so her heartbeat fires nothing while the test reads her calendar.
  t.equal((await d.api("POST", `/api/persona/${id}/stop`)).status, 200, "she rests");
  const home = homeOf(d, id);
  const now = new Date();
  const past = monthOf(monthFrom(now, -1));
  const day = (n: number) => `${past}-${String(n).padStart(2, "0")}`;

  writeDay(home, day(3), [
    ["person", "Good morning, Ada.", at(day(3), 8, 2)],
    ["persona", "Good morning, Sam. Did the night shift go quietly?", at(day(3), 8, 2)],
  ]);
  writeDay(home, day(9), [
    ["person", "I passed the piano exam!", at(day(9), 19, 40)],
    ["persona", "Sam, that is wonderful. Which piece did you play?", at(day(9), 19, 41)],
    ["person", "The Satie. My hands shook the whole time.", at(day(9), 19, 43)],
    ["persona", "And still you played it. I'm proud of you.", at(day(9), 19, 43)],
  ]);
  writeDay(home, day(14), [
    ["person", "Remind me to call my mum tonight?", at(day(14), 12, 5)],
    ["persona", "I will, at half past six.", at(day(14), 12, 5)],
    ["person", "Thank you. Did you call your mum, by the way? Joking.", at(day(14), 12, 6)],
    ["persona", "I have no mum to call — but I'll make sure you call yours.", at(day(14), 12, 6)],
    ["person", "Deal.", at(day(14), 12, 7)],
  ]);
  writeDay(home, day(22), [
    ["person", "Long day. Just saying goodnight.", at(day(22), 23, 10)],
    ["persona", "Goodnight, Sam. Sleep well.", at(day(22), 23, 10)],
  ]);
  writeFired(home, "Take the vitamins", at(day(9), 8, 0), "daily");
  writeFired(home, "Call mum", at(day(14), 18, 30));
  writeFired(home, "Piano practice", at(day(22), 17, 0), "weekly");

  // Said today, not yet archived by her night.
  const seconds = (n: number) => new Date(now.getTime() - n * 1000);
  writeToday(home, [
    ["person", "Are you there?", seconds(3)],
    ["persona", "I'm here, Sam.", seconds(2)],
    ["person", "Good.", seconds(1)],
  ]);

  const next = monthOf(monthFrom(now, 1));
  writeReminder(home, "Dentist at 10:30", at(`${next}-05`, 10, 0));
  writeReminder(home, "Water the plants", at(`${next}-02`, 9, 0), "weekly");
  return { d, id, past, talked: day(14), next };
}

/** How the page says a day and a month, in the browser's own language. */
const longDay = (page: Page, day: string) =>
  page.evaluate((d) => new Date(`${d}T12:00:00`).toLocaleDateString([], { weekday: "long", year: "numeric", month: "long", day: "numeric" }), day);
const shortDay = (page: Page, day: string) => page.evaluate((d) => new Date(`${d}T12:00:00`).toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" }), day);
const monthTitle = (page: Page, month: string) =>
  page.evaluate((m) => new Date(Number(m.slice(0, 4)), Number(m.slice(5)) - 1, 15).toLocaleDateString([], { month: "long", year: "numeric" }), month);

t.test("a month of her history and destiny; months in the address; a day opens its conversation", async (t) => {
  const her = await herWithAMonth(t);
  const { d, id } = her;
  const b = await openAt(t, d, `/persona/${id}/calendar`);
  const { page } = b;
  const months = page.getByRole("group", { name: "Months" });

  // This month: today is marked, and counts as a day of conversation before her night.
  const now = new Date();
  await page.getByRole("heading", { name: await monthTitle(page, monthOf(now)), exact: true }).waitFor();
  const today = page.getByRole("cell", { name: /Today/ });
  await today.getByText("3 messages").waitFor();
  t.equal(await today.getAttribute("aria-current"), "date", "today is marked for a screen reader too");
  await page.getByRole("link", { name: `Conversation of ${await longDay(page, dayOf(now))}: 3 messages` }).waitFor();

  // The month before: its days of talk and its reminders, in the address.
  await months.getByRole("link", { name: "Previous month" }).click();
  await page.waitForURL(new RegExp(`/calendar/${her.past}$`), { timeout: WAIT_MS });
  await page.getByRole("heading", { name: await monthTitle(page, her.past), exact: true }).waitFor();
  const talked = await longDay(page, her.talked);
  await page.getByRole("link", { name: `Conversation of ${talked}: 5 messages` }).waitFor();
  await page.getByRole("cell", { name: new RegExp(`^${talked}`) }).getByText("1 reminder fired").waitFor();
  await page.getByText("4 days of conversation (13 messages) · 3 reminders fired").waitFor();
  // The same month as a list, each reminder with its time and text.
  const agenda = page.locator("et-calendar-agenda");
  await agenda.getByText("Call mum").waitFor();
  await agenda.getByText("Take the vitamins").waitFor();
  await agenda.getByText("every day").waitFor();
  t.equal(await agenda.getByRole("link", { name: /^Read the conversation/ }).count(), 4, "each day of talk can be opened from the list");
  await accessible(t, b, "a past month");
  await b.shot("calendar");

  // Forward again: this month has no month in its address; the next one does, with what is to come.
  await months.getByRole("link", { name: "Next month" }).click();
  await page.waitForURL(new RegExp(`/persona/${id}/calendar$`), { timeout: WAIT_MS });
  await months.getByRole("link", { name: "Next month" }).click();
  await page.waitForURL(new RegExp(`/calendar/${her.next}$`), { timeout: WAIT_MS });
  await page.getByRole("heading", { name: await monthTitle(page, her.next), exact: true }).waitFor();
  await agenda.getByText("Dentist at 10:30").waitFor();
  t.ok((await agenda.getByText("Water the plants").count()) >= 4, "a weekly reminder comes every week of the month");
  t.ok((await page.getByRole("cell").getByText("1 reminder to come").count()) >= 4, "each day says what is to come");
  await accessible(t, b, "a month to come");
  await b.shot("calendar-next");

  // "This month" comes back.
  await months.getByRole("link", { name: "This month" }).click();
  await page.waitForURL(new RegExp(`/persona/${id}/calendar$`), { timeout: WAIT_MS });
  await months.getByRole("link", { name: "This month" }).waitFor({ state: "detached" });
  await page.getByRole("heading", { name: await monthTitle(page, monthOf(now)), exact: true }).waitFor();

  // A month typed in the address that is none.
  await page.evaluate(`location.hash = ${JSON.stringify(`#/persona/${id}/calendar/2026-13`)}`);
  await page.getByText("There is no month “2026-13”.").waitFor();
  await accessible(t, b, "a month that is none");
  await page.getByRole("link", { name: "Go to this month" }).click();
  await page.waitForURL(new RegExp(`/persona/${id}/calendar$`), { timeout: WAIT_MS });

  // A day with a conversation opens it in the chat.
  await page.goto(`${d.url}/#/persona/${id}/calendar/${her.past}`);
  await page.getByRole("link", { name: `Conversation of ${talked}: 5 messages` }).click();
  await page.waitForURL(new RegExp(`/persona/${id}/chat/${her.talked}$`), { timeout: WAIT_MS });
  await page.getByRole("heading", { name: talked }).waitFor();
  await page.getByRole("log").getByText("I'll make sure you call yours").waitFor();
  clean(t, b);
});

t.test("the calendar in the dark and on a phone", async (t) => {
  const her = await herWithAMonth(t);
  for (const opts of [{ dark: true }, { width: 390, height: 844 }, { width: 390, height: 844, dark: true }]) {
    const b = await openAt(t, her.d, `/persona/${her.id}/calendar/${her.past}`, opts);
    const { page } = b;
    await page.getByRole("heading", { name: await monthTitle(page, her.past), exact: true }).waitFor();
    await page.locator("et-calendar-agenda").getByText("Call mum").waitFor();
    await accessible(t, b, `a past month ${JSON.stringify(opts)}`);
    await b.shot("calendar");
    if (opts.width) {
      // On a phone the list says it all, and a day opens from it.
      await page.getByRole("link", { name: `Read the conversation of ${await shortDay(page, her.talked)}` }).click();
      await page.waitForURL(new RegExp(`/chat/${her.talked}$`), { timeout: WAIT_MS });
      await page.getByRole("log").getByText("Deal.").waitFor();
    }
    clean(t, b);
  }
});
