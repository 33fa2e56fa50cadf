import mammoth from "mammoth";
import type { IncomingFile, Percept, PerceptionContext } from "eternego/plugin";
import { capText } from "./cap.js";

/**
 * The text of a Word document, paragraph by paragraph (mammoth reads the Office Open XML
 * inside the zip). Formatting, images and comments are left out: she reads the words.
 */
export async function extract(file: IncomingFile, ctx: PerceptionContext): Promise<Percept> {
  let result: Awaited<ReturnType<typeof mammoth.extractRawText>>;
  try {
    result = await mammoth.extractRawText({ path: file.path });
  } catch (err) {
    ctx.log.warn("mammoth could not read the document", { file: file.name, error: err instanceof Error ? err.message : String(err) });
    throw new Error("the Word document could not be read: it is damaged, or it is a zip but not a .docx.", { cause: err });
  }
  for (const m of result.messages) ctx.log.warn(`while reading ${file.name}: ${m.message}`);
  // mammoth ends every paragraph with a blank line; empty paragraphs would leave runs of them.
  const text = result.value.replace(/\n{3,}/g, "\n\n").trim();
  const intro = `${file.name} (Word document)`;
  if (!text) return { text: `${intro}: the document has no text.` };
  return { text: `${intro}:\n\n${capText(text)}` };
}
