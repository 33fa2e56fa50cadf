import fs from "node:fs/promises";
import { extractText, getDocumentProxy } from "unpdf";
import type { IncomingFile, Percept, PerceptionContext } from "eternego/plugin";
import { capText } from "./cap.js";

/** Why PDF.js could not open a file, in the person's words (its own message stays in the log). */
function unreadable(err: unknown): Error {
  const name = err instanceof Error ? err.name : "";
  const why =
    name === "PasswordException" ? "it is protected by a password; send a copy without one"
    : name === "InvalidPDFException" ? "it is damaged or is not really a PDF"
    : "it may be damaged or use features that cannot be read";
  return new Error(`the PDF could not be read: ${why}.`, { cause: err });
}

/** The text of every page, introduced by the file's name and page count, cut to what a mind can take. */
export async function extract(file: IncomingFile, ctx: PerceptionContext): Promise<Percept> {
  const data = new Uint8Array(await fs.readFile(file.path));
  let pages: string[];
  let total: number;
  try {
    // verbosity 0: PDF.js writes its warnings to the console otherwise, outside the daemon's log.
    const doc = await getDocumentProxy(data, { verbosity: 0 });
    try {
      ({ totalPages: total, text: pages } = await extractText(doc, { mergePages: false }));
    } finally {
      await doc.destroy();
    }
  } catch (err) {
    ctx.log.warn("PDF.js could not read the file", { file: file.name, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    throw unreadable(err);
  }
  const intro = `${file.name} (PDF, ${total} ${total === 1 ? "page" : "pages"})`;
  const withText = pages.map((t, i) => [i + 1, t.trim()] as const).filter(([, t]) => t);
  if (!withText.length) return { text: `${intro}: no text could be found in it; its pages are probably scanned images.` };
  // Page marks only help when there is more than one page to tell apart.
  const body = total === 1 ? withText[0]![1] : withText.map(([n, t]) => `[page ${n}]\n${t}`).join("\n\n");
  return { text: `${intro}:\n\n${capText(body)}` };
}
