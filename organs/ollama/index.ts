import { defineModel } from "eternego/plugin";
import { connect } from "./src/api.js";
import { prepare } from "./src/prepare.js";
import { seer } from "./src/seer.js";
import { thinker } from "./src/thinker.js";

/** Ollama's native API (`/api/*`): local models, pulled on demand. */
export default defineModel({
  name: "ollama",
  version: "0.2.0",
  title: "Ollama (local)",
  defaultUrl: "http://localhost:11434",
  needsKey: false,
  roles: ["thinking", "vision", "frontier"],
  prepare: (spec, ctx) => prepare(connect(spec, ctx)),
  think: (spec, ctx) => thinker(connect(spec, ctx)),
  see: (spec, ctx) => seer(connect(spec, ctx)),
});
