import fs from "node:fs/promises";
import path from "node:path";
import { Invalid, type IncomingFile, type Percept, type PerceptionContext } from "eternego/plugin";

/**
 * The name her hearing organ is given. Transcription services go by the extension, and
 * the common ones (OpenAI, Groq) take Ogg but not the name `.opus`: an `.opus` file is
 * Opus in an Ogg container, so it is sent as what it is.
 */
export function nameForOrgan(fileName: string): string {
  const ext = path.extname(fileName);
  return ext.toLowerCase() === ".opus" ? fileName.slice(0, -ext.length) + ".ogg" : fileName;
}

/** Sends the recording to her hearing organ; what was said is what she perceived. */
export async function listen(file: IncomingFile, ctx: PerceptionContext): Promise<Percept> {
  if (!ctx.transcribe) {
    throw new Invalid(`hearing '${file.name}' needs a hearing organ, and she has none that works; add one with POST /api/persona/{id}/update {"organs": {"hearing": {...}}}.`);
  }
  const audio = await fs.readFile(file.path);
  const transcript = (await ctx.transcribe.transcribe(audio, nameForOrgan(file.name))).trim();
  if (!transcript) throw new Invalid(`no words could be heard in '${file.name}'.`);
  return { text: transcript };
}
