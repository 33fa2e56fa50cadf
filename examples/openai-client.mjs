// An OpenAI-SDK client, unchanged but for the base URL: lists the personas as models and talks
// to one, her words streamed as she says them. Run it against a daemon with a running persona:
//
//   API=http://127.0.0.1:5000 MODEL=Ada node examples/openai-client.mjs
//
// Needs the `openai` package (npm install openai).
import OpenAI from "openai";

const API = process.env.API ?? "http://127.0.0.1:5000";
const openai = new OpenAI({ baseURL: `${API}/v1`, apiKey: "not-needed-on-loopback" });

const models = [];
for await (const m of openai.models.list()) models.push(m);
console.log(`Personas: ${models.map((m) => `${m.name} (${m.id})`).join(", ") || "none"}`);
const model = process.env.MODEL ?? models[0]?.id;
if (!model) throw new Error("No persona to talk to: create one first.");

const stream = await openai.chat.completions.create({
  model,
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: process.env.MESSAGE ?? "Tell me something about today." }],
});
process.stdout.write(`${model}: `);
for await (const chunk of stream) {
  if (chunk.usage) console.log(`\n(${chunk.usage.prompt_tokens} tokens in, ${chunk.usage.completion_tokens} out)`);
  else process.stdout.write(chunk.choices[0]?.delta.content ?? "");
}

try {
  await openai.chat.completions.create({ model: "nobody-by-this-name", messages: [{ role: "user", content: "hi" }] });
} catch (err) {
  console.log(`An unknown persona is the SDK's ${err.constructor.name} (${err.status}): ${err.message}`);
}
