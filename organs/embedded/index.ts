import { defineModel } from "eternego/plugin";
import { presence } from "./src/engine.js";
import { prepare } from "./src/prepare.js";
import { PRESETS } from "./src/presets.js";
import { thinker } from "./src/thinker.js";

// Whether the engine is installed is read from disk (paths only; nothing of it loads), so
// the title the pickers and GET /api/plugins show says what to run when it is not.
const engine = presence();

/** A GGUF model run by llama.cpp inside the daemon: no server, no key. */
export default defineModel({
  name: "embedded",
  version: "0.1.0",
  title: engine.ok ? "Embedded (runs inside Eternego)" : engine.short,
  // There is no server: the url is kept as given and never used. `.invalid` never resolves.
  defaultUrl: "http://in-process.invalid",
  needsKey: false,
  roles: ["thinking", "frontier"],
  presets: PRESETS,
  prepare,
  think: thinker,
});
