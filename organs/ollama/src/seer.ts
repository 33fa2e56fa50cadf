import type { Seer } from "eternego/plugin";
import type { Api } from "./api.js";
import { chat } from "./chat.js";

/**
 * The vision role: the question and the image go in one user message, the image as base64
 * in the message's `images` (Ollama reads PNG, JPEG and WebP).
 */
export function seer(api: Api): Seer {
  return {
    async see(image, mimeType, question) {
      const b64 = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString("base64");
      const { text } = await chat(api, [{ role: "user", content: question, images: [b64] }]);
      return text;
    },
  };
}
