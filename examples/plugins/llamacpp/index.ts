import { defineModel } from "eternego/plugin";
import { connect } from "./src/server.js";
import { prepare } from "./src/prepare.js";
import { thinker } from "./src/thinker.js";

/**
 * An example third-party model plugin: llama.cpp's own server (`llama-server`) through its
 * native API — `/health`, `/props`, `/apply-template`, `/completion` with a `json_schema`.
 * Importing this file does nothing but build the descriptor.
 */
export default defineModel({
  name: "llamacpp",
  version: "1.0.0",
  title: "llama.cpp server (native API)",
  defaultUrl: "http://127.0.0.1:8080",
  needsKey: false,
  roles: ["thinking", "frontier"],
  prepare: (spec, ctx) => prepare(connect(spec, ctx)),
  think: (spec, ctx) => thinker(connect(spec, ctx)),
});
