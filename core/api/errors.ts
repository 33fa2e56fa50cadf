/** Registered, so every copy of this module (a plugin may bundle its own) brands errors alike. */
export const ERROR_BRAND: unique symbol = Symbol.for("eternego.error") as never;

/**
 * The error catalogue. Handlers and plugins throw these; one HTTP middleware renders
 * them as `{detail}` with the status carried by the class. Anything that is not one of
 * these becomes a 500 `"<Type>: <message>"` with secrets scrubbed.
 *
 * @example
 * throw new Invalid("Organ 'thinking' (ollama, llama3.2) is not available at http://localhost:11434: model not pulled — run `ollama pull llama3.2`");
 */
export abstract class EternegoError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** The brand the daemon recognises errors by: a plugin carrying its own copy of this module still gets its status. */
  readonly [ERROR_BRAND] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Whether a value is one of the catalogue's errors, from this copy of `eternego/plugin` or
 * any other: told by a registered symbol, not by `instanceof`.
 *
 * @example
 * if (isEternegoError(err)) res.status(err.status);
 */
export function isEternegoError(err: unknown): err is EternegoError {
  const e = err as { [ERROR_BRAND]?: unknown; status?: unknown; message?: unknown } | null;
  return typeof e === "object" && e !== null && e[ERROR_BRAND] === true && typeof e.status === "number" && typeof e.message === "string";
}

/** 400 — the request was well-formed but could not be carried out (an organ or channel could not be prepared…). */
export class Invalid extends EternegoError {
  readonly status = 400;
  readonly code = "ERR_INVALID";
}

/** 401 — a token is configured and the request did not carry it. */
export class Unauthorized extends EternegoError {
  readonly status = 401;
  readonly code = "ERR_UNAUTHORIZED";
}

/** 403 — a browser defence refused the request (foreign Host or Origin). */
export class Forbidden extends EternegoError {
  readonly status = 403;
  readonly code = "ERR_FORBIDDEN";
}

/** 404 — no persona with that id, no such file, or no such route. */
export class NotFound extends EternegoError {
  readonly status = 404;
  readonly code = "ERR_NOT_FOUND";
}

/** 409 — she exists but is not running, and the route needs her live agent. */
export class NotRunning extends EternegoError {
  readonly status = 409;
  readonly code = "ERR_NOT_RUNNING";
}

/** 409 — the thing to create already exists. */
export class Conflict extends EternegoError {
  readonly status = 409;
  readonly code = "ERR_CONFLICT";
}

/** 413 — an upload is larger than its capability allows. */
export class TooLarge extends EternegoError {
  readonly status = 413;
  readonly code = "ERR_TOO_LARGE";
}

/** 415 — no perception capability (for her) takes this kind of file. */
export class Unsupported extends EternegoError {
  readonly status = 415;
  readonly code = "ERR_UNSUPPORTED_MEDIA_TYPE";
}

/** One field that failed schema validation. `loc` is the path, starting with body/query/path. */
export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** 422 — the request failed schema validation; `detail` is the list of field errors. */
export class ValidationFailed extends EternegoError {
  readonly status = 422;
  readonly code = "ERR_VALIDATION";
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.loc.join(".")}: ${e.msg}`).join("; "));
  }
}

/** The field errors of a 422, from any copy of this module; null for any other error. */
export function fieldErrorsOf(err: unknown): FieldError[] | null {
  if (!isEternegoError(err) || err.code !== "ERR_VALIDATION") return null;
  const list = (err as { errors?: unknown }).errors;
  return Array.isArray(list) ? (list as FieldError[]) : null;
}

/** 429 — too many tries in a short time (pairing codes guessed); the detail says when to try again. */
export class TooMany extends EternegoError {
  readonly status = 429;
  readonly code = "ERR_TOO_MANY";
}

/** 501 — the route exists and its checks passed, but the capability behind it is not built yet. */
export class NotImplemented extends EternegoError {
  readonly status = 501;
  readonly code = "ERR_NOT_IMPLEMENTED";
}
