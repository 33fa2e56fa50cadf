import fs from "node:fs/promises";
import type { IncomingFile, Percept } from "eternego/plugin";
import { capText } from "./cap.js";
import { htmlToText } from "./html.js";
import { decodeText } from "./utf8.js";

/** What each extension is called in the line that introduces the text to her. */
export const KINDS: Record<string, string> = {
  ".txt": "text", ".md": "Markdown", ".csv": "CSV table", ".tsv": "TSV table", ".json": "JSON",
  ".yaml": "YAML", ".yml": "YAML", ".xml": "XML", ".html": "web page, as text", ".log": "log",
};

/** The file's text, introduced by its name and kind, cut to what a mind can take at once. */
export async function read(file: IncomingFile): Promise<Percept> {
  const raw = decodeText(await fs.readFile(file.path));
  const text = (file.extension === ".html" ? htmlToText(raw) : raw).trim();
  const intro = `${file.name} (${KINDS[file.extension] ?? "text"})`;
  if (!text) return { text: `${intro}: the file is empty.` };
  return { text: `${intro}:\n\n${capText(text)}` };
}
