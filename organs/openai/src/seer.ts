import type { Seer } from "eternego/plugin";
import type { Api } from "./api.js";
import { complete } from "./thinker.js";

/**
 * The vision role: the question and the image go in one user message, the image as an
 * `image_url` content part holding a base64 data URL (no upload, no public link needed).
 */
export function seer(api: Api): Seer {
  return {
    async see(image, mimeType, question) {
      const url = `data:${mimeType};base64,${Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString("base64")}`;
      const body = {
        model: api.spec.model,
        messages: [{ role: "user", content: [{ type: "text", text: question }, { type: "image_url", image_url: { url } }] }],
      };
      return (await complete(api, body)).text;
    },
  };
}
