import { STATUS_CODES } from "node:http";
import { createRequire } from "node:module";
import Joi from "joi";
import type { Route, UploadSpec } from "./route.js";
import { detail, fieldErrors, openaiErrorBody } from "./schemas.js";

// joi-to-swagger is CommonJS with an `export default` typing; NodeNext cannot default-import it.
const require = createRequire(import.meta.url);
const joiToSwagger: typeof import("joi-to-swagger").default = require("joi-to-swagger");

export type JsonSchema = Record<string, any>;


/** What each error status means for this API (SPEC §6); other statuses fall back to their HTTP reason. */
const ERROR_MEANING: Record<number, string> = {
  400: "Validation failed downstream, an organ or channel could not be prepared, or the body could not be read as its headers say; the detail says what and how to fix it",
  401: "A token is configured (the daemon is bound beyond loopback) and the request did not carry `Authorization: Bearer <token>`",
  403: "A browser defence refused the request: a Host that is not this machine (DNS rebinding), or a state-changing request made by a page of another origin (CSRF)",
  404: "No persona with that id (under /v1: no persona with that model id or name)",
  409: "The persona exists but is not running, and this route needs her live agent",
  413: "The upload is larger than its capability's limit, or a JSON body is larger than 1 MiB",
  415: "An attached file's extension has no perception capability (for her), or the body's encoding or charset is not one the daemon takes",
  422: "The request failed schema validation; `detail` lists the field errors",
  500: "Unhandled error; `detail` is `\"<ErrorType>: <message>\"`, never a stack, never a secret",
  501: "Valid, but the capability behind this route is not built yet",
};

const DESCRIPTION = [
  "The HTTP API of the Eternego daemon, generated from the same route table and joi schemas that validate every request.",
  "",
  "There is no authentication on loopback: the daemon binds 127.0.0.1 and defends against the browser instead, refusing (403) a request whose `Host` is not a loopback name (DNS rebinding) and a state-changing request carrying a foreign `Origin` (CSRF). Bound to another address it requires a token, and every request then needs `Authorization: Bearer <token>` (401 otherwise).",
  "",
  "Every error body under `/api` is a JSON object with exactly one key, `detail`: a message, or for 422 a list of `{loc, msg, type}` field errors. Under `/v1` errors are in OpenAI's shape, `{error: {message, type, code, param}}`, so OpenAI's SDKs raise their usual classes; a body that fails validation there is a 400 naming the `param`.",
].join("\n");

/** What each tag of the route table covers, for the document's readers. */
const TAGS: Record<string, string> = {
  plugins: "The plugins found (model, perception, channel) and what they declare",
  personas: "Create, list, change, start, stop and delete personas",
  mind: "Her running mind: messages, voice, files, learning from an export, her night",
  memory: "Her files: what she knows, her meanings, her conversation, calendar and media",
  health: "How she is: status, organs, faults and uptime",
  diary: "Her encrypted diary: the way to move her to another machine",
  channels: "Where she can be talked to besides the web, and their pairing",
  openai: "The OpenAI-compatible surface: every persona is a model",
};

/** `/api/persona/:id/start` → `/api/persona/{id}/start`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, "{$1}");
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Stable and readable: `post /api/persona/:id/start` → `postApiPersonaByIdStart`. */
export function operationId(r: Pick<Route, "method" | "path">): string {
  const words = r.path
    .split(/[/_.-]+/)
    .filter(Boolean)
    .map((seg) => (seg.startsWith(":") ? `By${cap(seg.slice(1))}` : cap(seg)));
  return r.method + words.join("");
}

const isPlain = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * joi → JSON Schema with joi-to-swagger, corrected where it is wrong for us and lifted from
 * OAS 3.0 to 3.1. Labelled joi schemas (`.label("PersonaView")`) become shared components.
 */
class SchemaConverter {
  readonly components: Record<string, JsonSchema> = {};
  /** The joi description each component name was first given, so a different schema under the same label is inlined rather than mistaken for it. */
  private readonly owners = new Map<string, string>();

  convert(schema: Joi.Schema): JsonSchema {
    const prepared = Joi.build(this.annotate(schema.describe()));
    const { swagger, components } = joiToSwagger(prepared);
    for (const [name, s] of Object.entries(components?.schemas ?? {})) this.components[name] ??= to31(s);
    return to31(swagger);
  }

  /** A component by its `$ref`, or the schema itself. */
  resolve(s: JsonSchema): JsonSchema {
    const name = typeof s.$ref === "string" ? s.$ref.split("/").pop()! : undefined;
    return name ? this.components[name]! : s;
  }

  /** Rewrites a joi description (plain data) with the metas joi-to-swagger understands. */
  private annotate(d: Record<string, any>): Record<string, any> {
    const out: Record<string, any> = { ...d };
    const metas: Record<string, unknown>[] = [...(d.metas ?? [])];
    const swagger: JsonSchema = {};

    const label: string | undefined = d.flags?.label;
    if (label) {
      const { flags, ...rest } = d;
      const shape = JSON.stringify({ ...rest, flags: { ...flags, presence: undefined, description: undefined } });
      if (!this.owners.has(label)) this.owners.set(label, shape);
      if (this.owners.get(label) === shape) metas.push({ className: label });
    }
    // joi-to-swagger closes every object; joi leaves an object declared without keys open.
    if (d.type === "object" && !d.keys && !d.patterns && d.flags?.unknown !== false) swagger.additionalProperties = true;
    // joi-to-swagger drops joi's uri rule.
    if (d.type === "string" && d.rules?.some((r: { name: string }) => r.name === "uri")) swagger.format = "uri";
    // joi-to-swagger keeps only string and number valids and writes a lone null as `nullable`,
    // which cannot tell `Joi.valid(null)` from `Joi.any().allow(null)`.
    if (d.type === "any" && d.flags?.only && Array.isArray(d.allow)) {
      swagger.enum = d.allow.filter((v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v));
    }
    if (Object.keys(swagger).length) metas.push({ swagger });
    if (metas.length) out.metas = metas;

    if (isPlain(d.keys)) out.keys = Object.fromEntries(Object.entries(d.keys).map(([k, v]) => [k, this.annotate(v)]));
    if (Array.isArray(d.patterns)) out.patterns = d.patterns.map((p: Record<string, any>) => ({ ...p, rule: p.rule && this.annotate(p.rule) }));
    if (Array.isArray(d.items)) out.items = d.items.map((i: Record<string, any>) => this.annotate(i));
    if (Array.isArray(d.matches)) {
      out.matches = d.matches.map((m: Record<string, any>) => ({
        ...m,
        ...(m.schema && { schema: this.annotate(m.schema) }),
        ...(m.then && { then: this.annotate(m.then) }),
        ...(m.otherwise && { otherwise: this.annotate(m.otherwise) }),
      }));
    }
    return out;
  }
}

/** OAS 3.0 idioms → 3.1 (JSON Schema 2020-12), recursively. */
function to31(input: JsonSchema): JsonSchema {
  const s: JsonSchema = { ...input };
  if (s.nullable) {
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
    if (typeof s.type === "string") s.type = [s.type, "null"];
    else if (Array.isArray(s.anyOf)) s.anyOf = [...s.anyOf, { type: "null" }];
    // Otherwise the schema has no type (joi's any), and already admits null.
  }
  delete s.nullable;
  if ("example" in s) {
    s.examples = [s.example];
    delete s.example;
  }
  // Only joi-to-swagger's marker for a required alternative; not part of the contract.
  delete s["x-required"];
  // joi numbers are doubles; joi-to-swagger's "float" would mislead a client generator.
  if (s.format === "float") delete s.format;
  if (isPlain(s.properties)) {
    if (Object.keys(s.properties).length === 0) delete s.properties;
    else s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, to31(v)]));
  }
  for (const k of ["items", "additionalProperties", "not"]) if (isPlain(s[k])) s[k] = to31(s[k]);
  for (const k of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(s[k])) s[k] = s[k].map(to31);
  return s;
}

type Parameter = { name: string; in: "path" | "query"; required: boolean; description?: string; schema: JsonSchema };

function parameters(conv: SchemaConverter, schema: Joi.ObjectSchema | undefined, where: "path" | "query"): Parameter[] {
  if (!schema) return [];
  const obj = conv.resolve(conv.convert(schema));
  const required = new Set<string>(obj.required ?? []);
  return Object.entries<JsonSchema>(obj.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === "path" || required.has(name), ...(description && { description }), schema: rest };
  });
}

function multipart(conv: SchemaConverter, upload: UploadSpec): JsonSchema {
  const fields = conv.resolve(conv.convert(upload.fields));
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const f of upload.files) {
    const file = { type: "string", contentMediaType: "application/octet-stream" };
    // A field that takes several files takes one too: the part sent once, or repeated.
    properties[f.name] = f.maxCount > 1
      ? { description: f.description, oneOf: [file, { type: "array", items: file, minItems: 1, maxItems: f.maxCount }] }
      : { ...file, description: f.description };
    if (f.required) required.push(f.name);
  }
  Object.assign(properties, fields.properties ?? {});
  required.push(...(fields.required ?? []));
  return { type: "object", properties, ...(required.length && { required }), additionalProperties: false };
}

/** The OpenAPI 3.1 document, generated from the route table and its joi schemas. */
export function buildOpenApi(routes: readonly Route[], version: string): Record<string, unknown> {
  const conv = new SchemaConverter();
  // Converted first so the shared error shapes own their component names.
  const errorSchema = conv.convert(detail);
  const validationSchema = conv.convert(fieldErrors);
  const openaiSchema = conv.convert(openaiErrorBody);
  const errorResponses: Record<string, JsonSchema> = {};
  const errorRef = (status: number, format: "detail" | "openai" = "detail") => {
    const name = `${format === "openai" ? "OpenAI" : ""}${(STATUS_CODES[status] ?? `Status ${status}`).replace(/[^A-Za-z0-9]/g, "")}`;
    errorResponses[name] ??= {
      description: format === "openai" ? `${STATUS_CODES[status] ?? status}, in OpenAI's error shape (its SDKs raise the matching error class)` : (ERROR_MEANING[status] ?? STATUS_CODES[status] ?? `Error ${status}`),
      content: { "application/json": { schema: format === "openai" ? openaiSchema : status === 422 ? validationSchema : errorSchema } },
    };
    return { $ref: `#/components/responses/${name}` };
  };

  const paths: Record<string, Record<string, JsonSchema>> = {};
  const tags: string[] = [];
  const ids = new Set<string>();
  for (const r of routes) {
    const id = operationId(r);
    if (ids.has(id)) throw new Error(`Two routes share the operationId ${id}: ${r.method.toUpperCase()} ${r.path}`);
    ids.add(id);
    if (!tags.includes(r.tag)) tags.push(r.tag);

    const op: JsonSchema = { operationId: id, tags: [r.tag], summary: r.summary };
    if (r.description) op.description = r.description;
    const params = [...parameters(conv, r.params, "path"), ...parameters(conv, r.query, "query")];
    if (params.length) op.parameters = params;

    if (r.upload) {
      op.requestBody = { required: true, content: { "multipart/form-data": { schema: multipart(conv, r.upload) } } };
    } else if (r.body) {
      op.requestBody = {
        required: (r.body.describe().flags as { presence?: string } | undefined)?.presence === "required",
        content: { "application/json": { schema: conv.convert(r.body) } },
      };
    }

    const responses: Record<string, JsonSchema> = {};
    for (const [status, doc] of Object.entries(r.responses)) {
      const code = Number(status);
      let content: JsonSchema | undefined;
      if (doc.contentType) content = Object.fromEntries([doc.contentType].flat().map((type) => [type, { schema: { type: "string", contentMediaType: type } }]));
      else if (doc.schema) content = { "application/json": { schema: conv.convert(doc.schema) } };
      else if (code >= 400) content = { "application/json": { schema: errorSchema } };
      responses[status] = { description: doc.description, ...(content && { content }) };
    }
    const canFailValidation = Boolean(r.params || r.query || r.body || r.upload);
    // Every route is behind the browser defences (403) and, in token mode, the token (401); a
    // JSON body can be unreadable (400), too large (413) or in an encoding not taken (415).
    const everyRoute = [401, 403];
    const jsonBody = r.body ? [400, 413, 415] : [];
    // On the OpenAI surface a body that fails validation is a 400 naming the param, as OpenAI's is.
    const format = r.errorFormat ?? "detail";
    const validation = canFailValidation ? [format === "openai" ? 400 : 422] : [];
    for (const code of [...r.errors, ...jsonBody, ...validation, ...everyRoute, 500].sort()) responses[code] ??= errorRef(code, format);
    op.responses = responses;

    (paths[openApiPath(r.path)] ??= {})[r.method] = op;
  }

  return {
    openapi: "3.1.0",
    info: { title: "Eternego", version, description: DESCRIPTION, license: { name: "MIT", identifier: "MIT" } },
    // The daemon serves this document itself: its own origin, whatever port it got.
    servers: [{ url: "/", description: "This daemon (http://127.0.0.1:5000 by default)" }],
    // No authentication on loopback; a bearer token when the daemon is bound beyond it.
    security: [{}, { bearerToken: [] }],
    tags: tags.map((name) => ({ name, description: TAGS[name] ?? name })),
    paths,
    components: {
      schemas: conv.components,
      responses: errorResponses,
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "ETERNEGO_TOKEN, required on every request when the daemon is bound beyond loopback (--host)" },
      },
    },
  };
}
