import type { FieldError } from "eternego/plugin/shared";

/** A refusal from the daemon, with its own words: `detail` is a sentence, or for a 422 the field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | FieldError[],
  ) {
    super(typeof detail === "string" ? detail : detail.map((f) => `${f.loc.slice(1).join(".") || f.loc.join(".")}: ${f.msg}`).join("; "));
  }

  /** The field errors of a 422 for one field (its path after body/query/path), joined. */
  field(...path: (string | number)[]): string | null {
    if (typeof this.detail === "string") return null;
    const want = path.join(".");
    const mine = this.detail.filter((f) => f.loc.slice(1).join(".").startsWith(want));
    return mine.length ? mine.map((f) => f.msg).join("; ") : null;
  }
}

/** The daemon could not be reached at all (it is restarting, or stopped). */
export class Offline extends Error {
  constructor() {
    super("The daemon does not answer. It may be restarting; this page reconnects by itself.");
  }
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function call<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      ...init,
      headers: body !== undefined && !(body instanceof FormData) ? { "content-type": "application/json", ...init.headers } : init.headers,
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch {
    throw new Offline();
  }
  const data = await parse(res);
  if (!res.ok) {
    const detail = (data as { detail?: unknown } | null)?.detail;
    throw new ApiError(res.status, typeof detail === "string" || Array.isArray(detail) ? (detail as string | FieldError[]) : `${res.status} ${res.statusText}`);
  }
  return data as T;
}

/** The daemon's HTTP API, as any client calls it: nothing here is private to the dashboard. */
export const api = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T>(path: string, body?: unknown) => call<T>("POST", path, body),

  /**
   * A multipart upload with progress (fetch cannot report it): `progress` gets the fraction
   * sent. Refusals come back as `ApiError`, like every other call.
   */
  upload<T>(path: string, form: FormData, progress?: (sent: number) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      xhr.upload.onprogress = (e) => e.lengthComputable && progress?.(e.loaded / e.total);
      xhr.onerror = () => reject(new Offline());
      xhr.onload = () => {
        let data: unknown = xhr.responseText;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          // not JSON
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
        const detail = (data as { detail?: unknown } | null)?.detail;
        reject(new ApiError(xhr.status, typeof detail === "string" || Array.isArray(detail) ? (detail as string | FieldError[]) : `${xhr.status}`));
      };
      xhr.send(form);
    });
  },
};

/** What to show for any failure: the daemon's own words when it gave some. */
export function explain(err: unknown): string {
  if (err instanceof ApiError || err instanceof Offline) return err.message;
  return err instanceof Error ? err.message : String(err);
}
