import type Joi from "joi";
import { ValidationFailed, type FieldError } from "../api/errors.js";

/** Where a value came from; every field error's `loc` starts with it (`payload`: a socket.io event's). */
export type Source = "path" | "query" | "body" | "payload";

/** Validates one part of a request with joi; every problem becomes a `{loc, msg, type}` field error. */
export function check<T>(schema: Joi.Schema | undefined, value: unknown, source: Source): T {
  if (!schema) return value as T;
  const { value: out, error } = schema.validate(value ?? (source === "body" || source === "payload" ? undefined : {}), {
    abortEarly: false,
    convert: true,
    errors: { wrap: { label: "'" } },
  });
  if (error) {
    const errors: FieldError[] = error.details.map((d) => ({
      loc: [source, ...d.path],
      msg: d.message,
      type: d.type,
    }));
    throw new ValidationFailed(errors);
  }
  return out as T;
}
