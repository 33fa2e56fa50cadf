/**
 * The only module plugins and the dashboard import (published as `eternego/plugin`).
 * Types, the define* helpers, the error classes, the event maps, and the small toolkit
 * every model plugin needs (typed organ faults, provider requests with bounded retries,
 * schema-checked JSON answers).
 */
export * from "./types.js";
export * from "./errors.js";
export * from "./plugin.js";
export * from "./organ-fault.js";
export * from "./organ-http.js";
export * from "./organ-stream.js";
export * from "./think-filter.js";
export * from "./json-answer.js";
export type * from "./events.js";
