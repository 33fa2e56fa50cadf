import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { startDaemon, tempHome, type Reply } from "../helpers/daemon.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";
import { prepared } from "../fixtures/plugins/keyed-model.js";

// Every status code of SPEC §6 (except 413 uploads and 415, covered elsewhere), provoked
// through real HTTP, with the exact body shape: an object whose only key is `detail`.

const here = path.dirname(fileURLToPath(import.meta.url));
const KEYED = path.resolve(here, "../fixtures/plugins/keyed-model.ts");
const FAKECHAT = path.resolve(here, "../fixtures/plugins/fake-channel.ts");
const NO_SUCH_ID = "3f0c9a52-8a1e-4c7e-9d2b-0a9a8b7c6d5e";

type T = Test;

/** The reply is `status` with a body that is exactly `{detail: string}`; returns the detail. */
function detailOf(t: T, r: Reply, status: number): string {
  t.equal(r.status, status, `status ${status}: ${JSON.stringify(r.body)}`);
  t.match(r.headers.get("content-type") ?? "", /^application\/json/);
  t.same(Object.keys(r.body ?? {}), ["detail"], "the body has exactly one key, detail");
  t.type(r.body?.detail, "string");
  return r.body?.detail;
}

/** A /v1 error: `status` with OpenAI's `{error: {message, type, code, param}}`; returns the message. */
function openaiErrorOf(t: T, r: Reply, status: number): string {
  t.equal(r.status, status, `status ${status}: ${JSON.stringify(r.body)}`);
  t.same(Object.keys(r.body ?? {}), ["error"], "the body is OpenAI's error shape");
  t.same(Object.keys(r.body?.error ?? {}).sort(), ["code", "message", "param", "type"]);
  t.type(r.body?.error?.message, "string");
  return r.body?.error?.message;
}

/** A 422: `detail` is a non-empty list of exactly `{loc, msg, type}` with loc starting at body/query/path. */
function fieldErrors(t: T, r: Reply): { loc: (string | number)[]; msg: string; type: string }[] {
  t.equal(r.status, 422, JSON.stringify(r.body));
  t.same(Object.keys(r.body ?? {}), ["detail"]);
  const list = r.body?.detail;
  t.ok(Array.isArray(list) && list.length > 0, "detail is a non-empty list");
  for (const e of Array.isArray(list) ? list : []) {
    t.same(Object.keys(e).sort(), ["loc", "msg", "type"]);
    t.ok(Array.isArray(e.loc) && ["body", "query", "path"].includes(e.loc[0]), `loc starts with body/query/path: ${JSON.stringify(e.loc)}`);
    t.ok(typeof e.msg === "string" && e.msg.length > 0);
    t.ok(typeof e.type === "string" && e.type.length > 0);
  }
  return Array.isArray(list) ? list : [];
}

const locs = (list: { loc: (string | number)[] }[]) => list.map((e) => e.loc.join("."));

/** A raw request, so the path reaches the daemon byte for byte (fetch would resolve `..`). */
function raw(url: string, method: string, p: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, method, path: p }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep text
        }
        resolve({ status: res.statusCode!, body, headers });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test("400: organs and channels that cannot be prepared, and nothing is written", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { api, home } = await startDaemon(t, { plugins: [KEYED, FAKECHAT] });
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };
  const create = (organs: object, channels?: object[]) => api("POST", "/api/persona/create", { name: "Ada", organs, ...(channels ? { channels } : {}) });

  t.equal(
    detailOf(t, await create({ thinking: { ...thinking, model: "mistral" } }), 400),
    `Organ 'thinking' (ollama, mistral) at ${ollama.url}: model 'mistral' not found, and Ollama could not pull it (pull model manifest: file does not exist) — check the name at https://ollama.com/library, then run \`ollama pull mistral\`.`,
    "model missing on the server",
  );
  const port = await closedPort();
  t.equal(
    detailOf(t, await create({ thinking: { ...thinking, url: `http://127.0.0.1:${port}` } }), 400),
    `Organ 'thinking' (ollama, llama3.2) at http://127.0.0.1:${port}: connection refused — start Ollama (\`ollama serve\`) or fix the url.`,
    "closed port",
  );
  t.match(
    detailOf(t, await create({ thinking: { provider: "nope", model: "x" } }), 400),
    /^Organ 'thinking' names provider 'nope', which no model plugin provides \(available: [a-z, -]*\bkeyed\b[a-z, -]*\bollama\b[a-z, -]*\)\.$/,
    "unknown provider",
  );
  t.equal(
    detailOf(t, await create({ thinking, hearing: { provider: "ollama", model: "whisper" } }), 400),
    "Provider 'ollama' cannot fill the 'hearing' organ; it fills thinking, vision, frontier. Pick a provider whose roles include 'hearing' (GET /api/config/providers lists them).",
    "a provider that cannot fill the role",
  );
  t.equal(
    detailOf(t, await create({ thinking, vision: { ...thinking, model: "llava" } }), 400),
    `Organ 'vision' (ollama, llava) at ${ollama.url}: model 'llava' not found, and Ollama could not pull it (pull model manifest: file does not exist) — check the name at https://ollama.com/library, then run \`ollama pull llava\`.`,
    "an optional organ is prepared too",
  );
  t.equal(
    detailOf(t, await create({ thinking: { provider: "keyed", model: "m1" } }), 400),
    "Organ 'thinking' (keyed, m1) needs an api_key: Keyed (test) refuses requests without one.",
    "a provider that needs a key, given none",
  );
  t.equal(
    detailOf(t, await create({ thinking: { provider: "keyed", model: "m1", api_key: "bad-key-123456" } }), 400),
    "Organ 'thinking' (keyed, m1): the api key was refused; give a key that starts with 'good-'.",
    "the plugin's own refusal is the detail",
  );
  t.match(detailOf(t, await create({ thinking }, [{ type: "carrier-pigeon", credentials: {} }]), 400), /^Channel type 'carrier-pigeon' is not provided by any loaded channel plugin \(available: [a-z, ]*fakechat[a-z, ]*\)\.$/);
  t.equal(detailOf(t, await create({ thinking }, [{ type: "fakechat", credentials: { room: "x" } }]), 400), "Channel 'fakechat' needs 'token' in its credentials.");
  t.equal(
    detailOf(t, await create({ thinking }, [{ type: "fakechat", credentials: { token: "bad-token-abcdef" } }]), 400),
    "Channel 'fakechat' refused the token: the platform answered 401 Unauthorized. Copy the token again from the bot settings.",
  );
  t.equal(
    detailOf(t, await create({ thinking }, [{ type: "fakechat", credentials: { token: "good-token-a1" } }, { type: "fakechat", credentials: { token: "good-token-a2" } }]), 400),
    "Channel 'fakechat' is listed twice; give each channel type once.",
  );

  t.same((await api("GET", "/api/personas")).body, { personas: [] }, "no persona was created by any refused request");
  t.same(fs.readdirSync(path.join(home, "personas")), [], "no folder was written");
});

t.test("404: unknown persona, non-UUID ids, unknown /api and /v1 routes", async (t) => {
  const { api, url } = await startDaemon(t);
  t.equal(detailOf(t, await api("GET", `/api/persona/${NO_SUCH_ID}`), 404), `No persona with id '${NO_SUCH_ID}'.`);
  for (const [method, p, body] of [
    ["POST", `/api/persona/${NO_SUCH_ID}/start`],
    ["POST", `/api/persona/${NO_SUCH_ID}/stop`],
    ["POST", `/api/persona/${NO_SUCH_ID}/restart`],
    ["POST", `/api/persona/${NO_SUCH_ID}/delete`],
    ["POST", `/api/persona/${NO_SUCH_ID}/update`, { name: "X" }],
    ["GET", `/api/persona/${NO_SUCH_ID}/channels`],
    ["GET", `/api/persona/${NO_SUCH_ID}/knowledge`],
    ["GET", `/api/persona/${NO_SUCH_ID}/calendar?start=2026-01-01&end=2026-02-01`],
  ] as [string, string, object?][]) {
    t.equal(detailOf(t, await api(method, p, body), 404), `No persona with id '${NO_SUCH_ID}'.`, `${method} ${p}`);
  }
  // An id that tries to climb out of personas/: decoded by the router, refused as unknown.
  t.equal(detailOf(t, await api("GET", "/api/persona/..%2F..%2Fetc"), 404), "No persona with id '../../etc'.");
  t.equal(detailOf(t, await api("POST", "/api/persona/..%2F..%2Fetc/delete"), 404), "No persona with id '../../etc'.");
  t.equal(detailOf(t, await api("GET", "/api/persona/not-a-uuid"), 404), "No persona with id 'not-a-uuid'.");
  // Sent raw, the dots are path segments: no route matches, still a JSON 404.
  t.equal(detailOf(t, await raw(url, "GET", "/api/persona/../../etc"), 404), "No route GET /api/persona/../../etc; the API is listed at /docs.");
  t.equal(detailOf(t, await api("GET", "/api/nope"), 404), "No route GET /api/nope; the API is listed at /docs.");
  t.equal(detailOf(t, await api("POST", "/api/persona"), 404), "No route POST /api/persona; the API is listed at /docs.");
  // Under /v1, OpenAI's shape, which its SDKs parse.
  t.equal(openaiErrorOf(t, await api("GET", "/v1/nope?x=1"), 404), "No route GET /v1/nope; the API is listed at /docs.");
  t.equal(openaiErrorOf(t, await api("GET", "/v1/chat/completions"), 404), "No route GET /v1/chat/completions; the API is listed at /docs.", "wrong method is an unknown route");
  t.equal(
    openaiErrorOf(t, await api("POST", "/v1/chat/completions", { model: "nobody", messages: [{ role: "user", content: "hi" }] }), 404),
    "No persona is called or has the id 'nobody'; GET /v1/models lists them.",
  );
});

t.test("409 for live routes on a stopped persona, 404 first", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { api } = await startDaemon(t);
  const created = await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201);
  const id = created.body.persona.id;

  // Running: live routes pass their checks.
  t.equal((await api("POST", `/api/persona/${id}/read`, { message: "hi" })).status, 202);
  t.equal((await api("POST", `/api/persona/${id}/sleep`)).status, 200);
  t.match(detailOf(t, await api("POST", `/api/persona/${id}/pair`, { code: "123456" }), 400), /not one she gave, or it has expired/);

  t.same((await api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  const notRunning = `Persona ${id} is not running (state: stopped). Start her with POST /api/persona/${id}/start.`;
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/read`, { message: "hi" }), 409), notRunning);
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/sleep`), 409), notRunning);
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/pair`, { code: "123456" }), 409), notRunning);
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/read`, { nonsense: true }), 409), notRunning, "409 comes before anything about the body");
  t.equal(openaiErrorOf(t, await api("POST", "/v1/chat/completions", { model: id, messages: [{ role: "user", content: "hi" }] }), 409), notRunning);
  // Config routes do not need her running.
  t.equal((await api("GET", `/api/persona/${id}/channels`)).status, 200);
  t.equal((await api("GET", `/api/persona/${id}/knowledge`)).status, 200);
  t.equal((await api("GET", `/api/persona/${id}/diagnose`)).status, 200);

  // 404 comes first for an id that does not exist.
  t.equal(detailOf(t, await api("POST", `/api/persona/${NO_SUCH_ID}/read`, { message: "hi" }), 404), `No persona with id '${NO_SUCH_ID}'.`);
  t.equal(detailOf(t, await api("POST", `/api/persona/${NO_SUCH_ID}/sleep`), 404), `No persona with id '${NO_SUCH_ID}'.`);
});

t.test("422: a list of {loc, msg, type} for every kind of schema failure", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { api, home, url } = await startDaemon(t);
  const thinking = { provider: "ollama", model: "llama3.2", url: ollama.url };

  let list = fieldErrors(t, await api("POST", "/api/persona/create"));
  t.same(list.map((e) => [e.loc, e.type]), [[["body"], "any.required"]], "missing body");
  list = fieldErrors(t, await api("POST", "/api/persona/create", "", { "content-type": "application/json" }));
  t.same(locs(list), ["body.name", "body.organs"], "an empty JSON body is an empty object");
  list = fieldErrors(t, await api("POST", "/api/persona/create", "{\"name\": \"Ada\",", { "content-type": "application/json" }));
  t.same(list.map((e) => [e.loc, e.type]), [[["body"], "json_invalid"]], "malformed JSON");
  t.match(list[0]?.msg, /^The body is not valid JSON: /);
  list = fieldErrors(t, await api("POST", "/api/persona/create", "[1,2]", { "content-type": "application/json" }));
  t.same(locs(list), ["body"], "a JSON array is not the object the route takes");

  list = fieldErrors(t, await api("POST", "/api/persona/create", { name: 5, organs: { thinking: { provider: "ollama", model: 7, url: "ftp://x" } } }));
  t.same(
    list.map((e) => [e.loc.join("."), e.type]),
    [
      ["body.name", "string.base"],
      ["body.organs.thinking.model", "string.base"],
      ["body.organs.thinking.url", "string.uriCustomScheme"],
    ],
    "wrong types: every field error at once",
  );
  list = fieldErrors(t, await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking, tail: thinking }, colour: "blue" }));
  t.same(list.map((e) => [e.loc.join("."), e.type]).sort(), [["body.colour", "object.unknown"], ["body.organs.tail", "object.unknown"]], "unknown keys");
  list = fieldErrors(t, await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { ...thinking, api_key: 12345678 } } }));
  t.same(locs(list), ["body.organs.thinking.api_key"]);
  t.notMatch(JSON.stringify(list), /12345678/, "a rejected secret is not echoed back");
  list = fieldErrors(t, await api("POST", "/api/persona/create", { name: "   ", organs: {} }));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body.name", "string.empty"], ["body.organs.thinking", "any.required"]]);
  t.same(fs.readdirSync(path.join(home, "personas")), [], "nothing written by a 422");

  const id = (await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking } })).body.persona.id;
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/update`, { organs: { thinking: null } }));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body.organs.thinking", "object.base"]], "thinking cannot be removed");
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/update`, { status: "sick" }));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body.status", "any.only"]], "sick is set by the daemon, not the person");
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/update`, {}));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body", "object.min"]], "an empty update");
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/update`));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body", "any.required"]], "an update without a body");
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/update`, { name: "Bea", id: "3f0c9a52-8a1e-4c7e-9d2b-0a9a8b7c6d5e" }));
  t.same(locs(list), ["body.id"], "her id cannot be changed");
  t.equal((await api("GET", `/api/persona/${id}`)).body.persona.name, "Ada", "a refused update changed nothing");

  list = fieldErrors(t, await api("GET", `/api/persona/${id}/calendar?end=2026-02-01`));
  t.same(list.map((e) => [e.loc, e.type]), [[["query", "start"], "any.required"]], "calendar without start");
  list = fieldErrors(t, await api("GET", `/api/persona/${id}/calendar?start=yesterday&end=2026-02-01&colour=blue`));
  t.same(locs(list).sort(), ["query.colour", "query.start"]);
  list = fieldErrors(t, await api("GET", `/api/persona/${id}/conversation?date=28-11-2026`));
  t.same(locs(list), ["query.date"]);
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/read?wait=soon`, { message: "hi" }));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["query.wait", "number.base"]]);
  list = fieldErrors(t, await api("POST", `/api/persona/${id}/read`, { message: "" }));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["body.message", "string.empty"]]);
  list = fieldErrors(t, await api("GET", `/api/persona/${"a".repeat(65)}`));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["path.id", "string.max"]]);
  list = fieldErrors(t, await raw(url, "GET", `/api/persona/${id}/media/..`));
  t.same(list.map((e) => [e.loc.join("."), e.type]), [["path.file", "string.pattern.base"]], "no path escapes through media");
});

t.test("500: an unhandled plugin error is `Type: message`, one line, with the key scrubbed", async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const key = "good-k3y-7f1e0b9c2d4a";
  const stored = "good-st0red-5e8d2c1a9b";
  let d = await startDaemon(t, { home, plugins: [KEYED] });

  // The key arrives in the request.
  let r = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "keyed", model: "explode", api_key: key } } });
  t.equal(detailOf(t, r, 500), 'TypeError: Invalid header value for x-api-key: "***"', "type, message, no stack, no key");
  t.equal(prepared().at(-1)?.spec.api_key, key, "the plugin really was handed the key");

  // The key is only on disk: an update that omits it prepares with the stored one.
  r = await d.api("POST", "/api/persona/create", { name: "Bea", organs: { thinking: { provider: "keyed", model: "fine", api_key: stored } } });
  t.equal(r.status, 201);
  const id = r.body.persona.id;
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "explode" } } });
  t.equal(detailOf(t, r, 500), 'TypeError: Invalid header value for x-api-key: "***"');
  t.equal(prepared().at(-1)?.spec.api_key, stored, "the stored key was used");

  // A fresh daemon knows the stored keys from boot, before any request names them.
  await d.daemon.stop();
  d = await startDaemon(t, { home, plugins: [KEYED] });
  r = await d.api("POST", `/api/persona/${id}/update`, { organs: { thinking: { provider: "keyed", model: "explode" } } });
  t.equal(detailOf(t, r, 500), 'TypeError: Invalid header value for x-api-key: "***"', "scrubbed after a restart of the daemon");
  t.equal(prepared().at(-1)?.spec.api_key, stored);
  t.equal((await d.api("GET", `/api/persona/${id}`)).body.persona.organs.thinking.model, "fine", "a failed update changed nothing");

  // Neither key reached a log line or any file other than her secrets.json.
  await d.daemon.stop();
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else {
        const text = fs.readFileSync(f, "utf8");
        if (text.includes(key)) hits.push(`${path.relative(home, f)}: request key`);
        if (text.includes(stored)) hits.push(path.relative(home, f));
      }
    }
  };
  walk(home);
  t.same(hits, [path.join("personas", id, "secrets.json")]);
  const log = fs.readFileSync(path.join(home, "logs", "eternego.log"), "utf8");
  t.match(log, /TypeError: Invalid header value for x-api-key: \\"\*\*\*\\"/, "the 500 was logged, scrubbed");
});

t.test("413: a JSON body over 1 MiB", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { api, home } = await startDaemon(t);
  const big = "x".repeat(1024 * 1024 + 1);
  const tooLarge = "The request body is too large (JSON bodies are limited to 1 MiB).";
  t.equal(detailOf(t, await api("POST", "/api/persona/create", { name: big, organs: {} }), 413), tooLarge);
  t.same(fs.readdirSync(path.join(home, "personas")), []);
  const id = (await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } })).body.persona.id;
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/update`, { name: big }), 413), tooLarge);
  t.equal(detailOf(t, await api("POST", `/api/persona/${id}/read`, { message: big }), 413), tooLarge);
  // Just under the limit is parsed (and then refused by the schema, not the parser).
  const justUnder = JSON.stringify({ name: "y".repeat(1024 * 1024 - 20) });
  t.ok(Buffer.byteLength(justUnder) <= 1024 * 1024);
  const r = await api("POST", `/api/persona/${id}/update`, justUnder, { "content-type": "application/json" });
  t.same(locs(fieldErrors(t, r)), ["body.name"]);
});
