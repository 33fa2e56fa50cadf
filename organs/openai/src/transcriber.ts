import path from "node:path";
import { OrganFault, type Transcriber } from "eternego/plugin";
import { usageOf, type Api } from "./api.js";

// Servers that sniff nothing (and OpenAI itself) go by the file name; the type is a courtesy
// for those that look at it.
const AUDIO_TYPES: Record<string, string> = {
  ".mp3": "audio/mpeg", ".mpga": "audio/mpeg", ".mpeg": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
  ".wav": "audio/wav", ".webm": "audio/webm", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".flac": "audio/flac",
};

/** The hearing role: `POST {base}/audio/transcriptions`, multipart `file` + `model`, answered `{text}`. */
export function transcriber(api: Api): Transcriber {
  return {
    async transcribe(audio, fileName) {
      const form = new FormData();
      const type = AUDIO_TYPES[path.extname(fileName).toLowerCase()] ?? "application/octet-stream";
      // Copied into a fresh ArrayBuffer: a view over a shared or pooled buffer is not a valid BlobPart.
      form.append("file", new Blob([new Uint8Array(audio)], { type }), fileName);
      form.append("model", api.spec.model);
      const res = await api.post("/audio/transcriptions", form);
      const json = (await api.json(res, "/audio/transcriptions")) as { text?: unknown; usage?: unknown };
      if (typeof json?.text !== "string") {
        throw new OrganFault("malformed", api.target, res.status, "answered /audio/transcriptions without a `text` field — does this server transcribe audio?");
      }
      const usage = usageOf(json.usage);
      if (usage) api.ctx.usage(usage);
      return json.text;
    },
  };
}
