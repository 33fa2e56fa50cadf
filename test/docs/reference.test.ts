import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { currentReference, REFERENCE } from "../../scripts/docs.js";

// docs/api.md is the daemon's own route table in words: a change to a route that is not
// written there too fails here.

t.test("docs/api.md is the route table as it is now", async (t) => {
  const now = await currentReference();
  const committed = fs.existsSync(REFERENCE) ? fs.readFileSync(REFERENCE, "utf8") : "";
  t.ok(committed === now, `docs/api.md is stale: run \`npm run docs\` and commit it${committed ? "" : " (it does not exist)"}`);
  for (const route of ["POST /api/persona/create", "GET /api/persona/{id}/export", "POST /api/persona/{id}/pair", "POST /v1/chat/completions"]) t.ok(now.includes(`### \`${route}\``), `${route} is in it`);
});

t.test("every doc the README and docs/README.md link to exists", async (t) => {
  const root = path.dirname(path.dirname(REFERENCE));
  for (const file of ["README.md", "docs/README.md"]) {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    const links = [...text.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    t.ok(links.length > 0, `${file} links somewhere`);
    for (const l of links) t.ok(fs.existsSync(path.join(root, path.dirname(file), l)), `${file} → ${l} exists`);
  }
});
