import { definePerception } from "eternego/plugin";
import { read } from "./src/read.js";
import { looksLikeUtf8Text } from "./src/utf8.js";

/** Text-like files, read as they are (a web page as its readable text). Needs no organ. */
export default definePerception({
  name: "reading",
  version: "1.0.0",
  title: "Reading: text, Markdown, tables, JSON, YAML, XML, web pages, logs",
  extensions: [".txt", ".md", ".csv", ".tsv", ".json", ".yaml", ".yml", ".xml", ".html", ".log"],
  mimeTypes: [
    "text/plain", "text/markdown", "text/csv", "text/tab-separated-values", "application/json",
    "application/yaml", "application/xml", "text/xml", "text/html",
  ],
  organ: null,
  maxBytes: 5 * 1024 * 1024,
  sniff: looksLikeUtf8Text,
  perceive: read,
});
