import { OrganFault, type Seer } from "eternego/plugin";
import type { Api } from "./api.js";
import { ask } from "./messages.js";

/** The image types the API reads, by the names they go by. */
const MEDIA_TYPES: Record<string, string> = {
  "image/jpeg": "image/jpeg",
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/png": "image/png",
  "image/gif": "image/gif",
  "image/webp": "image/webp",
};

/** The vision role: the image as a base64 block, then the question, in one user turn. */
export function seer(api: Api): Seer {
  return {
    async see(image, mimeType, question) {
      const media_type = MEDIA_TYPES[mimeType.toLowerCase().split(";")[0]!.trim()];
      if (!media_type) {
        throw new OrganFault("rejected", api.target, null, `cannot look at ${mimeType} images: the Anthropic API reads JPEG, PNG, GIF and WebP.`);
      }
      const data = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString("base64");
      const a = await ask(api, {
        messages: [
          {
            role: "user",
            content: [
              // Claude reads an image best when it comes before the question about it.
              { type: "image", source: { type: "base64", media_type, data } },
              { type: "text", text: question || "Describe this image." },
            ],
          },
        ],
      });
      return a.text;
    },
  };
}
