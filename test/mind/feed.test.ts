import fs from "node:fs";
import path from "node:path";
import { Zip, ZipDeflate, zipSync, strToU8 } from "fflate";
import t from "tap";
import type { ChatRequest } from "../fixtures/fake-ollama.js";
import { living, watch, when } from "./helpers.js";

const isFeed = (req: ChatRequest) => JSON.stringify(req.format ?? {}).includes('"struggles"') && !JSON.stringify(req.format ?? {}).includes('"persona_trait"');

/** A ChatGPT conversations.json: one conversation with an edited branch that must not be read. */
function chatgptExport() {
  const node = (id: string, parent: string | null, children: string[], role: string | null, text: string, t = 1_700_000_000) => ({
    id,
    parent,
    children,
    message: role ? { id, author: { role }, content: { content_type: "text", parts: [text] }, create_time: t } : null,
  });
  return [
    {
      title: "Cello lessons",
      create_time: 1_700_000_000.5,
      update_time: 1_700_000_100,
      current_node: "a2",
      mapping: {
        root: node("root", null, ["u1"], null, ""),
        u1: node("u1", "root", ["a1", "u1b"], "user", "I just started learning the cello at 40."),
        a1: node("a1", "u1", ["a2"], "assistant", "That's wonderful!"),
        u1b: node("u1b", "u1", [], "user", "THIS BRANCH WAS EDITED AWAY"),
        a2: node("a2", "a1", [], "assistant", "Practice 20 minutes a day."),
      },
    },
  ];
}

const claudeExport = [
  {
    uuid: "c1",
    name: "Sleep",
    created_at: "2025-03-01T10:00:00Z",
    chat_messages: [
      { sender: "human", text: "", content: [{ type: "text", text: "I struggle to sleep before 2am." }], created_at: "2025-03-01T10:00:00Z" },
      { sender: "assistant", text: "Let's try a wind-down routine.", created_at: "2025-03-01T10:00:05Z" },
    ],
  },
];


function upload(name: string, bytes: Uint8Array | string, source?: string) {
  const f = new FormData();
  f.append("history", new Blob([bytes]), name);
  if (source) f.append("source", source);
  return f;
}

t.test("feed: a ChatGPT export (.zip or conversations.json) teaches her the person, with progress; a Claude one too", async (t) => {
  const { d, ollama, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  ollama.brain = (req) => {
    if (!isFeed(req)) return undefined;
    const said = req.messages.at(-1)!.content;
    return JSON.stringify({
      person: `# What I know about the person\n\n${said.includes("cello at 40") ? "- Started the cello at 40." : ""}${said.includes("before 2am") ? "- Struggles to sleep before 2am." : ""}`,
      traits: said.includes("cello") ? "Brave about new things." : "",
      wishes: "",
      struggles: said.includes("2am") ? "Sleeping early." : "",
    });
  };
  const socket = await watch(t, d, id);
  const progress: any[] = [];
  const activity: string[] = [];
  socket.on("feed:progress", (e) => progress.push(e));
  socket.on("mind:activity", (e) => activity.push(e.activity));

  const zip = zipSync({ "Export/conversations.json": strToU8(JSON.stringify(chatgptExport())), "Export/chat.html": strToU8("<html></html>") });
  const r = await d.api("POST", `/api/persona/${id}/feed`, upload("chatgpt-export.zip", zip));
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.same(r.body, { source: "chatgpt", conversations: 1, messages: 3, read: 1, updated: ["person", "traits"] });
  const sent = calls().filter(isFeed)[0]!.messages.at(-1)!.content;
  t.match(sent, /Person: I just started learning the cello at 40\.[\s\S]*Assistant: Practice 20 minutes a day\./);
  t.notMatch(sent, /EDITED AWAY/, "only the branch that was kept");
  t.equal(fs.readFileSync(path.join(home, "person.md"), "utf8"), "# What I know about the person\n\n- Started the cello at 40.\n");
  t.equal(fs.readFileSync(path.join(home, "traits.md"), "utf8"), "# The person's traits\n\nBrave about new things.\n");
  // "idle" is pushed once her reading is over, after every feed:progress of it, on the same socket.
  await when(socket, "mind:activity", () => activity.includes("idle"), "mind:activity idle after the feed");
  t.same(activity, ["reflecting", "idle"]);
  t.same(progress.map((p) => [p.done, p.total]), [[0, 1], [1, 1]]);

  const c = await d.api("POST", `/api/persona/${id}/feed`, upload("conversations.json", JSON.stringify(claudeExport)));
  t.equal(c.status, 200, JSON.stringify(c.body));
  t.match(c.body, { source: "claude", conversations: 1, messages: 2, updated: ["person", "struggles"] });
  t.match(fs.readFileSync(path.join(home, "struggles.md"), "utf8"), /Sleeping early/);
});

t.test("feed: malformed exports are 400 with a reason, and nothing is written", async (t) => {
  const { d, id, calls } = await living(t);
  const home = path.join(d.home, "personas", id, "home");
  const snapshot = () => Object.fromEntries(["person.md", "traits.md", "wishes.md", "struggles.md"].map((f) => [f, fs.readFileSync(path.join(home, f), "utf8")]));
  const before = snapshot();
  const cases: [string, Uint8Array | string, RegExp, string?][] = [
    ["conversations.json", "{not json", /is not JSON/],
    ["conversations.json", JSON.stringify({ conversations: [] }), /not a list of conversations/],
    ["conversations.json", "[]", /has no conversations/],
    ["conversations.json", JSON.stringify([{ hello: 1 }]), /not of ChatGPT conversations/],
    ["conversations.json", JSON.stringify(claudeExport), /looks like a claude export/, "chatgpt"],
    ["export.zip", "PK\x03\x04 this is not really a zip at all", /zip/],
    ["export.zip", "just text", /is not a zip archive/],
    ["export.zip", zipSync({ "readme.txt": strToU8("hi") }), /has no conversations\.json/],
    ["export.zip", zipSync({ "conversations.json": strToU8(JSON.stringify(chatgptExport())) }).slice(0, 60), /cut short|not a readable zip|damaged/],
    ["../../escape.json", JSON.stringify(claudeExport).slice(0, 10), /is not JSON/],
  ];
  for (const [name, bytes, why, source] of cases) {
    const r = await d.api("POST", `/api/persona/${id}/feed`, upload(name, bytes, source));
    t.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
    t.match(r.body.detail, why);
  }
  t.equal((await d.api("POST", `/api/persona/${id}/feed`, upload("history.pdf", "x"))).status, 415);
  t.equal((await d.api("POST", `/api/persona/${id}/feed`, upload("conversations.json", "[]", "gemini"))).status, 422);
  t.same(snapshot(), before, "her files are untouched");
  t.equal(calls().length, 0, "no model call for a file that is not an export");
  t.notOk(fs.existsSync(path.join(d.home, "escape.json")));
});

t.test("feed: a zip bomb is refused at the cap without filling memory", async (t) => {
  const { d, id } = await living(t);
  // 600 MiB of spaces compress to well under a MiB; the cap is 512 MiB unpacked. Built as a
  // stream, one MiB at a time, so the test itself never holds the 600 MiB either.
  const out: Uint8Array[] = [];
  const zipper = new Zip((err, chunk) => {
    if (err) throw err;
    out.push(chunk);
  });
  const entry = new ZipDeflate("conversations.json", { level: 1 });
  zipper.add(entry);
  const mib = new Uint8Array(1024 ** 2).fill(0x20);
  for (let i = 0; i < 600; i++) entry.push(mib, i === 599);
  zipper.end();
  const zip = new Uint8Array(Buffer.concat(out));
  const r = await d.api("POST", `/api/persona/${id}/feed`, upload("bomb.zip", zip));
  t.equal(r.status, 400);
  t.match(r.body.detail, /larger than 512 MiB unpacked/);
});
