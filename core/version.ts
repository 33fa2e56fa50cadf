import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** This Eternego's version, from the package.json beside the source (or the dist) it runs from. */
export function packageVersion(): string {
  for (const up of ["..", "../.."]) {
    const f = path.join(here, up, "package.json");
    if (fs.existsSync(f)) return JSON.parse(fs.readFileSync(f, "utf8")).version;
  }
  return "0.0.0";
}
