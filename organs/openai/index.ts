import { defineModel } from "eternego/plugin";
import { connect } from "./src/api.js";
import { prepare } from "./src/prepare.js";
import { PRESETS } from "./src/presets.js";
import { seer } from "./src/seer.js";
import { thinker } from "./src/thinker.js";
import { transcriber } from "./src/transcriber.js";

/** Any server speaking the OpenAI API: OpenAI, xAI, Groq, OpenRouter, LM Studio, vLLM, llama.cpp, LocalAI. */
export default defineModel({
  name: "openai",
  version: "0.1.0",
  title: "OpenAI-compatible",
  defaultUrl: "https://api.openai.com/v1",
  // Local servers need no key; the presets say which services do, and prepare refuses those without one.
  needsKey: false,
  roles: ["thinking", "vision", "hearing", "frontier"],
  presets: PRESETS,
  prepare: (spec, ctx) => prepare(connect(spec, ctx)),
  think: (spec, ctx) => thinker(connect(spec, ctx)),
  see: (spec, ctx) => seer(connect(spec, ctx)),
  transcribe: (spec, ctx) => transcriber(connect(spec, ctx)),
});
