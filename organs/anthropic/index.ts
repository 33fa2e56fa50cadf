import { defineModel } from "eternego/plugin";
import { connect } from "./src/api.js";
import { prepare } from "./src/prepare.js";
import { seer } from "./src/seer.js";
import { thinker } from "./src/thinker.js";

/** Anthropic's Messages API (`/v1/messages`): Claude models, with prompt caching and forced-tool answers. */
export default defineModel({
  name: "anthropic",
  version: "0.1.0",
  title: "Anthropic (Claude)",
  defaultUrl: "https://api.anthropic.com",
  needsKey: true,
  roles: ["thinking", "vision", "frontier"],
  prepare: (spec, ctx) => prepare(connect(spec, ctx)),
  think: (spec, ctx) => thinker(connect(spec, ctx)),
  see: (spec, ctx) => seer(connect(spec, ctx)),
});
