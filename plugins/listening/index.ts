import { definePerception } from "eternego/plugin";
import { audioType } from "./src/audio-type.js";
import { listen } from "./src/listen.js";

/** Voice and other recordings, heard through her hearing organ: she takes in what was said. */
export default definePerception({
  name: "listening",
  version: "1.0.0",
  title: "Listening: recordings transcribed by her hearing organ",
  extensions: [".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".webm", ".flac"],
  mimeTypes: ["audio/wav", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus", "audio/webm", "audio/flac"],
  organ: "hearing",
  // OpenAI's transcription endpoint takes 25 MB at most; a larger file would fail there anyway.
  maxBytes: 25 * 1024 * 1024,
  sniff: (head) => audioType(head) !== null,
  perceive: listen,
});
