/**
 * Reading what another server sends, bounded: a provider or a platform that sends more than
 * any answer of its kind can be (a broken proxy, a hostile server) is refused once it passes
 * the bound, never held whole in memory — a body of a few GiB would end the process.
 */

/** The most an answer read whole may be, unless the reader says otherwise: 16 MiB. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const mb = (n: number) => `${Math.round((n / 1024 ** 2) * 10) / 10} MB`;

/** A body (or a line of a stream) past the bound its reader set; the rest of it was not read. */
export class BodyTooLarge extends Error {
  override readonly name = "BodyTooLarge";
  constructor(readonly limit: number) {
    super(`the answer is larger than ${mb(limit)}, more than any answer of its kind`);
  }
}

/**
 * A response's body as text (UTF-8), read up to `maxBytes`; past it the body is cancelled
 * and `BodyTooLarge` thrown. Network errors while reading pass through as fetch's own.
 *
 * @example
 * const text = await readText(res); // instead of res.text()
 */
export async function readText(res: Response, maxBytes = MAX_ANSWER_BYTES): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLarge(maxBytes);
  }
  if (!res.body) return "";
  // A length it declared within the bound is held to by fetch itself (a body longer than its
  // Content-Length is an error): read it the fast way — unless it is compressed, when the
  // length is the compressed one and what it unpacks to is counted as it comes.
  const encoding = res.headers.get("content-encoding");
  if (declared >= 0 && (!encoding || encoding === "identity")) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * The beginning of a response's body as text, at most `maxBytes` of it; the rest is not read.
 * For what only its beginning is wanted of: an error body's reason (a server may echo a whole
 * request back in one).
 */
export async function readHead(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= maxBytes) await reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}
