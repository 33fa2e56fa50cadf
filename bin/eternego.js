#!/usr/bin/env node
// The daemon is TypeScript compiled to dist/; `npm start` builds it first.
import { existsSync } from "node:fs";

const entry = new URL("../dist/core/cli.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("eternego: not built yet. Run `npm run build` (npm start and npm test build it for you).");
  process.exit(1);
}
await import(entry.href);
