import type { ErrorRequestHandler } from "express";
import { fieldErrorsOf, isEternegoError } from "../api/errors.js";
import type { KnownSecrets } from "../known-secrets.js";
import type { Logger } from "../logger.js";

/** An error as every surface answers it: a status and the `detail` of the body. */
export interface Rendered {
  status: number;
  detail: unknown;
}

/** Where an error happened, for the log line of one nobody expected. */
export interface ErrorPlace {
  method: string;
  path: string;
}

/** Maps body-parser's own errors to the catalogue's shapes. */
function parserError(err: { type?: unknown; message: string; status?: unknown; statusCode?: unknown; expose?: unknown }): Rendered | null {
  if (err.type === "entity.parse.failed") {
    return { status: 422, detail: [{ loc: ["body"], msg: `The body is not valid JSON: ${err.message}`, type: "json_invalid" }] };
  }
  if (err.type === "entity.too.large") return { status: 413, detail: "The request body is too large (JSON bodies are limited to 1 MiB)." };
  if (err.type === "encoding.unsupported") {
    return { status: 415, detail: `${err.message}: send the body as plain or gzip, deflate or br-compressed UTF-8 JSON.` };
  }
  if (err.type === "charset.unsupported") return { status: 415, detail: "Send the body as UTF-8 JSON (Content-Type: application/json)." };
  // Anything else body-parser or raw-body refused (a body that is not what its
  // Content-Encoding says, one shorter than its Content-Length, one cut off) is the
  // client's: http-errors marks those as exposable 4xx.
  const status = typeof err.status === "number" ? err.status : typeof err.statusCode === "number" ? err.statusCode : 0;
  if (err.expose === true && status >= 400 && status < 500) {
    return { status, detail: `The request body could not be read (${err.message}); check its Content-Encoding and Content-Length.` };
  }
  return null;
}

/**
 * How any error is answered, on HTTP and on socket.io alike. Deliberate errors (from this
 * copy of the API or a plugin's own) keep their message and status; anything else becomes
 * a 500 `"<Type>: <message>"`, logged with where it happened. Every text is scrubbed of
 * every known secret.
 */
export function renderError(err: unknown, secrets: KnownSecrets, log: Logger, where: ErrorPlace): Rendered {
  const fields = fieldErrorsOf(err);
  if (fields) return { status: 422, detail: fields.map((f) => ({ ...f, msg: secrets.scrub(f.msg) })) };
  if (isEternegoError(err)) return { status: err.status, detail: secrets.scrub(err.message) };
  const parsed = err && typeof err === "object" && typeof (err as Error).message === "string" ? parserError(err as Error) : null;
  if (parsed) return { status: parsed.status, detail: typeof parsed.detail === "string" ? secrets.scrub(parsed.detail) : parsed.detail };
  if (err instanceof URIError) {
    // The router could not decode a path parameter (`%ff`): no resource has that name.
    const p = where.path.length > 200 ? where.path.slice(0, 200) + "…" : where.path;
    return { status: 404, detail: `No such path: ${where.method} ${p} is not valid percent-encoding.` };
  }
  const name = err instanceof Error ? err.constructor.name : "Error";
  const message = err instanceof Error ? err.message : String(err);
  const detail = secrets.scrub(`${name}: ${message}`.split("\n")[0]!);
  log.error({ method: where.method, path: where.path, error: detail }, `Unhandled error on ${where.method} ${where.path}: ${detail}`);
  return { status: 500, detail };
}

/** The one error middleware: every error body is exactly `{detail}`. */
export function errorMiddleware(log: Logger, secrets: KnownSecrets): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, detail } = renderError(err, secrets, log, { method: req.method, path: req.path });
    res.status(status).json({ detail });
  };
}
