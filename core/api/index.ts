/**
 * The only module plugins import (published as `eternego/plugin`): everything of
 * `eternego/plugin/shared` (types, define* helpers, error classes, event maps), and the
 * small toolkit every model plugin needs: typed organ faults, provider requests with
 * bounded retries, stream readers, the `<think>` filter and schema-checked JSON answers.
 *
 * @example
 * import { definePerception, Invalid } from "eternego/plugin";
 */
export * from "./shared.js";
export * from "./organ-fault.js";
export * from "./organ-http.js";
export * from "./body.js";
export * from "./organ-stream.js";
export * from "./think-filter.js";
export * from "./json-answer.js";
