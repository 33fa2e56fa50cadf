import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import type { PersonaChangedEvent } from "../../core/api/events.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { connect, request, waitFor, type Client } from "../fixtures/plugins-host/net.js";
import { startDaemon } from "../helpers/daemon.js";

const API_KEY = "sk-realtime-test-9f8e7d6c5b4a39281706";

async function setup(t: Test) {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const c = await connect(d.url);
  t.teardown(() => c.socket.close());
  t.equal(c.connected, true, `socket connected (${c.error?.message ?? "ok"})`);
  const events: PersonaChangedEvent[] = [];
  c.socket.on("persona:changed", (e) => events.push(e));
  return { ...d, ollama, socket: c.socket as Client, events };
}

t.test("persona:changed follows create, stop, start and delete", async (t) => {
  const { api, ollama, events, url } = await setup(t);
  // A second client sees the same broadcast.
  const other = await connect(url, { transports: ["websocket"] });
  t.teardown(() => other.socket.close());
  const otherEvents: PersonaChangedEvent[] = [];
  other.socket.on("persona:changed", (e) => otherEvents.push(e));

  const created = await api("POST", "/api/persona/create", {
    name: "Ada",
    organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url, api_key: API_KEY } },
  });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const id: string = created.body.persona.id;
  const mine = () => events.filter((e) => e.id === id);

  const createdEvent = await waitFor("persona:changed created", () => mine().find((e) => e.change === "created"));
  t.equal(createdEvent.persona?.id, id);
  t.equal(createdEvent.persona?.name, "Ada");
  t.equal(createdEvent.persona?.organs.thinking?.has_key, true, "the view says she has a key…");
  t.type(createdEvent.time, "number", "time is epoch milliseconds");
  t.ok(Math.abs(createdEvent.time - Date.now()) < 60_000, "…and a sane one (not nanoseconds)");
  await waitFor("state running", () => mine().find((e) => e.change === "state" && e.persona?.state === "running"));
  await waitFor("the second client's created event", () => otherEvents.find((e) => e.id === id && e.change === "created"));

  let mark = events.length;
  t.same((await api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  const stopStatus = await waitFor("status → hibernate", () => events.slice(mark).find((e) => e.id === id && e.change === "status"));
  t.equal(stopStatus.persona?.status, "hibernate");
  t.equal(stopStatus.persona?.running, false);
  const states = () => events.slice(mark).filter((e) => e.id === id && e.change === "state").map((e) => e.persona?.state);
  await waitFor("state events stopping → stopped", () => states().includes("stopped"));
  t.same(states(), ["stopping", "stopped"], "the state machine as it moved");

  mark = events.length;
  t.same((await api("POST", `/api/persona/${id}/start`)).body, { status: "started" });
  const startStatus = await waitFor("status → active", () => events.slice(mark).find((e) => e.id === id && e.change === "status"));
  t.equal(startStatus.persona?.status, "active");
  await waitFor("state events starting → running", () => states().includes("running"));
  t.same(states(), ["starting", "running"]);

  mark = events.length;
  t.equal((await api("POST", `/api/persona/${id}/update`, { name: "Ada Lovelace" })).status, 200);
  const updated = await waitFor("updated", () => events.slice(mark).find((e) => e.id === id && e.change === "updated"));
  t.equal(updated.persona?.name, "Ada Lovelace");

  mark = events.length;
  t.same((await api("POST", `/api/persona/${id}/delete`)).body, { deleted: id });
  const deleted = await waitFor("deleted", () => events.slice(mark).find((e) => e.id === id && e.change === "deleted"));
  t.equal(deleted.persona, undefined, "a deleted persona carries no view");

  const wire = JSON.stringify(events) + JSON.stringify(otherEvents);
  t.notOk(wire.includes(API_KEY), "no event carries her api key");
  t.notOk(/api_key|diary_key|secret/i.test(wire), "…nor any secret-looking field");
  t.ok(events.every((e) => e.id === id), "only her events were sent");
});

t.test("persona:watch and chat:send acknowledge with the HTTP error shapes", async (t) => {
  const { api, ollama, socket, home } = await setup(t);

  const unknown = crypto.randomUUID();
  const watchUnknown = await request(socket, "persona:watch", unknown);
  t.match(watchUnknown, { ok: false, status: 404 }, "watching an unknown persona: 404");
  t.type(watchUnknown.detail, "string");
  t.match(await request(socket, "persona:watch", "../../etc"), { ok: false, status: 404 }, "a junk id is a 404 too");

  const created = await api("POST", "/api/persona/create", { name: "Bea", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201);
  const id: string = created.body.persona.id;

  t.same(await request(socket, "persona:watch", id), { ok: true, data: { watching: id } }, "watching her works");
  t.same(await request(socket, "persona:unwatch", id), { ok: true, data: { watching: null } });

  const sendUnknown = await request(socket, "chat:send", { persona: unknown, message: "hi" });
  t.match(sendUnknown, { ok: false, status: 404 }, "chat:send to an unknown persona: 404");

  const sendRunning = await request(socket, "chat:send", { persona: id, message: "hi" });
  t.match(sendRunning, { ok: true, data: { status: "received", id: String } }, "chat:send to a running persona is received, like read");
  const conv = fs.readFileSync(path.join(home, "personas", id, "home", "conversation.jsonl"), "utf8");
  t.match(conv, new RegExp(`"id":"${sendRunning.data.id}".*"from":"person".*"text":"hi"`), "and written to her conversation");
  for (const bad of [{ persona: id }, { persona: id, message: "" }, { persona: id, message: 42 }, { persona: id, message: "x".repeat(100_001) }]) {
    t.match(await request(socket, "chat:send", bad), { ok: false, status: 422, detail: [{ loc: ["payload", "message"] }] }, `refused: ${JSON.stringify(bad).slice(0, 60)}`);
  }
  const extra = await request(socket, "chat:send", { persona: id, message: "hi", admin: true });
  t.match(extra, { ok: false, status: 422, detail: [{ loc: ["payload", "admin"], type: "object.unknown" }] }, "an unknown field is refused as on HTTP");
  for (const bad of [{ x: 1 }, 42, ["a"], null, "x".repeat(65)]) {
    const r = await request(socket, "persona:watch", bad);
    t.match(r, { ok: false, status: 422, detail: [{ loc: ["payload"], msg: String, type: String }] }, `persona:watch ${JSON.stringify(bad).slice(0, 20)}: the 422 list, as HTTP renders it`);
    t.notMatch(JSON.stringify(r), /object Object/, "never '[object Object]'");
  }

  // A message without an ack is still heard.
  t.same(await request(socket, "persona:watch", id), { ok: true, data: { watching: id } });
  const heard = new Promise<{ text: string; from: string }>((resolve) => socket.on("chat:message", (e) => e.from === "person" && e.text === "no ack needed" && resolve(e)));
  socket.emit("chat:send", { persona: id, message: "no ack needed" });
  t.match(await heard, { from: "person", text: "no ack needed" }, "chat:send without an ack reaches her");

  t.same((await api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  const sendStopped = await request(socket, "chat:send", { persona: id, message: "hi" });
  t.match(sendStopped, { ok: false, status: 409 }, "chat:send to a stopped persona: 409");
  t.match(sendStopped.detail, /not running/);
  t.match(sendStopped.detail, /start/, "the detail says how to start her");

  const sendJunk = await request(socket, "chat:send", null);
  t.match(sendJunk, { ok: false }, "a malformed chat:send is refused, not crashed on");
  t.ok(socket.connected, "the socket survives every refusal");
});
