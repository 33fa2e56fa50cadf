import { definePerception } from "eternego/plugin";
import { extract } from "./src/extract.js";

const MAGIC = Buffer.from("%PDF-", "latin1");

/** PDF documents, read as the text of their pages (PDF.js, through unpdf). Needs no organ. */
export default definePerception({
  name: "pdf",
  version: "1.0.0",
  title: "PDF: the text of every page",
  extensions: [".pdf"],
  mimeTypes: ["application/pdf"],
  organ: null,
  maxBytes: 50 * 1024 * 1024,
  // Readers (PDF.js, Acrobat) find the header anywhere in the first KiB: mail gateways and
  // some generators put bytes before it.
  sniff: (head) => Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 1024)).includes(MAGIC),
  perceive: extract,
});
