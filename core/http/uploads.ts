import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import busboy from "busboy";
import { TooLarge, Unsupported, type EternegoError } from "../api/errors.js";
import { ValidationFailed } from "../api/errors.js";
import type { RouteContext, UploadedFile, UploadSpec } from "./route.js";

const FIELD_LIMIT = 64 * 1024;

/**
 * Reads a multipart body part by part. Each file part is judged by `spec.accept` as soon
 * as its file name is known: a refused part stops the whole upload before a byte of it is
 * written, and a part over its size limit stops it as soon as the limit is passed. Kept
 * files go to `tmpDir` and are removed when the response ends.
 */
export async function receiveUpload(ctx: RouteContext, spec: UploadSpec, tmpDir: string): Promise<{ fields: Record<string, string>; files: UploadedFile[] }> {
  const { req, res } = ctx;
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data/i.test(type)) {
    throw new ValidationFailed([{ loc: ["body"], msg: "Send this request as multipart/form-data.", type: "multipart_required" }]);
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  res.on("close", () => void Promise.all(files.map((f) => fsp.rm(f.path, { force: true }))));

  await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const counts = new Map<string, number>();
  const allowed = new Map(spec.files.map((f) => [f.name, f]));
  const maxFiles = spec.files.reduce((n, f) => n + f.maxCount, 0);

  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fieldSize: FIELD_LIMIT, fields: 20, files: maxFiles, parts: maxFiles + 20 } });
    } catch (err) {
      reject(new ValidationFailed([{ loc: ["body"], msg: `Malformed multipart request: ${(err as Error).message}`, type: "multipart_invalid" }]));
      return;
    }
    let failed = false;
    const pending: Promise<void>[] = [];
    const fail = (err: EternegoError | Error) => {
      if (failed) return;
      failed = true;
      // Stop reading: the rest of the body (maybe a gigabyte) is never taken in. The
      // connection is closed once the error response is out.
      req.unpipe(bb);
      res.setHeader("Connection", "close");
      res.once("finish", () => req.socket.destroySoon?.() ?? req.socket.end());
      reject(err);
    };

    bb.on("file", (field, stream, info) => {
      if (failed) return void stream.resume();
      const slot = allowed.get(field);
      const n = (counts.get(field) ?? 0) + 1;
      counts.set(field, n);
      if (!slot) return fail(new ValidationFailed([{ loc: ["body", field], msg: `Unexpected file field '${field}'; this route takes ${[...allowed.keys()].join(", ")}.`, type: "field_unexpected" }]));
      if (n > slot.maxCount) return fail(new ValidationFailed([{ loc: ["body", field], msg: `At most ${slot.maxCount} file(s) in '${field}'.`, type: "too_many_files" }]));
      const name = path.basename(info.filename ?? "");
      if (!name) return fail(new Unsupported(`The '${field}' part has no file name, so its kind cannot be told; send it with a filename.`));
      stream.pause();
      const work = (async () => {
        const { maxBytes } = await spec.accept(ctx, field, name);
        const target = path.join(tmpDir, `${crypto.randomUUID()}${path.extname(name).toLowerCase()}`);
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
        await pipeline(stream, counter, fs.createWriteStream(target, { mode: 0o600 }));
        file.size = size;
      })();
      pending.push(work.catch((err) => {
        stream.resume();
        fail(err);
      }));
    });
    bb.on("field", (name, value, info) => {
      if (info.valueTruncated) return fail(new TooLarge(`The field '${name}' is longer than ${FIELD_LIMIT} bytes.`));
      fields[name] = value;
    });
    bb.on("filesLimit", () => fail(new ValidationFailed([{ loc: ["body"], msg: `At most ${maxFiles} file(s) per request.`, type: "too_many_files" }])));
    bb.on("partsLimit", () => fail(new ValidationFailed([{ loc: ["body"], msg: "Too many parts in this request.", type: "too_many_parts" }])));
    bb.on("error", (err) => fail(new ValidationFailed([{ loc: ["body"], msg: `Malformed multipart request: ${(err as Error).message}`, type: "multipart_invalid" }])));
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
    req.on("aborted", () => fail(new Error("client aborted the upload")));
    req.pipe(bb);
  });
}
