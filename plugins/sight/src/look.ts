import fs from "node:fs/promises";
import { Invalid, type IncomingFile, type Percept, type PerceptionContext } from "eternego/plugin";
import { imageType } from "./image-type.js";

/**
 * What her vision organ is asked. The answer goes into her conversation as what she saw,
 * so it must stand on its own for a mind that cannot look at the picture again.
 */
export const QUESTION =
  "Describe this image for someone who cannot see it. Begin with \"The image shows\". " +
  "Say what is in it and where: people and what they do, objects, place, colours, light and mood. " +
  "If there is any text in it (signs, labels, screens, handwriting, documents), copy it word for word in quotes. " +
  "Be concrete and say only what is visible; a few short paragraphs at most.";

/** Sends the image to her vision organ and returns its description as what she perceived. */
export async function look(file: IncomingFile, ctx: PerceptionContext): Promise<Percept> {
  if (!ctx.see) {
    throw new Invalid(`seeing '${file.name}' needs a vision organ, and she has none that works; add one with POST /api/persona/{id}/update {"organs": {"vision": {...}}}.`);
  }
  const bytes = await fs.readFile(file.path);
  // The type her organ is told comes from the bytes: a PNG named .jpg is still a PNG.
  const mime = imageType(bytes);
  if (!mime) throw new Invalid(`'${file.name}' is not a PNG, JPEG, GIF or WebP image.`);
  const description = (await ctx.see.see(bytes, mime, QUESTION)).trim();
  if (!description) throw new Invalid(`her vision organ gave no description of '${file.name}'.`);
  return { text: description };
}
