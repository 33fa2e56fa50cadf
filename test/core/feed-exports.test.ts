import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { strToU8, zipSync } from "fflate";
import t, { type Test } from "tap";
import { Invalid } from "../../core/api/errors.js";
import { MAX_JSON_BYTES, MAX_ZIP_ENTRIES, readExport, type FedExport } from "../../core/feed-exports.js";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/exports");
const chatgptJson = fs.readFileSync(path.join(fixtures, "chatgpt-conversations.json"));
const claudeJson = fs.readFileSync(path.join(fixtures, "claude-conversations.json"));

/** What the ChatGPT fixture says: only the branch ending at current_node, only what the person saw. */
const CHATGPT: FedExport = {
  source: "chatgpt",
  conversations: [
    {
      title: "Cello lessons",
      started: "2023-11-14T22:13:20.123Z",
      messages: [
        { from: "person", text: "I just started learning the cello at 40. Is that too late?", time: "2023-11-14T22:13:21.500Z" },
        { from: "assistant", text: "Not at all! Many people start an instrument in their forties.", time: "2023-11-14T22:13:30.000Z" },
        { from: "person", text: "Here is a photo of my bow hold. Is it right?", time: "2023-11-14T22:13:50.000Z" },
        { from: "assistant", text: "Your thumb should be bent.\nKeep the little finger curved on top of the stick.", time: "2023-11-14T22:14:00.250Z" },
      ],
    },
    {
      title: "Sleep schedule",
      started: "2024-03-09T16:00:00.000Z",
      messages: [
        { from: "person", text: "Why can't I fall asleep before 2am?", time: null },
        { from: "assistant", text: "Light in the evening can push your body clock later.", time: "2024-03-09T16:00:05.000Z" },
      ],
    },
  ],
};

/** What the Claude fixture says: text blocks joined when `text` is empty, tool blocks and attachments left out, ISO kept as written. */
const CLAUDE: FedExport = {
  source: "claude",
  conversations: [
    {
      title: "Sleep",
      started: "2025-03-01T10:00:00.123456Z",
      messages: [
        { from: "person", text: "I struggle to sleep before 2am.\nEvery night, really.", time: "2025-03-01T10:00:01.654321Z" },
        { from: "assistant", text: "Let's try a wind-down routine: dim lights at 10pm.", time: "2025-03-01T10:00:05.000000Z" },
        { from: "person", text: "Thanks, I will try it tonight.", time: "2025-03-01T10:01:00.000000Z" },
      ],
    },
    {
      title: "",
      started: "2025-04-02T08:30:00.000000Z",
      messages: [{ from: "person", text: "Remind me: my sister's name is Ada.", time: "2025-04-02T08:30:00.000000Z" }],
    },
  ],
};

function write(t: Test, name: string, bytes: Uint8Array | string): string {
  const dir = t.testdir();
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The error readExport refused with, checked to be an Invalid carrying the message. */
async function refused(t: Test, p: Promise<unknown>, message: RegExp, why = "") {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof Invalid, `${why} refused with Invalid (got ${String(err)})`.trim());
  t.match((err as Error | null)?.message, message, why);
}

/** The offset of an entry's central-directory header, where yauzl reads its sizes, flags and method. */
function centralHeader(zip: Uint8Array, entryName: string): number {
  const b = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = b.length - 46; i >= 0; i--) {
    if (b.readUInt32LE(i) !== 0x02014b50) continue;
    if (b.toString("utf8", i + 46, i + 46 + b.readUInt16LE(i + 28)) === entryName) return i;
  }
  throw new Error(`no central header for ${entryName}`);
}

/** An empty ZIP64 archive whose end record claims `count` entries. */
function zip64Claiming(count: number): Buffer {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([record, locator, end]);
}

const conversation = (title: string, current_node: unknown, mapping: Record<string, unknown>) => [{ title, create_time: 1_700_000_000, mapping, current_node }];
const msg = (role: string, text: string) => ({ author: { role }, content: { content_type: "text", parts: [text] }, create_time: 1_700_000_000 });

t.test("a ChatGPT conversations.json: the branch that ends at current_node, people and assistant only, times as ISO", async (t) => {
  t.strictSame(await readExport(write(t, "conversations.json", chatgptJson), "conversations.json"), CHATGPT);
});

t.test("a ChatGPT export .zip with conversations.json in a folder beside the rest of the export", async (t) => {
  const zip = zipSync({
    "Export-2025/chat.html": strToU8("<html><body>conversations</body></html>"),
    "Export-2025/user.json": strToU8('{"id":"user-1","email":"a@b.c"}'),
    "Export-2025/conversations.json": chatgptJson,
    "Export-2025/file-AbC123-bow.jpg": new Uint8Array(4096),
  });
  t.strictSame(await readExport(write(t, "upload-1", zip), "chatgpt-export.zip"), CHATGPT);
  t.strictSame(await readExport(write(t, "upload-2", zip), "chatgpt-export.zip", "chatgpt"), CHATGPT, "with source given, too");
});

t.test("a Claude conversations.json: text blocks when text is empty, tool blocks and attachments left out, ISO kept", async (t) => {
  t.strictSame(await readExport(write(t, "conversations.json", claudeJson), "conversations.json"), CLAUDE);
  t.strictSame(await readExport(write(t, "conversations.json", claudeJson), "conversations.json", "claude"), CLAUDE, "with source given, too");
});

t.test("a Claude export .zip (stored, not deflated) beside users.json and projects.json", async (t) => {
  const zip = zipSync({ "users.json": strToU8("[]"), "projects.json": strToU8("[]"), "conversations.json": [claudeJson, { level: 0 }] });
  t.strictSame(await readExport(write(t, "upload", zip), "data-2025-03-02.zip"), CLAUDE);
});

t.test("the kind is read from the content, not the file name; a UTF-8 byte-order mark is fine", async (t) => {
  const zip = zipSync({ "conversations.json": claudeJson });
  t.equal((await readExport(write(t, "upload", zip), "history.json")).source, "claude", "a zip named .json is read as a zip");
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), chatgptJson]);
  t.strictSame(await readExport(write(t, "upload", bom), "conversations.json"), CHATGPT);
});

t.test("a source that disagrees with the structure is refused, saying what it looks like", async (t) => {
  await refused(t, readExport(write(t, "a.json", chatgptJson), "conversations.json", "claude"), /sent as a claude export, but it looks like a chatgpt export\. Send source=chatgpt/);
  const zip = zipSync({ "conversations.json": claudeJson });
  await refused(t, readExport(write(t, "b.zip", zip), "export.zip", "chatgpt"), /sent as a chatgpt export, but it looks like a claude export\. Send source=claude/);
});

t.test("ChatGPT trees that are odd but real: no current_node, a parent cycle, absurd times", async (t) => {
  const tree = {
    root: { id: "root", message: null, parent: null, children: ["u"] },
    u: { id: "u", message: msg("user", "hello"), parent: "root", children: ["old", "new"] },
    old: { id: "old", message: msg("assistant", "OLD"), parent: "u", children: [] },
    new: { id: "new", message: msg("assistant", "NEW"), parent: "u", children: [] },
  };
  const noCurrent = await readExport(write(t, "a.json", JSON.stringify(conversation("No current", undefined, tree))), "a.json");
  t.strictSame(
    noCurrent.conversations[0]!.messages.map((m) => m.text),
    ["hello", "NEW"],
    "without current_node, the newest child at each fork",
  );
  const unknownCurrent = await readExport(write(t, "b.json", JSON.stringify(conversation("Bad current", "__proto__", tree))), "b.json");
  t.strictSame(unknownCurrent.conversations[0]!.messages.map((m) => m.text), ["hello", "NEW"], "a current_node that is not in the mapping counts as none");

  const cycle = {
    a: { id: "a", message: msg("user", "A"), parent: "b", children: ["b"] },
    b: { id: "b", message: { ...msg("assistant", "B"), create_time: 1e20 }, parent: "a", children: ["a"] },
  };
  const looped = await readExport(write(t, "c.json", JSON.stringify(conversation("Cycle", "b", cycle))), "c.json");
  t.strictSame(looped.conversations[0]!.messages, [
    { from: "person", text: "A", time: "2023-11-14T22:13:20.000Z" },
    { from: "assistant", text: "B", time: null },
  ], "a parent loop ends; a time past the calendar is null");
});

t.test("files that are not JSON are refused with what to upload instead", async (t) => {
  const how = /Upload the \.zip your ChatGPT or Claude data export gave you/;
  await refused(t, readExport(write(t, "a", "hello there"), "notes.txt"), /'notes\.txt' is not JSON/);
  await refused(t, readExport(write(t, "a", "<!DOCTYPE html><html></html>"), "chat.html"), /'chat\.html' is not JSON \(it does not start like JSON: "<!DOCTYPE/);
  await refused(t, readExport(write(t, "a", "hello"), "notes.txt"), how);
  await refused(t, readExport(write(t, "a", ""), "conversations.json"), /'conversations\.json' is empty/);
  await refused(t, readExport(write(t, "a", " \n\t "), "conversations.json"), /is empty/);
  await refused(t, readExport(write(t, "a", chatgptJson.subarray(0, chatgptJson.length / 2)), "conversations.json"), /is not JSON \(it is cut short/);
  await refused(t, readExport(write(t, "a", '[{"mapping": {}}, {"mapping": ]'), "conversations.json"), /is not JSON \(item at byte 18 is malformed\)/);
  await refused(t, readExport(write(t, "a", '[{"mapping": {}}] trailing'), "conversations.json"), /is not JSON \(something follows the list at byte 18\)/);
  await refused(t, readExport(write(t, "a", '[{"mapping": {}} {"mapping": {}}]'), "conversations.json"), /is not JSON \(unexpected "\{" at byte 17\)/);
  await refused(t, readExport(write(t, "a", "[1,]"), "conversations.json"), /is not JSON \(item at byte 3 is malformed\)/);
  await refused(t, readExport(write(t, "a", "[".repeat(1_000_000)), "conversations.json"), /is not JSON \(it is cut short/, "deep nesting ends, it does not hang or overflow");
});

t.test("JSON that is not a list of conversations is refused", async (t) => {
  await refused(t, readExport(write(t, "a", JSON.stringify(JSON.parse(chatgptJson.toString())[0])), "conversation.json"), /is JSON, but an object, not a list of conversations/);
  await refused(t, readExport(write(t, "a", '"just a string"'), "conversations.json"), /is JSON, but a string, not a list/);
  await refused(t, readExport(write(t, "a", "42"), "conversations.json"), /is JSON, but a number, not a list/);
  await refused(t, readExport(write(t, "a", JSON.stringify([{ id: 1, email: "a@b.c" }, "x", null, 3])), "users.json"), /'users\.json' is a list, but not of ChatGPT conversations \(with 'mapping'\) or Claude conversations \(with 'chat_messages'\)/);
  await refused(t, readExport(write(t, "a", "[".repeat(100_000) + "]".repeat(100_000)), "conversations.json"), /is a list, but not of ChatGPT conversations/, "deep but well-formed");
  await refused(t, readExport(write(t, "a", "[]"), "conversations.json"), /'conversations\.json' has no conversations in it/);
  await refused(t, readExport(write(t, "a", " [ \n ] \n"), "conversations.json"), /has no conversations in it/);
  const silent = [{ uuid: "x", name: "Quiet", created_at: "2025-01-01T00:00:00Z", chat_messages: [{ sender: "human", text: "  ", content: [] }] }];
  await refused(t, readExport(write(t, "a", JSON.stringify(silent)), "conversations.json"), /has no conversations with any text in them/);
});

t.test("zips that are not a readable export are refused", async (t) => {
  const good = zipSync({ "Export/conversations.json": chatgptJson });
  await refused(t, readExport(write(t, "a", "just text"), "export.zip"), /'export\.zip' is not a zip archive/);
  await refused(t, readExport(write(t, "a", Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(2000, 7)])), "export.zip"), /'export\.zip' is not a readable zip archive: it is damaged or cut short/);
  await refused(t, readExport(write(t, "a", good.subarray(0, good.length - 100)), "export.zip"), /is not a readable zip archive/, "cut short");

  const badDirectory = Buffer.from(good);
  badDirectory.writeUInt32LE(0xdeadbeef, centralHeader(good, "Export/conversations.json"));
  await refused(t, readExport(write(t, "a", badDirectory), "export.zip"), /'export\.zip' is a damaged zip archive: its list of files cannot be read/);

  const badData = Buffer.from(good);
  for (let i = 60; i < 200; i++) badData[i] = 0xff;
  await refused(t, readExport(write(t, "a", badData), "export.zip"), /conversations\.json inside 'export\.zip' is damaged and cannot be unpacked/);

  const none = zipSync({ "Export/chat.html": strToU8("<html></html>"), "Export/conversations.json.bak": strToU8("[]") });
  await refused(t, readExport(write(t, "a", none), "export.zip"), /'export\.zip' has no conversations\.json in it\. Upload the \.zip/);
  await refused(t, readExport(write(t, "a", zipSync({})), "empty.zip"), /'empty\.zip' has no conversations\.json in it/, "an empty zip");
  await refused(t, readExport(write(t, "a", zipSync({ "Export/conversations.json": strToU8("[]") })), "export.zip"), /'export\.zip' has no conversations in it/);
});

t.test("names that climb out of the archive are ignored, and nothing is written anywhere", async (t) => {
  const dir = t.testdir({ "upload.zip": "" });
  const hostile = zipSync({
    "../conversations.json": claudeJson,
    "/tmp/conversations.json": claudeJson,
    "C:/conversations.json": claudeJson,
    "..\\..\\conversations.json": claudeJson,
    "__MACOSX/conversations.json": claudeJson,
  });
  fs.writeFileSync(path.join(dir, "upload.zip"), hostile);
  await refused(t, readExport(path.join(dir, "upload.zip"), "export.zip"), /has no conversations\.json in it/);

  const mixed = zipSync({ "../conversations.json": claudeJson, "deep/er/conversations.json": claudeJson, "Export/conversations.json": chatgptJson });
  fs.writeFileSync(path.join(dir, "upload.zip"), mixed);
  t.strictSame(await readExport(path.join(dir, "upload.zip"), "export.zip"), CHATGPT, "the shallowest safe conversations.json is read");
  t.strictSame(fs.readdirSync(dir), ["upload.zip"], "nothing was unpacked beside the upload");
  t.notOk(fs.existsSync(path.join(dir, "..", "conversations.json")), "nor above it");
});

t.test("zip bombs and oversized exports are refused before they are unpacked", async (t) => {
  const good = zipSync({ "conversations.json": chatgptJson });
  const at = centralHeader(good, "conversations.json");

  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xfffffff0, at + 24);
  await refused(t, readExport(write(t, "a", huge), "export.zip"), /conversations\.json inside 'export\.zip' is larger than 512 MiB unpacked \(4096 MiB\)/);

  const justOver = Buffer.from(good);
  justOver.writeUInt32LE(MAX_JSON_BYTES + 1, at + 24);
  await refused(t, readExport(write(t, "a", justOver), "export.zip"), /is larger than 512 MiB unpacked \(512 MiB\)/, "one byte over the cap");

  // A bomb that lies: the directory promises 64 bytes, the data inflates to 8 MiB of spaces.
  const liar = Buffer.from(zipSync({ "conversations.json": strToU8("[" + " ".repeat(8 * 1024 ** 2) + "]") }));
  liar.writeUInt32LE(64, centralHeader(liar, "conversations.json") + 24);
  await refused(t, readExport(write(t, "a", liar), "export.zip"), /conversations\.json inside 'export\.zip' is damaged and cannot be unpacked/);

  await refused(t, readExport(write(t, "a", zip64Claiming(MAX_ZIP_ENTRIES + 1)), "export.zip"), new RegExp(`'export\\.zip' lists ${MAX_ZIP_ENTRIES + 1} files; a chat export has far fewer`));
  await refused(t, readExport(write(t, "a", zip64Claiming(MAX_ZIP_ENTRIES)), "export.zip"), /has no conversations\.json in it|damaged zip archive/, "at the cap it is read (and found wanting)");

  const big = write(t, "big.json", "");
  fs.truncateSync(big, MAX_JSON_BYTES + 1);
  await refused(t, readExport(big, "conversations.json"), /'conversations\.json' is larger than 512 MiB \(512 MiB\)/);
});

t.test("an encrypted conversations.json, or one packed with an unknown method, is refused by name", async (t) => {
  const good = zipSync({ "conversations.json": chatgptJson });
  const at = centralHeader(good, "conversations.json");
  const encrypted = Buffer.from(good);
  encrypted.writeUInt16LE(encrypted.readUInt16LE(at + 8) | 1, at + 8);
  await refused(t, readExport(write(t, "a", encrypted), "export.zip"), /conversations\.json inside 'export\.zip' is encrypted/);
  const lzma = Buffer.from(good);
  lzma.writeUInt16LE(14, at + 10);
  await refused(t, readExport(write(t, "a", lzma), "export.zip"), /packed with a compression this daemon does not read \(method 14\)/);
});
