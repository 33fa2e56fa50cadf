/** The most text one file may put before her mind; a longer file is cut and she is told so. */
export const MAX_CHARS = 60_000;

/** `text` cut to `max` characters, ending with a note of how long the whole was. */
export function capText(text: string, max = MAX_CHARS): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair: half an emoji is not a character.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}\n[… cut: the file has ${text.length} characters]`;
}
