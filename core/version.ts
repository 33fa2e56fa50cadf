import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The folder holding Eternego's package.json, from the source or the dist this runs from. */
export function packageRoot(): string {
  for (const up of ["..", "../.."]) {
    const dir = path.resolve(here, up);
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
  }
  return path.resolve(here, "..");
}

/** This Eternego's version. */
export function packageVersion(): string {
  const f = path.join(packageRoot(), "package.json");
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")).version : "0.0.0";
}
