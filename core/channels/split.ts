/**
 * Her words in pieces a platform takes (`max` characters each): cut at a paragraph, else a
 * line, else the end of a sentence, else a space — never inside a word unless one word is
 * longer than a whole piece, and never between the halves of a character.
 */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut = cutAt(window, max);
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

function cutAt(window: string, max: number): number {
  const at = (i: number) => (i > 0 ? i : -1);
  const paragraph = at(window.lastIndexOf("\n\n", max));
  if (paragraph >= max / 2) return paragraph;
  const line = at(window.lastIndexOf("\n", max));
  if (line >= max / 2) return line;
  let sentence = -1;
  for (const m of window.matchAll(/[.!?…。](?=\s)/g)) if (m.index! < max) sentence = m.index! + 1;
  if (sentence >= max / 3) return sentence;
  const space = at(window.lastIndexOf(" ", max));
  if (space >= max / 4) return space;
  // One word longer than a piece: cut it, but not between a surrogate pair.
  const code = window.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}
