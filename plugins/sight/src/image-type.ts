/**
 * The image formats her eyes take, told apart by their first bytes rather than by the
 * file's name: PNG, JPEG, GIF and WebP. Returns the MIME type, or null for anything else.
 */
export function imageType(head: Uint8Array): string | null {
  const at = (offset: number, magic: string) => [...magic].every((c, i) => head[offset + i] === c.charCodeAt(0));
  if (at(0, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "image/gif";
  if (at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  return null;
}
