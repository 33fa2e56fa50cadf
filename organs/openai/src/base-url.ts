// Endpoints people paste instead of the base (copied from a curl example): the base is
// what comes before them.
const ENDPOINT = /\/(chat\/completions|completions|models|audio\/transcriptions|embeddings)$/;

/**
 * The API base for an organ's url. The convention is the official SDK's `baseURL`: the
 * base *includes* the version segment (`https://api.openai.com/v1`), and endpoints are
 * appended to it (`{base}/chat/completions`). A bare host (`http://localhost:1234`) gets
 * `/v1`, since every OpenAI-compatible server mounts the API there; any other path is kept
 * as written (`https://api.groq.com/openai/v1`, `…/v1beta/openai`), because only the
 * person knows where a gateway mounts it. A pasted endpoint is cut back to its base.
 *
 * @example
 * apiBase("http://localhost:1234")                          // "http://localhost:1234/v1"
 * apiBase("https://api.openai.com/v1/chat/completions")     // "https://api.openai.com/v1"
 */
export function apiBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/+$/, ""); // fetch will refuse it and the fault names the url
  }
  const path = u.pathname.replace(/\/+$/, "").replace(ENDPOINT, "");
  u.pathname = path === "" ? "/v1" : path;
  u.search = "";
  u.hash = "";
  return u.href.replace(/\/+$/, "");
}
