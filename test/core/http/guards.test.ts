import t, { type Test } from "tap";
import { resolveConfig } from "../../../core/config.js";
import { startFakeOllama } from "../../fixtures/fake-ollama.js";
import { connect, json, raw } from "../../fixtures/plugins-host/net.js";
import { startDaemon } from "../../helpers/daemon.js";

const EVIL = "http://evil.example";

async function withPersona(t: Test) {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t);
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  return { ...d, ollama, id: created.body.persona.id as string, port: new URL(d.url).port };
}

const onlyDetail = (t: Test, body: unknown, what: string) => {
  t.type(body, "object", `${what}: JSON body`);
  t.same(Object.keys(body as object), ["detail"], `${what}: exactly {detail}`);
  t.type((body as { detail: unknown }).detail, "string", `${what}: detail is a sentence`);
};

t.test("a foreign Host is refused (DNS rebinding), on reads and writes", async (t) => {
  const { url, id, port, api } = await withPersona(t);
  for (const [method, path] of [["GET", "/api/personas"], ["GET", `/api/persona/${id}`], ["GET", "/openapi.json"], ["GET", "/"], ["POST", `/api/persona/${id}/stop`]] as const) {
    const r = await raw(url, method, path, { headers: { host: `evil.example:${port}` } });
    t.equal(r.status, 403, `${method} ${path} with Host evil.example`);
    onlyDetail(t, r.body, `${method} ${path}`);
    t.match(r.body.detail, /evil\.example/, "the detail names the refused host");
  }
  // Also without a port, and a rebinding name that merely contains "localhost".
  for (const host of ["evil.example", "localhost.evil.example", "127.0.0.1.evil.example"]) {
    t.equal((await raw(url, "GET", "/api/personas", { headers: { host } })).status, 403, `Host ${host}`);
  }
  t.equal((await api("GET", `/api/persona/${id}`)).body.persona.running, true, "the refused stop did not stop her");
});

t.test("loopback Host names work", async (t) => {
  const { url, port } = await withPersona(t);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `dash.localhost:${port}`]) {
    const r = await raw(url, "GET", "/api/personas", { headers: { host } });
    t.equal(r.status, 200, `Host ${host}`);
    t.equal(r.body.personas.length, 1);
  }
});

t.test("a foreign Origin may not change anything (CSRF), but may read", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { url, id, port, api } = await withPersona(t);
  const create = json({ name: "Mallory", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });

  const refused = await raw(url, "POST", "/api/persona/create", { ...create, headers: { ...create.headers, origin: EVIL } });
  t.equal(refused.status, 403, "create from evil.example");
  onlyDetail(t, refused.body, "create");
  t.match(refused.body.detail, /evil\.example/);
  t.same((await api("GET", "/api/personas")).body.personas.map((p: { id: string }) => p.id), [id], "no persona was created");

  for (const origin of [EVIL, "null", `http://evil.example:${port}`, "http://127.0.0.1.evil.example", "not a url"]) {
    const stop = await raw(url, "POST", `/api/persona/${id}/stop`, { headers: { origin } });
    t.equal(stop.status, 403, `stop with Origin ${origin}`);
    onlyDetail(t, stop.body, `stop with Origin ${origin}`);
  }
  const after = (await api("GET", `/api/persona/${id}`)).body.persona;
  t.equal(after.running, true, "she is still running");
  t.equal(after.status, "active", "her status did not change");
  t.equal(ollama.requests.length, 0, "the refused create never reached the organ");

  const read = await raw(url, "GET", `/api/persona/${id}`, { headers: { origin: EVIL } });
  t.equal(read.status, 200, "a GET with a foreign Origin is allowed (read-only)");
  t.equal(read.body.persona.id, id);
  t.equal(read.headers["access-control-allow-origin"], undefined, "…but no CORS header lets the page read it");

  for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
    const ok = await raw(url, "POST", `/api/persona/${id}/update`, { body: JSON.stringify({ name: "Ada B" }), headers: { "content-type": "application/json", origin } });
    t.equal(ok.status, 200, `same-origin POST from ${origin} works`);
  }
  const stopped = await raw(url, "POST", `/api/persona/${id}/stop`, { headers: { origin: `http://127.0.0.1:${port}` } });
  t.same([stopped.status, stopped.body], [200, { status: "stopped" }], "same-origin stop works");
  t.equal((await api("GET", `/api/persona/${id}`)).body.persona.running, false);
});

t.test("a page of another site cannot change her, whatever marks it leaves off", async (t) => {
  const { url, id, port, api } = await withPersona(t);
  // A plain HTML form: no Origin, a text/plain body, and the browser's own mark.
  const form = { "content-type": "text/plain", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
  for (const path of [`/api/persona/${id}/stop`, `/api/persona/${id}/delete`, `/api/persona/${id}/restart`]) {
    const r = await raw(url, "POST", path, { headers: form, body: "x=1" });
    t.equal(r.status, 403, `a cross-site form POST to ${path}`);
    onlyDetail(t, r.body, path);
    t.match(r.body.detail, /cross-site/, "the detail says why");
  }
  for (const site of ["same-site", "cross-site", "SAME-SITE"]) {
    t.equal((await raw(url, "POST", `/api/persona/${id}/stop`, { headers: { "sec-fetch-site": site } })).status, 403, `Sec-Fetch-Site: ${site}`);
  }
  for (const origin of ["http://localhost:3000", `http://localhost:${Number(port) + 1}`, `https://localhost:${port}`, `http://127.0.0.1:${Number(port) - 1}`]) {
    const r = await raw(url, "POST", `/api/persona/${id}/stop`, { headers: { origin } });
    t.equal(r.status, 403, `another local origin ${origin}`);
    t.match(r.body.detail, /ETERNEGO_ALLOWED_ORIGINS/, "…and the detail names the way to allow a UI of one's own");
  }
  const after = (await api("GET", `/api/persona/${id}`)).body.persona;
  t.same([after.running, after.status], [true, "active"], "she was not touched");

  for (const site of ["same-origin", "none"]) {
    const r = await raw(url, "POST", `/api/persona/${id}/update`, { body: JSON.stringify({ name: `Ada ${site}` }), headers: { "content-type": "application/json", "sec-fetch-site": site } });
    t.equal(r.status, 200, `Sec-Fetch-Site: ${site} is her own page (or the person typing)`);
  }
  const own = await raw(url, "POST", `/api/persona/${id}/update`, { body: JSON.stringify({ name: "Ada" }), headers: { "content-type": "application/json", origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" } });
  t.equal(own.status, 200, "the dashboard, as a browser sends it");
});

t.test("ETERNEGO_ALLOWED_ORIGINS lets a UI on another port in, and nothing else", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const d = await startDaemon(t, { env: { ETERNEGO_ALLOWED_ORIGINS: "http://localhost:3000, http://127.0.0.1:8080" } });
  const created = await d.api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  const id = created.body.persona.id;
  const ok = await raw(d.url, "POST", `/api/persona/${id}/update`, { body: JSON.stringify({ name: "Ada" }), headers: { "content-type": "application/json", origin: "http://localhost:3000", "sec-fetch-site": "same-site" } });
  t.equal(ok.status, 200, "an allowed origin may change things");
  t.equal((await raw(d.url, "POST", `/api/persona/${id}/stop`, { headers: { origin: "http://localhost:3001" } })).status, 403, "its neighbour may not");
  t.equal((await raw(d.url, "POST", `/api/persona/${id}/stop`, { headers: { "sec-fetch-site": "same-site" } })).status, 403, "nor a same-site request that names no origin");
  const socket = await connect(d.url, { transports: ["websocket"], extraHeaders: { origin: "http://127.0.0.1:8080" } });
  t.teardown(() => socket.socket.close());
  t.equal(socket.connected, true, "the allowed UI's socket connects");
  const other = await connect(d.url, { transports: ["websocket"], extraHeaders: { origin: "http://127.0.0.1:8081" } });
  t.teardown(() => other.socket.close());
  t.equal(other.connected, false, "another port's socket does not");
  t.throws(() => resolveConfig({}, { ETERNEGO_ALLOWED_ORIGINS: "localhost:3000" }), /ETERNEGO_ALLOWED_ORIGINS.*http:\/\/localhost:3000/, "a value that is not an origin is refused with an example");
  t.throws(() => resolveConfig({}, { ETERNEGO_ALLOWED_ORIGINS: "http://localhost:3000/app" }), /not an origin/, "…and so is a URL with a path");
});

t.test("socket.io handshake: another local origin and cross-site marks are refused", async (t) => {
  const { url, port } = await withPersona(t);
  for (const transport of ["polling", "websocket"]) {
    for (const headers of [{ origin: "http://localhost:3000" }, { origin: `http://localhost:${Number(port) + 1}` }, { "sec-fetch-site": "cross-site" }] as Record<string, string>[]) {
      const s = await connect(url, { transports: [transport], extraHeaders: headers });
      t.teardown(() => s.socket.close());
      t.equal(s.connected, false, `${transport}: ${JSON.stringify(headers)} refused`);
    }
  }
});

t.test("no CORS headers anywhere, preflight included", async (t) => {
  const { url, id, port } = await withPersona(t);
  const replies = [
    await raw(url, "OPTIONS", "/api/persona/create", { headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } }),
    await raw(url, "OPTIONS", `/api/persona/${id}/stop`, { headers: { origin: `http://127.0.0.1:${port}`, "access-control-request-method": "POST" } }),
    await raw(url, "GET", "/api/personas", { headers: { origin: EVIL } }),
    await raw(url, "GET", "/api/personas", { headers: { origin: `http://localhost:${port}` } }),
    await raw(url, "POST", `/api/persona/${id}/stop`, { headers: { origin: EVIL } }),
    await raw(url, "GET", "/api/nothing-here", { headers: { origin: EVIL } }),
    await raw(url, "GET", "/socket.io/?EIO=4&transport=polling", { headers: { origin: `http://127.0.0.1:${port}` } }),
    await raw(url, "GET", "/socket.io/?EIO=4&transport=polling", { headers: { origin: EVIL } }),
  ];
  for (const r of replies) {
    const cors = Object.keys(r.headers).filter((h) => h.startsWith("access-control-"));
    t.same(cors, [], `no access-control-* headers (status ${r.status})`);
  }
  t.equal(replies[7]!.status, 403, "the socket.io polling handshake from a foreign Origin is refused");
});

t.test("socket.io handshake: foreign Origin refused, loopback accepted", async (t) => {
  const { url, port } = await withPersona(t);
  for (const transport of ["polling", "websocket"]) {
    const evil = await connect(url, { transports: [transport], extraHeaders: { origin: EVIL } });
    t.teardown(() => evil.socket.close());
    t.equal(evil.connected, false, `${transport}: no connection from evil.example`);
    t.ok(evil.error, `${transport}: connect_error fired`);
    // Refused by the server (403 on polling; ws reports the failed upgrade), not timed out.
    const desc = (evil.error as { description?: unknown })?.description;
    const why = `${evil.error?.message} ${(desc as Error)?.message ?? desc}`;
    t.match(why, transport === "polling" ? /403/ : /Unexpected server response: 4\d\d/, `${transport}: refused by the server (${why})`);

    if (transport === "websocket") {
      // (The polling client cannot forge Host; the raw polling handshake is checked below.)
      const rebinding = await connect(url, { transports: [transport], extraHeaders: { host: `evil.example:${port}` } });
      t.teardown(() => rebinding.socket.close());
      t.equal(rebinding.connected, false, `${transport}: no connection with a foreign Host`);
      t.ok(rebinding.error, `${transport}: connect_error fired for the foreign Host`);
    }

    const good = await connect(url, { transports: [transport] });
    t.teardown(() => good.socket.close());
    t.equal(good.connected, true, `${transport}: a normal client connects (${good.error?.message ?? ""})`);

    const same = await connect(url, { transports: [transport], extraHeaders: { origin: `http://localhost:${port}` } });
    t.teardown(() => same.socket.close());
    t.equal(same.connected, true, `${transport}: the dashboard's own origin connects`);
  }
  const pollEvilHost = await raw(url, "GET", "/socket.io/?EIO=4&transport=polling", { headers: { host: `evil.example:${port}` } });
  t.equal(pollEvilHost.status, 403, "the raw polling handshake with a foreign Host is refused");
  const pollGood = await raw(url, "GET", "/socket.io/?EIO=4&transport=polling");
  t.equal(pollGood.status, 200, "the raw polling handshake on loopback opens");
  t.match(pollGood.text, /"sid"/);
});

t.test("token mode: every request needs the bearer token", async (t) => {
  const token = "s3cret-token-for-tests-0123456789";
  const { url, api } = await startDaemon(t, { env: { ETERNEGO_TOKEN: token } });
  const tries: Record<string, string>[] = [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${token}` }, { authorization: `Bearer ${token}x` }, { authorization: token }];
  for (const headers of tries) {
    for (const [method, path] of [["GET", "/api/personas"], ["GET", "/openapi.json"], ["POST", "/api/persona/create"]] as const) {
      const r = await api(method, path, method === "POST" ? { name: "x" } : undefined, headers);
      t.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
      t.same(Object.keys(r.body), ["detail"]);
      t.notMatch(r.body.detail, token, "the detail never echoes the token");
    }
  }
  const ok = await api("GET", "/api/personas", undefined, { authorization: `Bearer ${token}` });
  t.same([ok.status, ok.body], [200, { personas: [] }], "the right bearer is let in");
  t.equal((await api("GET", "/api/personas", undefined, { authorization: `bearer ${token}` })).status, 200, "the scheme is case-insensitive");

  const without = await connect(url, { transports: ["websocket"] });
  t.teardown(() => without.socket.close());
  t.equal(without.connected, false, "a socket without the token is refused");
  t.match(String(without.error?.message), /token/);
  const wrong = await connect(url, { transports: ["polling"], auth: { token: "nope" } });
  t.teardown(() => wrong.socket.close());
  t.equal(wrong.connected, false, "a socket with a wrong token is refused");
  for (const transport of ["polling", "websocket"]) {
    const right = await connect(url, { transports: [transport], auth: { token } });
    t.teardown(() => right.socket.close());
    t.equal(right.connected, true, `${transport}: a socket with auth {token} connects`);
  }
});

t.test("resolveConfig refuses a non-loopback host without a token", async (t) => {
  for (const host of ["0.0.0.0", "192.168.1.20", "::", "example.com"]) {
    t.throws(() => resolveConfig({ host }, {}), /ETERNEGO_TOKEN/, `--host ${host} without a token`);
    t.equal(resolveConfig({ host }, { ETERNEGO_TOKEN: "long-random-secret" }).host, host, `--host ${host} with a token`);
  }
  t.throws(() => resolveConfig({ host: "0.0.0.0" }, { ETERNEGO_TOKEN: "" }), /ETERNEGO_TOKEN/, "an empty token is no token");
  for (const host of ["127.0.0.1", "localhost", "::1"]) {
    const c = resolveConfig({ host }, {});
    t.equal(c.host, host);
    t.equal(c.token, null);
  }
  t.equal(resolveConfig({}, {}).host, "127.0.0.1", "loopback by default");
});
