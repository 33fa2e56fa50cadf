import t from "tap";
import { decide, living, watch } from "./helpers.js";

// Her words stream as a draft: her message completes it, or chat:withdrawn takes it back.
// Nothing she did not say stays on screen; no JSON and no <think> block ever streams.

/** Every event of hers in order, until her answer (or a withdrawal) for one message has settled. */
function record(socket: Awaited<ReturnType<typeof watch>>) {
  const events: { name: string; e: any }[] = [];
  for (const name of ["chat:delta", "chat:withdrawn", "chat:message"] as const) socket.on(name, (e: any) => events.push({ name, e }));
  return events;
}

t.test("an answer that does not fit the schema is withdrawn, and the one asked for again completes a new draft", async (t) => {
  const { d, ollama, id } = await living(t);
  const broken = '{"say": "I will not fit", "tools": "not-a-list"';
  ollama.reply({ chunks: broken.match(/.{1,5}/gs)! }, { chunks: decide("This one fits.").match(/.{1,5}/gs)! });
  const socket = await watch(t, d, id);
  const events = record(socket);
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hi" });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.same(r.body.replies.map((x: { text: string }) => x.text), ["This one fits."]);
  const drafts = [...new Set(events.filter((x) => x.name === "chat:delta").map((x) => x.e.draft))];
  t.equal(drafts.length, 2, "two drafts: the refused answer and the one that fit");
  const [first, second] = drafts;
  const text = (draft: string) => events.filter((x) => x.name === "chat:delta" && x.e.draft === draft).map((x) => x.e.text).join("");
  t.equal(text(first), "I will not fit", "the first draft streamed only her words");
  t.equal(text(second), "This one fits.");
  const withdrawn = events.filter((x) => x.name === "chat:withdrawn");
  t.match(withdrawn, [{ e: { persona: id, reply_to: r.body.id, draft: first, time: Number } }], "the refused draft is withdrawn, once");
  const mine = events.filter((x) => x.name === "chat:message" && x.e.from === "persona");
  t.match(mine, [{ e: { text: "This one fits.", draft: second } }], "her message completes the second draft");
  const order = events.map((x) => `${x.name}:${x.e.draft ?? ""}`);
  t.ok(order.indexOf(`chat:withdrawn:${first}`) < order.findIndex((o) => o === `chat:delta:${second}`), "the first is withdrawn before the second begins");
});

t.test("a draft whose thought then fails, or says nothing, is withdrawn", async (t) => {
  const { d, ollama, id } = await living(t, { env: { ETERNEGO_FAULT_RETRY_MS: "20" } });
  ollama.reply({ chunks: ['{"say": "Half a', " thought"], error: "llama runner process has terminated" }, { chunks: [decide("")] });
  const socket = await watch(t, d, id);
  const events = record(socket);
  const idle = new Promise<void>((resolve) => {
    let beats = 0;
    socket.on("mind:activity", (e) => e.activity === "idle" && ++beats === 2 && resolve());
  });
  const r = await d.api("POST", `/api/persona/${id}/read`, { message: "hi" });
  t.equal(r.status, 202);
  await idle;
  const deltas = events.filter((x) => x.name === "chat:delta");
  t.equal(deltas.map((x) => x.e.text).join(""), "Half a thought", "the words streamed before the organ failed");
  t.match(events.filter((x) => x.name === "chat:withdrawn"), [{ e: { draft: deltas[0]!.e.draft } }], "and are withdrawn when it fails");
  t.same(events.filter((x) => x.name === "chat:message" && x.e.from === "persona"), [], "her silence is not a message");
});

t.test("a <think> block, prose around the JSON and the other fields never stream as her words", async (t) => {
  const { d, ollama, id } = await living(t);
  const answer = `<think>The person greets me. {"say": "not this"}</think>\n\nSure! Here is my answer:\n\`\`\`json\n${JSON.stringify({ tools: [{ name: "save_note", args: { text: "say hi" } }], say: 'Hi "there"\n— you', task: "" })}\n\`\`\``;
  ollama.reply({ chunks: answer.match(/.{1,3}/gs)! });
  const socket = await watch(t, d, id);
  const events = record(socket);
  const r = await d.api("POST", `/api/persona/${id}/read?wait=10`, { message: "hello" });
  t.equal(r.status, 200, JSON.stringify(r.body));
  const streamed = events.filter((x) => x.name === "chat:delta").map((x) => x.e.text).join("");
  t.equal(streamed, 'Hi "there"\n— you', "only her say streamed, decoded");
  t.equal(r.body.replies[0].text, 'Hi "there"\n— you');
  t.notMatch(streamed, /think|Sure|json|save_note|not this/, "nothing else");
});
