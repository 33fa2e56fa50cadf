/** The audio containers her hearing takes, told apart by their first bytes. */
export type AudioType = "wav" | "mp3" | "m4a" | "ogg" | "webm" | "flac";

// ISO-BMFF brands that are pictures, not sound: an HEIC or AVIF photo also starts with `ftyp`.
const IMAGE_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"]);

/** Which audio container `head` begins, or null when it is none of them. */
export function audioType(head: Uint8Array): AudioType | null {
  const at = (offset: number, magic: string) => [...magic].every((c, i) => head[offset + i] === c.charCodeAt(0));
  if (at(0, "RIFF") && at(8, "WAVE")) return "wav";
  if (at(0, "ID3") || mpegFrame(head)) return "mp3";
  if (at(4, "ftyp") && head.length >= 12) {
    const brand = String.fromCharCode(...head.subarray(8, 12));
    return IMAGE_BRANDS.has(brand) ? null : "m4a";
  }
  if (at(0, "OggS")) return "ogg";
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "webm";
  if (at(0, "fLaC")) return "flac";
  return null;
}

/** An MPEG audio frame header: 11 sync bits, a defined version and layer, a usable bitrate and rate. */
function mpegFrame(h: Uint8Array): boolean {
  if (h.length < 4 || h[0] !== 0xff || (h[1]! & 0xe0) !== 0xe0) return false;
  const version = (h[1]! >> 3) & 3;
  const layer = (h[1]! >> 1) & 3;
  const bitrate = h[2]! >> 4;
  const rate = (h[2]! >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}
