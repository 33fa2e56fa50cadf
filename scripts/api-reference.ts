// The API reference as Markdown, written from the OpenAPI document (itself made from the
// route table and its joi schemas), so docs/api.md says exactly what the daemon does.
// `npm run docs` writes it; a test fails when the committed file is not what this gives.

type Doc = Record<string, any>;

const cell = (s: unknown) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n+/g, " ");

/** A JSON schema in a few words: its type, enum, format, or the component it refers to. */
function typeOf(s: Doc | undefined, doc: Doc): string {
  if (!s) return "";
  if (s.$ref) return `[${s.$ref.split("/").pop()}](#${s.$ref.split("/").pop().toLowerCase()})`;
  if (s.enum) return s.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.oneOf || s.anyOf) return (s.oneOf ?? s.anyOf).map((x: Doc) => typeOf(x, doc)).join(" or ");
  if (s.type === "array") return `${typeOf(s.items, doc)}[]`;
  const t = Array.isArray(s.type) ? s.type.filter((x: string) => x !== "null").join(" or ") + (s.type.includes("null") ? " or null" : "") : (s.type ?? "any");
  return s.format ? `${t} (${s.format})` : t;
}

/** The fields of an object schema as table rows. */
function fields(s: Doc | undefined, doc: Doc): string[] {
  const target = s?.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s;
  if (!target?.properties) return [];
  const required = new Set<string>(target.required ?? []);
  return Object.entries<Doc>(target.properties).map(([k, v]) => `| \`${k}\` | ${typeOf(v, doc)} | ${required.has(k) ? "yes" : ""} | ${cell(v.description)} |`);
}

export function apiReference(doc: Doc): string {
  const out: string[] = [
    "# API reference",
    "",
    "<!-- Generated from the daemon's route table by `npm run docs`; a test fails when it is stale. Do not edit by hand. -->",
    "",
    String(doc.info.description),
    "",
    "The same document is served as OpenAPI 3.1 at `/openapi.json`, with a viewer at `/docs`.",
    "",
  ];
  const byTag = new Map<string, [string, string, Doc][]>();
  for (const [p, ops] of Object.entries<Doc>(doc.paths)) {
    for (const [method, op] of Object.entries<Doc>(ops)) {
      const tag = op.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push([method, p, op]);
    }
  }
  out.push("## Routes", "");
  for (const t of doc.tags as { name: string; description: string }[]) {
    const ops = byTag.get(t.name) ?? [];
    if (!ops.length) continue;
    out.push(`- **${t.name}** — ${t.description}`);
    for (const [method, p, op] of ops) out.push(`  - [\`${method.toUpperCase()} ${p}\`](#${op.operationId.toLowerCase()}) — ${op.summary}`);
  }
  out.push("");
  for (const t of doc.tags as { name: string; description: string }[]) {
    const ops = byTag.get(t.name) ?? [];
    if (!ops.length) continue;
    out.push(`## ${t.name}`, "", t.description, "");
    for (const [method, p, op] of ops) {
      out.push(`<a id="${op.operationId.toLowerCase()}"></a>`, `### \`${method.toUpperCase()} ${p}\``, "", op.summary + ".", "");
      if (op.description) out.push(op.description, "");
      const params = (op.parameters ?? []) as Doc[];
      if (params.length) {
        out.push("| parameter | in | type | required | description |", "|---|---|---|---|---|");
        for (const q of params) out.push(`| \`${q.name}\` | ${q.in} | ${typeOf(q.schema, doc)} | ${q.required ? "yes" : ""} | ${cell(q.description ?? q.schema?.description)} |`);
        out.push("");
      }
      const body = op.requestBody?.content;
      if (body) {
        const [type, media] = Object.entries<Doc>(body)[0]!;
        const rows = fields(media.schema, doc);
        out.push(`Body (\`${type}\`)${rows.length ? ":" : `: ${typeOf(media.schema, doc)}`}`, "");
        if (rows.length) out.push("| field | type | required | description |", "|---|---|---|---|", ...rows, "");
      }
      out.push("| status | meaning | body |", "|---|---|---|");
      for (const [status, r] of Object.entries<Doc>(op.responses)) {
        const res = r.$ref ? doc.components.responses[r.$ref.split("/").pop()] : r;
        const content = res.content ? Object.entries<Doc>(res.content).map(([type, m]) => (type === "application/json" ? typeOf(m.schema, doc) : `\`${type}\``)).join(", ") : "";
        out.push(`| ${status} | ${cell(res.description)} | ${content} |`);
      }
      out.push("");
    }
  }
  out.push("## Schemas", "");
  for (const [name, s] of Object.entries<Doc>(doc.components.schemas).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`<a id="${name.toLowerCase()}"></a>`, `### ${name}`, "");
    if (s.description) out.push(s.description, "");
    const rows = fields(s, doc);
    if (rows.length) out.push("| field | type | required | description |", "|---|---|---|---|", ...rows, "");
    else out.push(`${typeOf(s, doc)}`, "");
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}
