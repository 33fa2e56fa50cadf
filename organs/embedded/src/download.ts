import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { OrganFault, idleTimer, targetOf, type ModelContext, type OrganSpec, type OrganTarget } from "eternego/plugin";

/*
 * Fetching a model once into the models folder. The bytes go to `<file>.part`; an interrupted
 * download resumes from what is there (HTTP Range), within the same prepare (a few attempts)
 * or the next one. The first bytes must be GGUF's; the whole must be as long as the server
 * said and, when the server names a SHA-256 (Hugging Face does, as the file's ETag), hash to
 * it. Only then is the file renamed into place, so a file under its final name is whole.
 * Two personas fetching one reference at once share one download.
 */

const ATTEMPTS = 4;
const MAX_REDIRECTS = 8;
const MB = 1024 * 1024;

const inflight = new Map<string, Promise<void>>();

export interface RemoteModel {
  url: string;
  file: string;
}

/** Fetches `ref.url` to `ref.file` unless the file is there already; progress goes to `ctx.progress`. */
export function download(ref: RemoteModel, spec: OrganSpec, ctx: ModelContext): Promise<void> {
  let p = inflight.get(ref.file);
  if (!p) {
    p = (async () => {
      if (await fs.stat(ref.file).then((s) => s.isFile(), () => false)) return;
      await fetchInto(ref, spec, ctx);
    })().finally(() => inflight.delete(ref.file));
    inflight.set(ref.file, p);
  }
  return p;
}

/** A 64-hex SHA-256 given as an ETag (`"…"`, maybe weak), or null. */
function sha256Of(tag: string | null): string | null {
  const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(tag?.trim() ?? "");
  return m ? m[1]!.toLowerCase() : null;
}

const mb = (n: number) => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;
const sizeOf = (file: string) => fs.stat(file).then((s) => s.size, () => 0);

/** Hashes what a part file already holds, so a resumed download is checked whole. */
async function hashOf(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

interface Answer {
  res: Response;
  /** The SHA-256 the server named on the way (a redirect's X-Linked-Etag, or the ETag), or null. */
  sha256: string | null;
  /** The whole file's size, when the server says it. */
  size: number | null;
}

async function fetchInto(ref: RemoteModel, spec: OrganSpec, ctx: ModelContext): Promise<void> {
  const target = targetOf({ ...spec, url: ref.url }, ctx);
  const part = `${ref.file}.part`;
  const name = path.basename(ref.file);
  await fs.mkdir(path.dirname(ref.file), { recursive: true, mode: 0o700 });
  ctx.log.info("fetching a model", { url: ref.url, file: ref.file });
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await transfer(ref, part, name, spec, ctx, target);
      await fs.rename(part, ref.file);
      ctx.progress({ status: `downloaded ${name}` });
      ctx.log.info("fetched the model", { url: ref.url, file: ref.file, bytes: await sizeOf(ref.file) });
      return;
    } catch (err) {
      lastError = err;
      const fault = err as OrganFault;
      // What came is not the model (an HTML page, the wrong checksum): nothing of it is kept.
      if (err instanceof OrganFault && err.kind === "model") await fs.rm(part, { force: true });
      if (ctx.signal?.aborted || !(err instanceof OrganFault) || !fault.transient || attempt === ATTEMPTS) break;
      ctx.log.warn(`the download broke off (${fault.message}); resuming`, { file: part, attempt });
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
  throw lastError;
}

/** One request: from where the part file ends to the end of the file. */
async function transfer(ref: RemoteModel, part: string, name: string, spec: OrganSpec, ctx: ModelContext, target: OrganTarget): Promise<void> {
  let have = await sizeOf(part);
  const idle = idleTimer(ctx.timeoutMs, ctx.signal, `silent for ${ctx.timeoutMs / 1000} s`);
  try {
    const { res, sha256, size } = await request(ref.url, have, spec, target, idle, ctx.timeoutMs);
    if (have > 0 && res.status !== 206) have = 0; // the server sent the whole file again
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
    if (res.status === 206 && (!range || Number(range[1]) !== have)) {
      await res.body?.cancel().catch(() => {});
      await fs.rm(part, { force: true });
      throw new OrganFault("server", target, 206, `${new URL(ref.url).host} answered another range than the one asked for; starting the download over.`);
    }
    const total = range && range[2] !== "*" ? Number(range[2]) : size;
    const hash = sha256 ? createHash("sha256") : null;
    if (hash && have > 0) await hashOf(part, hash);
    if (have > 0) ctx.progress({ status: `resuming ${name}`, completed: have, ...(total ? { total } : {}) });
    const out = await fs.open(part, have > 0 ? "a" : "w", 0o600);
    let done = have;
    let shown = 0;
    let probe = Buffer.alloc(0);
    try {
      if (!res.body) throw new OrganFault("malformed", target, res.status, "answered with no body.");
      for await (const chunk of res.body) {
        idle.arm();
        const bytes = chunk as Uint8Array;
        // Its first bytes, however the server cuts its chunks, say whether this is a GGUF file at all.
        if (have === 0 && probe.length < 4) {
          probe = Buffer.concat([probe, Buffer.from(bytes.subarray(0, 16))]);
          if (probe.length >= 4 && probe.subarray(0, 4).toString("latin1") !== "GGUF") {
            await res.body.cancel().catch(() => {});
            const kind = res.headers.get("content-type")?.split(";")[0] ?? "no content type";
            throw new OrganFault("model", target, res.status, `that is not a GGUF model file (the server sent ${kind}, beginning ${JSON.stringify(probe.subarray(0, 16).toString("latin1"))}) — give the link of the .gguf file itself (on Hugging Face: …/resolve/main/<file>.gguf).`);
          }
        }
        await out.write(bytes);
        hash?.update(bytes);
        done += bytes.length;
        // A progress event for every 1% (or 8 MB when the size is unknown): enough for a bar.
        const step = total ? Math.max(total / 100, 64 * 1024) : 8 * MB;
        if (done - shown >= step) {
          shown = done;
          ctx.progress({ status: `downloading ${name}`, completed: done, ...(total ? { total } : {}) });
        }
      }
    } catch (err) {
      if (err instanceof OrganFault) throw err;
      if (ctx.signal?.aborted) throw err;
      const why = idle.silent() ? `the download went silent for ${ctx.timeoutMs / 1000} s` : `the download broke off (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`;
      throw new OrganFault(idle.silent() ? "timeout" : "unreachable", target, null, `${why} at ${mb(done)}${total ? ` of ${mb(total)}` : ""}; what came is kept in ${part} and the next try resumes from there.`, { cause: err });
    } finally {
      await out.close();
    }
    if (total && done !== total) {
      throw new OrganFault("unreachable", target, null, `the download ended at ${mb(done)} of ${mb(total)}; what came is kept in ${part} and the next try resumes from there.`);
    }
    if (hash && sha256) {
      const got = hash.digest("hex");
      if (got !== sha256) {
        throw new OrganFault("model", target, null, `the downloaded file does not match its checksum (SHA-256 ${got.slice(0, 12)}…, the server named ${sha256.slice(0, 12)}…), so it was deleted — try again; if it keeps happening, the file on the server is damaged.`);
      }
    }
    ctx.progress({ status: `verified ${name}`, completed: done, total: done });
  } finally {
    idle.clear();
  }
}

/**
 * The GET, following redirects by hand: Hugging Face names the file's SHA-256 and size on
 * the redirect (`X-Linked-Etag`, `X-Linked-Size`) rather than on the CDN's answer. A key, when
 * the organ has one, goes as a bearer token to the first host only.
 */
async function request(url: string, from: number, spec: OrganSpec, target: OrganTarget, idle: { signal: AbortSignal; silent(): boolean }, timeoutMs: number): Promise<Answer> {
  let sha256: string | null = null;
  let size: number | null = null;
  let at = new URL(url);
  const first = at.origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity", "user-agent": "eternego" };
    if (from > 0) headers.range = `bytes=${from}-`;
    if (spec.api_key && at.origin === first) headers.authorization = `Bearer ${spec.api_key}`;
    let res: Response;
    try {
      res = await fetch(at, { headers, redirect: "manual", signal: idle.signal });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? "";
      if (idle.silent()) throw new OrganFault("timeout", target, null, `${at.host} did not answer within ${timeoutMs / 1000} s.`, { cause: err });
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") throw new OrganFault("dns", target, null, `the host ${at.host} does not resolve — check the link, and that this machine is online.`, { cause: err });
      throw new OrganFault("unreachable", target, null, `${at.host} could not be reached (${code || (err as Error).message}) — check the link, and that this machine is online.`, { cause: err });
    }
    sha256 ??= sha256Of(res.headers.get("x-linked-etag"));
    const linked = Number(res.headers.get("x-linked-size"));
    if (Number.isInteger(linked) && linked > 0) size ??= linked;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => {});
      at = new URL(location, at);
      continue;
    }
    if (res.ok) {
      sha256 ??= sha256Of(res.headers.get("etag"));
      const length = Number(res.headers.get("content-length"));
      if (res.status === 200 && Number.isInteger(length) && length > 0) size ??= length;
      return { res, sha256, size };
    }
    await res.body?.cancel().catch(() => {});
    if (res.status === 416 && from > 0) {
      // The part is longer than the file (it changed on the server): start over.
      return request(url, 0, spec, target, idle, timeoutMs);
    }
    const kind = res.status === 401 || res.status === 403 ? "auth" : res.status === 404 ? "model" : res.status === 429 ? "rate" : res.status >= 500 ? "server" : "rejected";
    const why =
      kind === "auth"
        ? `${res.status} from ${at.host}: the file needs permission — a gated Hugging Face model needs its licence accepted and a token as the organ's api_key.`
        : kind === "model"
          ? `404 from ${at.host}: there is no such file — check the link (an hf: reference is hf:<user>/<repo>/<file>.gguf, a file on the repository's main branch).`
          : `${res.status} from ${at.host}.`;
    throw new OrganFault(kind, target, res.status, why);
  }
  throw new OrganFault("rejected", target, null, `more than ${MAX_REDIRECTS} redirects.`);
}
