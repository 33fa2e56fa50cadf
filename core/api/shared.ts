/**
 * The part of `eternego/plugin` that runs anywhere, a browser included (published as
 * `eternego/plugin/shared`): the vocabulary's types, the error catalogue, the `define*`
 * helpers and the typed event maps the daemon and the dashboard share. Nothing here
 * imports Node.
 */
export * from "./types.js";
export * from "./errors.js";
export * from "./plugin.js";
export type * from "./events.js";
