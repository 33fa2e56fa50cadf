import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import busboy from "busboy";
import { TooLarge, Unsupported, ValidationFailed, isEternegoError, type EternegoError } from "../api/errors.js";
import type { Logger } from "../logger.js";
import type { RouteContext, UploadedFile, UploadSpec } from "./route.js";

const FIELD_LIMIT = 64 * 1024;

const malformed = (why: string) => new ValidationFailed([{ loc: ["body"], msg: `Malformed multipart request: ${why}`, type: "multipart_invalid" }]);

/**
 * The name a part gives, as the person wrote it, reduced to its last path segment (a browser
 * on Windows may send `C:\…\a.txt`) and without control characters.
 */
export function partName(raw: string | undefined): string {
  const last = (raw ?? "").split(/[\\/]/).pop() ?? "";
  return last.replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 255);
}

/**
 * Reads a multipart body part by part. Each file part is judged by `spec.accept` as soon
 * as its file name is known: a refused part stops the whole upload before a byte of it is
 * written, and a part over its size limit stops it as soon as the limit is passed. Kept
 * files go to `tmpDir` and are removed when the response ends. A body that breaks off or
 * lies about its shape is the client's fault (422), never an error of the daemon's: every
 * stream involved has a listener for its errors, so none can go unhandled.
 */
export async function receiveUpload(ctx: RouteContext, spec: UploadSpec, tmpDir: string, log: Logger): Promise<{ fields: Record<string, string>; files: UploadedFile[] }> {
  const { req, res } = ctx;
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data/i.test(type)) {
    throw new ValidationFailed([{ loc: ["body"], msg: "Send this request as multipart/form-data.", type: "multipart_required" }]);
  }
  const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "") {
    throw new Unsupported(`Uploads are taken uncompressed; this one says Content-Encoding: ${encoding.slice(0, 40)}. Send the files as they are.`);
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  // Kept files live as long as the response: removed when it ends, or at once when a part is
  // still being written after it ended (an upload refused while another part was in flight).
  let ended = false;
  const drop = (f: UploadedFile) => fsp.rm(f.path, { force: true });
  res.on("close", () => {
    ended = true;
    void Promise.all(files.map(drop));
  });

  await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const counts = new Map<string, number>();
  const allowed = new Map(spec.files.map((f) => [f.name, f]));
  const maxFiles = spec.files.reduce((n, f) => n + f.maxCount, 0);

  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      // defParamCharset: a browser sends `filename="café.txt"` as UTF-8 bytes, not Latin-1.
      bb = busboy({ headers: req.headers, defParamCharset: "utf8", limits: { fieldSize: FIELD_LIMIT, fields: 20, files: maxFiles, parts: maxFiles + 20 } });
    } catch (err) {
      reject(malformed((err as Error).message));
      return;
    }
    let failed = false;
    const pending: Promise<void>[] = [];
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      const e: EternegoError = isEternegoError(err) ? err : malformed(err instanceof Error ? err.message : String(err));
      if (e instanceof ValidationFailed) log.warn({ method: req.method, path: req.path }, `Refused a malformed upload: ${e.message}`);
      // Stop reading: the rest of the body (maybe a gigabyte) is never taken in. The
      // connection is closed once the error response is out.
      req.unpipe(bb);
      res.setHeader("Connection", "close");
      res.once("finish", () => req.socket.destroySoon?.() ?? req.socket.end());
      reject(e);
    };

    bb.on("file", (rawField, stream, info) => {
      // Busboy destroys a file stream with the form's own error when the body breaks off;
      // that error is also the form's, and is handled there.
      stream.on("error", () => {});
      if (failed) return void stream.resume();
      // A part may come without a name at all.
      const field = typeof rawField === "string" ? rawField : "";
      const slot = allowed.get(field);
      const n = (counts.get(field) ?? 0) + 1;
      counts.set(field, n);
      if (!slot) return fail(new ValidationFailed([{ loc: ["body", field], msg: `Unexpected file field '${field.slice(0, 100)}'; this route takes ${[...allowed.keys()].join(", ")}.`, type: "field_unexpected" }]));
      if (n > slot.maxCount) return fail(new ValidationFailed([{ loc: ["body", field], msg: `At most ${slot.maxCount} file(s) in '${field}'.`, type: "too_many_files" }]));
      const name = partName(info.filename);
      if (!name) return fail(new Unsupported(`The '${field}' part has no file name, so its kind cannot be told; send it with a filename.`));
      stream.pause();
      const work = (async () => {
        const { maxBytes } = await spec.accept(ctx, field, name);
        if (failed) return void stream.resume(); // refused meanwhile: nothing more is written
        const target = path.join(tmpDir, `${crypto.randomUUID()}${path.extname(name).toLowerCase().replace(/[^.a-z0-9]/g, "")}`);
        let size = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _e, done) {
            size += chunk.length;
            if (size > maxBytes) done(new TooLarge(`'${name}' is larger than the ${maxBytes} bytes allowed for this kind of file.`));
            else done(null, chunk);
          },
        });
        const file: UploadedFile = { field, name, mimeType: info.mimeType, path: target, size: 0 };
        files.push(file);
        try {
          await pipeline(stream, counter, fs.createWriteStream(target, { mode: 0o600 }));
        } catch (err) {
          await drop(file);
          throw err;
        }
        if (ended) await drop(file);
        file.size = size;
      })();
      pending.push(work.catch((err) => {
        stream.resume();
        fail(err);
      }));
    });
    bb.on("field", (rawName, value, info) => {
      const name = typeof rawName === "string" ? rawName : "";
      if (info.valueTruncated) return fail(new TooLarge(`The field '${name.slice(0, 100)}' is longer than ${FIELD_LIMIT} bytes.`));
      fields[name] = value;
    });
    bb.on("filesLimit", () => fail(new ValidationFailed([{ loc: ["body"], msg: `At most ${maxFiles} file(s) per request.`, type: "too_many_files" }])));
    bb.on("partsLimit", () => fail(new ValidationFailed([{ loc: ["body"], msg: "Too many parts in this request.", type: "too_many_parts" }])));
    bb.on("fieldsLimit", () => fail(new ValidationFailed([{ loc: ["body"], msg: "Too many fields in this request.", type: "too_many_fields" }])));
    bb.on("error", (err) => fail(malformed((err as Error).message)));
    bb.on("close", () => {
      void Promise.all(pending).then(() => {
        if (failed) return;
        for (const f of spec.files) {
          if (f.required && !counts.get(f.name)) {
            return reject(new ValidationFailed([{ loc: ["body", f.name], msg: `'${f.name}' is required: attach a file under that field name.`, type: "any.required" }]));
          }
        }
        resolve({ fields, files });
      });
    });
    req.on("error", (err) => fail(malformed(err.message)));
    req.on("aborted", () => fail(new Error("the client went away before the upload was complete")));
    req.pipe(bb);
  });
}
