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

/** OpenAI's error types by status, as its SDKs expect them. */
const OPENAI_TYPE: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  501: "server_error",
};

/**
 * An error in OpenAI's shape, for the /v1 surface: `{error: {message, type, code, param}}`.
 * A validation failure is a 400 whose `param` is the first field it names.
 */
export function openaiError({ status, detail }: Rendered): { status: number; body: { error: { message: string; type: string; code: string | null; param: string | null } } } {
  const fields = Array.isArray(detail) ? (detail as { loc: (string | number)[]; msg: string }[]) : null;
  const code = fields ? "invalid_value" : status === 404 ? "model_not_found" : status === 409 ? "persona_not_running" : status === 401 ? "invalid_api_key" : null;
  const to = fields ? 400 : status;
  return {
    status: to,
    body: {
      error: {
        message: fields ? fields.map((f) => f.msg).join("; ") : String(detail),
        type: OPENAI_TYPE[to] ?? (to >= 500 ? "server_error" : "invalid_request_error"),
        code,
        param: fields?.[0] ? fields[0].loc.slice(1).join(".") || null : null,
      },
    },
  };
}

/**
 * The one error middleware: every error body is exactly `{detail}` — or, on the /v1
 * surface (a route that says so, or any /v1 path the table does not have), OpenAI's shape.
 */
export function errorMiddleware(log: Logger, secrets: KnownSecrets): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const rendered = renderError(err, secrets, log, { method: req.method, path: req.path });
    const format = res.locals.errorFormat ?? (req.path === "/v1" || req.path.startsWith("/v1/") ? "openai" : "detail");
    if (format === "openai") {
      const { status, body } = openaiError(rendered);
      return void res.status(status).json(body);
    }
    res.status(rendered.status).json({ detail: rendered.detail });
  };
}
