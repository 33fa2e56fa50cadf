import type { ErrorRequestHandler } from "express";
import { EternegoError, ValidationFailed } from "../api/errors.js";
import type { KnownSecrets } from "../known-secrets.js";
import type { Logger } from "../logger.js";

/** Maps body-parser's own errors to the catalogue's shapes. */
function parserError(err: { type?: string; message: string }): { status: number; detail: unknown } | null {
  if (err.type === "entity.parse.failed") {
    return { status: 422, detail: [{ loc: ["body"], msg: `The body is not valid JSON: ${err.message}`, type: "json_invalid" }] };
  }
  if (err.type === "entity.too.large") return { status: 413, detail: "The request body is too large (JSON bodies are limited to 1 MiB)." };
  if (err.type === "encoding.unsupported" || err.type === "charset.unsupported") {
    return { status: 415, detail: "Send the body as UTF-8 JSON (Content-Type: application/json)." };
  }
  return null;
}

/**
 * The one error middleware. Every error body is exactly `{detail}`. Deliberate errors keep
 * their message; anything else becomes `"<Type>: <message>"`, scrubbed of every known secret.
 */
export function errorMiddleware(log: Logger, secrets: KnownSecrets): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let status: number;
    let detail: unknown;
    const parsed = parserError(err);
    if (err instanceof ValidationFailed) {
      status = 422;
      detail = err.errors;
    } else if (err instanceof EternegoError) {
      status = err.status;
      detail = secrets.scrub(err.message);
    } else if (parsed) {
      ({ status, detail } = parsed);
    } else if (err instanceof URIError) {
      // The router could not decode a path parameter (`%ff`): no resource has that name.
      status = 404;
      detail = `No such path: ${req.method} ${req.path.length > 200 ? req.path.slice(0, 200) + "…" : req.path} is not valid percent-encoding.`;
    } else {
      status = 500;
      const name = err instanceof Error ? err.constructor.name : "Error";
      const message = err instanceof Error ? err.message : String(err);
      detail = secrets.scrub(`${name}: ${message}`.split("\n")[0]!);
      log.error({ method: req.method, path: req.path, error: detail }, "Unhandled error");
    }
    res.status(status).json({ detail });
  };
}
