import { EternegoError, isEternegoError } from "./errors.js";
import type { OrganRole } from "./types.js";

/** What went wrong between her and a model provider. */
export type FaultKind =
  | "unreachable" // connection refused / reset
  | "dns" // host name does not resolve
  | "timeout" // no answer in time
  | "auth" // 401 / 403: the key was refused
  | "model" // 404: the model is not there
  | "rate" // 429 after the bounded retries
  | "server" // 5xx after the bounded retries
  | "rejected" // another 4xx: the provider refused the request itself
  | "malformed"; // answered, but not in the protocol's shape

/** Which organ a call was for: enough to name the culprit without ever holding the key. */
export interface OrganTarget {
  role: OrganRole;
  provider: string;
  model: string;
  url: string;
}

/** The target of a model plugin's calls, from its spec and context. */
export function targetOf(spec: { provider: string; model: string; url: string }, ctx: { role: OrganRole }): OrganTarget {
  return { role: ctx.role, provider: spec.provider, model: spec.model, url: spec.url };
}

/**
 * A typed organ fault. The mind uses `kind`/`transient` to decide between retrying and
 * making her sick; routes render it as 400 with its message, which names the organ, the
 * provider, the URL and the fix — and never a key.
 *
 * @example
 * throw new OrganFault("auth", target, 401, "the key was refused — check the api_key");
 */
export class OrganFault extends EternegoError {
  readonly status = 400;
  readonly code = "ERR_ORGAN_FAULT";
  /** Whether trying again later may succeed (network trouble, 429, 5xx). */
  readonly transient: boolean;

  constructor(
    readonly kind: FaultKind,
    readonly target: OrganTarget,
    /** The provider's HTTP status, when there was one. */
    readonly httpStatus: number | null,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`Organ '${target.role}' (${target.provider}, ${target.model}) at ${target.url}: ${why}`, options);
    this.transient = ["unreachable", "dns", "timeout", "rate", "server"].includes(kind);
  }
}

/**
 * Whether a value is an organ fault, from this copy of `eternego/plugin` or any other (a
 * plugin may bundle its own): told by its brand and code, not by `instanceof`.
 *
 * @example
 * if (isOrganFault(err) && err.transient) retryLater();
 */
export function isOrganFault(err: unknown): err is OrganFault {
  return isEternegoError(err) && err.code === "ERR_ORGAN_FAULT" && typeof (err as { kind?: unknown }).kind === "string";
}
