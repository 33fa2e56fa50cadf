import { execFile } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import t, { type Test } from "tap";
import { openApiPath } from "../../../core/http/openapi.js";
import type { Route } from "../../../core/http/route.js";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { startDaemon, type Reply, type TestDaemon } from "../../helpers/daemon.js";

// ajv and ajv-formats are CJS with `export default` typings; createRequire keeps them callable under NodeNext.
const require = createRequire(import.meta.url);
const Ajv2020: typeof import("ajv/dist/2020.js").default = require("ajv/dist/2020.js");
const addFormats: typeof import("ajv-formats").default = require("ajv-formats");

type Doc = Record<string, any>;

async function fetchDoc(t: Test, d: TestDaemon): Promise<Doc> {
  const r = await d.api("GET", "/openapi.json");
  t.equal(r.status, 200, "GET /openapi.json");
  t.match(r.headers.get("content-type"), /^application\/json/);
  return r.body;
}

/** The documented response, with a shared `components.responses` entry followed. */
function documented(doc: Doc, method: string, path: string, status: number): Doc {
  const op = doc.paths[openApiPath(path)]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  const res = op.responses[String(status)];
  if (!res) throw new Error(`${method.toUpperCase()} ${path} does not document ${status}`);
  return res.$ref ? doc.components.responses[res.$ref.split("/").pop()] : res;
}

/**
 * Validates bodies with the JSON schemas the document itself declares (JSON Schema 2020-12,
 * as OpenAPI 3.1 uses). Component `$ref`s are pointed at a local `$defs` copy of them.
 */
function responseChecker(doc: Doc) {
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  const local = (s: unknown) => JSON.parse(JSON.stringify(s).replaceAll('"#/components/schemas/', '"#/$defs/'));
  const $defs = local(doc.components.schemas);
  const compile = (method: string, path: string, status: number) => {
    const schema = documented(doc, method, path, status).content?.["application/json"]?.schema;
    if (!schema) throw new Error(`${method.toUpperCase()} ${path} ${status} has no JSON schema`);
    return ajv.compile({ ...local(schema), $defs });
  };
  return {
    /** Asserts that a reply has the documented status' schema, and returns whether it does. */
    check(t: Test, method: string, path: string, r: Reply, expected: number): boolean {
      t.equal(r.status, expected, `${method.toUpperCase()} ${path} answered ${expected}: ${JSON.stringify(r.body).slice(0, 300)}`);
      const validate = compile(method, path, r.status);
      const ok = validate(r.body);
      t.ok(ok, `${method.toUpperCase()} ${path} ${r.status} matches the OpenAPI schema`, { errors: validate.errors });
      return ok;
    },
    accepts: (method: string, path: string, status: number, body: unknown) => compile(method, path, status)(body),
  };
}

t.test("GET /openapi.json is a valid OpenAPI 3.1 document", async (t) => {
  const d = await startDaemon(t);
  const doc = await fetchDoc(t, d);
  t.match(doc.openapi, /^3\.1\./, "openapi 3.1.x");
  const result = await new Validator().validate(doc);
  t.ok(result.valid, "passes @seriousme/openapi-schema-validator", { errors: result.errors });
  t.equal(doc.info.title, "Eternego");
  t.match(doc.info.description, /no authentication/i, "the info says there is no authentication on loopback");
  t.match(doc.info.description, /`detail`/, "the info says every error body is {detail}");
  t.same(doc.components.schemas.Error, {
    type: "object", properties: { detail: { type: "string" } }, required: ["detail"], additionalProperties: false, title: "Error",
  }, "the shared Error schema is exactly {detail: string}");
  t.same(doc.components.schemas.FieldError.properties.loc.items, { anyOf: [{ type: "string" }, { type: "integer" }] }, "a field error's loc is (string|integer)[]");
  t.equal(doc.components.schemas.ValidationError.properties.detail.items.$ref, "#/components/schemas/FieldError");
  t.ok(doc.components.schemas.PersonaView, "labelled joi schemas become components");
});

t.test("@redocly/cli lint finds no error in the document; it says how to authenticate and where it is served", async (t) => {
  const d = await startDaemon(t);
  const doc = await fetchDoc(t, d);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eternego-lint-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "openapi.json"), JSON.stringify(doc));
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../node_modules/.bin/redocly");
  const out = await new Promise<string>((resolve) =>
    execFile(bin, ["lint", "openapi.json", "--format=json"], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" }, timeout: 60_000 }, (_err, stdout) => resolve(stdout)),
  );
  const report = JSON.parse(out);
  const errors = report.problems.filter((p: { severity: string }) => p.severity === "error");
  t.equal(report.totals.errors, 0, "0 errors", { errors: errors.map((p: { ruleId: string; message: string; location: { pointer: string }[] }) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`) });
  t.same(doc.components.securitySchemes.bearerToken, { type: "http", scheme: "bearer", description: String(doc.components.securitySchemes.bearerToken.description) }, "the bearer token of token mode is a security scheme");
  t.same(doc.security, [{}, { bearerToken: [] }], "…optional: none on loopback");
  t.same(doc.servers.map((x: Doc) => x.url), ["/"], "served by the daemon itself");
  const media = doc.paths["/api/persona/{id}/media/{file}"].get.responses["200"].content;
  t.ok(media["image/png"] && media["application/pdf"] && media["audio/wav"] && media["text/plain"], `the media route's real content types: ${Object.keys(media).join(", ")}`);
});

t.test("every route in the table is documented, with its parameters, request and responses", async (t) => {
  const d = await startDaemon(t);
  const doc = await fetchDoc(t, d);
  const routes: readonly Route[] = d.daemon.parts.routes;
  t.ok(routes.length > 20, `the table has ${routes.length} routes`);

  const operations = Object.values<Doc>(doc.paths).flatMap((item) => Object.values<Doc>(item));
  t.equal(operations.length, routes.length, "one operation per route, no more");
  t.equal(new Set(operations.map((op) => op.operationId)).size, operations.length, "operationIds are unique");

  for (const r of routes) {
    const name = `${r.method.toUpperCase()} ${r.path}`;
    const op = doc.paths[openApiPath(r.path)]?.[r.method];
    if (!t.ok(op, `${name} is in the document`)) continue;
    t.equal(op.summary, r.summary, `${name}: summary`);
    t.same(op.tags, [r.tag], `${name}: tag`);
    t.match(op.operationId, /^(get|post)[A-Z]\w*$/, `${name}: operationId`);

    const params: Doc[] = op.parameters ?? [];
    for (const key of Object.keys(r.params?.describe().keys ?? {})) {
      const p = params.find((x) => x.in === "path" && x.name === key);
      t.ok(p?.required && p.schema, `${name}: path parameter ${key} is required and has a schema`);
    }
    for (const key of Object.keys(r.query?.describe().keys ?? {})) {
      t.ok(params.find((x) => x.in === "query" && x.name === key)?.schema, `${name}: query parameter ${key} has a schema`);
    }

    if (r.body) {
      t.ok(op.requestBody?.content?.["application/json"]?.schema, `${name}: JSON request body schema`);
    } else if (r.upload) {
      const schema = op.requestBody?.content?.["multipart/form-data"]?.schema;
      const expected = [...r.upload.files.map((f) => f.name), ...Object.keys(r.upload.fields.describe().keys ?? {})];
      t.same(Object.keys(schema?.properties ?? {}).sort(), expected.sort(), `${name}: multipart parts`);
      for (const f of r.upload.files) {
        const part = schema.properties[f.name];
        if (f.maxCount > 1) {
          t.same(part.oneOf.map((o: Doc) => o.type), ["string", "array"], `${name}: ${f.name} is one file or several`);
          t.equal(part.oneOf[1].items.contentMediaType, "application/octet-stream", `${name}: ${f.name} holds files`);
        } else t.equal(part.contentMediaType, "application/octet-stream", `${name}: ${f.name} is a file`);
        t.equal(schema.required?.includes(f.name) ?? false, f.required, `${name}: ${f.name} required flag`);
      }
    } else {
      t.notOk(op.requestBody, `${name}: no request body`);
    }

    for (const [status, res] of Object.entries(r.responses)) {
      const content = documented(doc, r.method, r.path, Number(status)).content ?? {};
      if (res.contentType) for (const type of [res.contentType].flat()) t.ok(content[type], `${name} ${status}: ${type}`);
      else t.ok(content["application/json"]?.schema, `${name} ${status}: JSON schema`);
    }
    const inputs = Boolean(r.params || r.query || r.body || r.upload);
    // Each surface documents its own error shape: {detail} under /api, OpenAI's under /v1.
    const openai = r.errorFormat === "openai";
    t.equal(openai, r.path.startsWith("/v1"), `${name}: the /v1 routes, and only they, answer errors in OpenAI's shape`);
    for (const status of [...r.errors, ...(inputs ? [openai ? 400 : 422] : []), ...(r.body ? [400, 413, 415] : []), 401, 403, 500]) {
      const schema = documented(doc, r.method, r.path, status).content?.["application/json"]?.schema;
      const shape = openai ? "OpenAIError" : status === 422 ? "ValidationError" : "Error";
      t.equal(schema?.$ref, `#/components/schemas/${shape}`, `${name}: ${status} documented as ${shape}`);
    }
  }
});

t.test("what the daemon answers over HTTP matches the schemas in the document", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const doc = await fetchDoc(t, d);
  const { check, accepts } = responseChecker(doc);
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };

  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking } });
  check(t, "post", "/api/persona/create", created, 201);
  const id: string = created.body.persona.id;

  check(t, "get", "/api/personas", await d.api("GET", "/api/personas"), 200);
  check(t, "get", "/api/persona/:id", await d.api("GET", `/api/persona/${id}`), 200);
  const providers = await d.api("GET", "/api/config/providers");
  check(t, "get", "/api/config/providers", providers, 200);
  t.ok(providers.body.ollama, "providers are keyed by plugin name (an open map, not a closed object)");
  check(t, "get", "/api/plugins", await d.api("GET", "/api/plugins"), 200);
  check(t, "get", "/api/capabilities", await d.api("GET", "/api/capabilities"), 200);
  check(t, "get", "/api/persona/:id/capabilities", await d.api("GET", `/api/persona/${id}/capabilities`), 200);
  check(t, "get", "/api/persona/:id/channels", await d.api("GET", `/api/persona/${id}/channels`), 200);
  check(t, "get", "/v1/models", await d.api("GET", "/v1/models"), 200);

  check(t, "get", "/api/persona/:id", await d.api("GET", "/api/persona/00000000-0000-4000-8000-000000000000"), 404);
  const invalid = await d.api("POST", "/api/persona/create", { name: 5, organs: { thinking }, channels: [{ type: 7 }] });
  check(t, "post", "/api/persona/create", invalid, 422);
  t.ok(invalid.body.detail.some((e: { loc: unknown[] }) => e.loc.some((x) => typeof x === "number")), "a loc with an array index is still valid");
  check(t, "get", "/api/persona/:id/knowledge", await d.api("GET", `/api/persona/${id}/knowledge`), 200);
  check(t, "get", "/api/persona/:id/diagnose", await d.api("GET", `/api/persona/${id}/diagnose`), 200);
  check(t, "post", "/api/persona/:id/read", await d.api("POST", `/api/persona/${id}/read`, { message: "hi" }), 202);
  check(t, "get", "/api/persona/:id/conversation", await d.api("GET", `/api/persona/${id}/conversation`), 200);
  const diary = await d.api("GET", `/api/persona/${id}/export`);
  t.equal(diary.status, 200);
  t.ok(documented(doc, "get", "/api/persona/:id/export", 200).content?.["application/octet-stream"], "the diary is documented as the file it is");
  t.equal(diary.headers.get("content-type"), "application/octet-stream");
  check(t, "post", "/api/persona/:id/stop", await d.api("POST", `/api/persona/${id}/stop`), 200);
  check(t, "post", "/api/persona/:id/sleep", await d.api("POST", `/api/persona/${id}/sleep`), 409);

  // The checker is not vacuous: the same schemas reject what breaks them.
  t.notOk(accepts("get", "/api/personas", 200, { personas: [{ id, name: "Ada" }] }), "a persona view missing fields is rejected");
  t.notOk(accepts("get", "/api/config/providers", 200, { ollama: { title: "Ollama" } }), "a provider missing fields is rejected");
  t.notOk(accepts("get", "/api/persona/:id", 404, { detail: "x", extra: 1 }), "an error body with more than detail is rejected");
  t.notOk(accepts("post", "/api/persona/create", 422, { detail: [{ loc: ["body", 1.5], msg: "m", type: "t" }] }), "a fractional loc is rejected");
});

t.test("/docs is a local viewer: no CDN, its assets are served by the daemon", async (t) => {
  const d = await startDaemon(t);
  const page = await fetch(`${d.url}/docs/`);
  t.equal(page.status, 200, "GET /docs/");
  t.match(page.headers.get("content-type"), /^text\/html/);
  const html = await page.text();

  // XML namespace names are identifiers, never fetched.
  const hosts = [...html.replace(/\sxmlns(:\w+)?="[^"]*"/g, "").matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
  t.same(hosts.filter((u) => !u.startsWith(d.url)), [], "the page references no other host");

  const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(scripts.some((s) => s.endsWith("swagger-ui-bundle.js")), "the page loads swagger-ui-bundle.js");
  for (const src of scripts) {
    const asset = await fetch(new URL(src, `${d.url}/docs/`));
    t.equal(asset.status, 200, `${src} is served`);
    const text = await asset.text();
    t.ok(text.length > 0, `${src} is not empty`);
    if (src.endsWith("swagger-ui-init.js")) {
      t.match(text, /"url":\s*"\/openapi\.json"/, "the viewer loads this daemon's document");
      t.match(text, /"validatorUrl":\s*null/, "the viewer's online validator badge is off");
    }
  }
  const css = [...html.matchAll(/<link[^>]*\shref="([^"]+)"/g)].map((m) => m[1]!);
  for (const href of css) t.equal((await fetch(new URL(href, `${d.url}/docs/`))).status, 200, `${href} is served`);
});
