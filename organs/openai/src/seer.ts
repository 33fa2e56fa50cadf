import { OrganFault, type Seer } from "../../../core/api/index.js";
import { usageOf, type Api } from "./api.js";

interface Completion {
  choices?: { message?: { content?: string | null; refusal?: string | null } }[];
  usage?: unknown;
}

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
      const res = await api.post("/chat/completions", body);
      const json = (await api.json(res, "/chat/completions")) as Completion;
      const message = json?.choices?.[0]?.message;
      if (!message || typeof message !== "object") {
        throw new OrganFault("malformed", api.target, res.status, "answered /chat/completions without choices[0].message — is this an OpenAI-compatible server?");
      }
      const usage = usageOf(json.usage);
      if (usage) api.ctx.usage(usage);
      return message.content ?? message.refusal ?? "";
    },
  };
}
