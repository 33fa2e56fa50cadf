// A Node client: makes a persona, follows her live over socket.io, talks to her over HTTP,
// and lets her go. Run it against a daemon and an Ollama (the fake one is enough):
//
//   API=http://127.0.0.1:5000 OLLAMA_URL=http://127.0.0.1:11435 node examples/node-client.mjs
//
// Needs only Node 20 and socket.io-client (npm install socket.io-client).
import { io } from "socket.io-client";

const API = process.env.API ?? "http://127.0.0.1:5000";
const OLLAMA_URL = process.env.OLLAMA_URL ?? "http://127.0.0.1:11435";

async function call(method, path, body) {
  const res = await fetch(API + path, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data.detail)}`);
  return data;
}

const { persona, recovery_phrase } = await call("POST", "/api/persona/create", {
  name: "Ada",
  organs: { thinking: { provider: "ollama", model: process.env.MODEL ?? "llama3.2", url: OLLAMA_URL } },
});
console.log(`Made ${persona.name} (${persona.id}); keep her phrase: ${recovery_phrase.split(" ").slice(0, 3).join(" ")} …`);

const socket = io(API, { transports: ["websocket"] });
await new Promise((resolve, reject) => (socket.once("connect", resolve), socket.once("connect_error", reject)));
const ack = await socket.timeout(5000).emitWithAck("persona:watch", persona.id);
if (!ack.ok) throw new Error(`watch refused: ${JSON.stringify(ack.detail)}`);

socket.on("mind:activity", (e) => console.log(`  (she is ${e.activity})`));
const answered = new Promise((resolve) => socket.on("chat:message", (e) => {
  console.log(`${e.from === "person" ? "You" : persona.name}: ${e.text}`);
  if (e.from === "persona") resolve(e);
}));

// 202 at once: her answer comes as a chat:message event.
const sent = await call("POST", `/api/persona/${persona.id}/read`, { message: "Hello! What can you do?" });
console.log(`Sent (${sent.status}), message ${sent.id}`);
const reply = await Promise.race([answered, new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 30 s")), 30_000))]);
console.log(`Her answer arrived live, at ${reply.time}.`);

socket.close();
await call("POST", `/api/persona/${persona.id}/delete`);
console.log("Deleted her; done.");
