import { definePerception } from "eternego/plugin";
import { extract } from "./src/extract.js";

/**
 * An example third-party perception plugin: Word documents (.docx) become their text.
 * It needs no organ. Without it the daemon answers a .docx with 415; loaded with
 * `--plugin`, .docx joins the capabilities. Importing this file only builds the descriptor.
 */
export default definePerception({
  name: "docx",
  version: "1.0.0",
  title: "Word documents (.docx) as text",
  extensions: [".docx"],
  mimeTypes: ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  organ: null,
  maxBytes: 20 * 1024 * 1024,
  // A .docx is a zip: it begins with a local file header, "PK\x03\x04".
  sniff: (head) => head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04,
  perceive: extract,
});
