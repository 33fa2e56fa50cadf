/**
 * The only module plugins and the dashboard import (published as `eternego/plugin`).
 * Types, the define* helpers, the error classes and the event maps.
 */
export * from "./types.js";
export * from "./errors.js";
export * from "./plugin.js";
export type * from "./events.js";
