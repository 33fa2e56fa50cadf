import type { ModelPreset } from "eternego/plugin";

/**
 * Small models worth fetching to begin with. For this provider a preset's url is the model
 * file itself (there is no server): a picker puts it in the organ's `model`, and prepare
 * fetches it once into `$ETERNEGO_HOME/models/`.
 */
export const PRESETS: readonly ModelPreset[] = [
  {
    name: "qwen2-5-0-5b-instruct",
    title: "Qwen2.5 0.5B Instruct, Q4_K_M (about 0.5 GB, fast on any machine)",
    url: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    needsKey: false,
  },
  {
    name: "llama-3-2-1b-instruct",
    title: "Llama 3.2 1B Instruct, Q4_K_M (about 0.8 GB)",
    url: "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    needsKey: false,
  },
];
