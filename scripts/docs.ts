// `npm run docs`: writes docs/api.md from the route table of a daemon built here (nothing is
// started: no port, no persona), so the reference is the daemon's own.
import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildDaemon } from "../core/bootstrap.js";
import { resolveConfig } from "../core/config.js";
import { buildOpenApi } from "../core/http/openapi.js";
import { packageRoot, packageVersion } from "../core/version.js";
import { apiReference } from "./api-reference.js";

/** The reference as the daemon of this checkout would serve it. */
export async function currentReference(): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-docs-"));
  try {
    const daemon = await buildDaemon(resolveConfig({ home, port: 0 }, { ETERNEGO_QUIET: "1" }));
    return apiReference(buildOpenApi(daemon.parts.routes, packageVersion()));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export const REFERENCE = path.join(packageRoot(), "docs", "api.md");

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.ts$/, ".js") === path.resolve(new URL(import.meta.url).pathname).replace(/\.ts$/, ".js")) {
  fs.writeFileSync(REFERENCE, await currentReference());
  console.log(`Wrote ${path.relative(process.cwd(), REFERENCE)}`);
}
