import type { ModelPreset } from "eternego/plugin";

/**
 * Services known to speak the OpenAI API. URLs are API bases *including* the version
 * segment, the way the official SDK's `baseURL` is written, so `{url}/chat/completions`
 * is the endpoint. Remote services need a key; local servers run without one.
 */
export const PRESETS: readonly ModelPreset[] = [
  { name: "openai", title: "OpenAI", url: "https://api.openai.com/v1", needsKey: true },
  { name: "xai", title: "xAI (Grok)", url: "https://api.x.ai/v1", needsKey: true },
  { name: "groq", title: "Groq", url: "https://api.groq.com/openai/v1", needsKey: true },
  { name: "openrouter", title: "OpenRouter", url: "https://openrouter.ai/api/v1", needsKey: true },
  { name: "lmstudio", title: "LM Studio (local)", url: "http://localhost:1234/v1", needsKey: false },
  { name: "vllm", title: "vLLM (local)", url: "http://localhost:8000/v1", needsKey: false },
  { name: "llamacpp", title: "llama.cpp server (local)", url: "http://localhost:8080/v1", needsKey: false },
  { name: "localai", title: "LocalAI (local)", url: "http://localhost:8080/v1", needsKey: false },
];

/**
 * The remote preset a base URL points at, if any. Only hosts are compared, and only for
 * presets that need a key: local servers share ports (llama.cpp and LocalAI both use 8080),
 * so a localhost URL says nothing about which one it is.
 */
export function remotePresetOf(base: string): ModelPreset | undefined {
  let host: string;
  try {
    host = new URL(base).host;
  } catch {
    return undefined;
  }
  return PRESETS.find((p) => p.needsKey && new URL(p.url).host === host);
}
