import { definePerception } from "eternego/plugin";
import { imageType } from "./src/image-type.js";
import { look } from "./src/look.js";

/** Images, seen through her vision organ: she takes in its description of the picture. */
export default definePerception({
  name: "sight",
  version: "1.0.0",
  title: "Sight: images described by her vision organ",
  extensions: [".png", ".jpg", ".jpeg", ".gif", ".webp"],
  mimeTypes: ["image/png", "image/jpeg", "image/gif", "image/webp"],
  organ: "vision",
  maxBytes: 20 * 1024 * 1024,
  sniff: (head) => imageType(head) !== null,
  perceive: look,
});
