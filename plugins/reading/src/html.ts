// A web page as the words a person reads on it. A few rules suffice for a mind that reads
// prose: no script, style or markup; blocks become lines, table cells are split by " | ",
// entities become characters. (Preformatted text loses its layout; the words remain.)

const HIDDEN = /<(script|style|noscript|template|svg|head|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const BLOCK = /<\/?(p|div|section|article|header|footer|main|nav|aside|h[1-6]|ul|ol|table|blockquote|pre|figure|figcaption|form|dl|dt|dd|hr)\b[^>]*>/gi;
const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", reg: "®", trade: "™",
  mdash: "—", ndash: "–", hellip: "…", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«", raquo: "»",
  bull: "•", middot: "·", deg: "°", euro: "€", pound: "£", times: "×",
};

const ENTITY = /&(#\d+|#x[0-9a-f]+|[a-z]+);/gi;

function entity(whole: string, body: string): string {
  if (body[0] === "#") {
    const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  }
  return NAMED[body.toLowerCase()] ?? whole;
}

/** The readable text of an HTML document. */
export function htmlToText(html: string): string {
  const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1]?.replace(/\s+/g, " ").trim();
  const text = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(HIDDEN, "")
    .replace(/\s+/g, " ") // in HTML a run of whitespace, line breaks included, is one space
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/t[dh]\s*>\s*(?=<t[dh]\b)/gi, " | ")
    .replace(/<\/tr\s*>/gi, "\n")
    .replace(BLOCK, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(ENTITY, entity)
    .split("\n")
    .map((line) => line.replace(/[ \u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  // <head> and <title> are dropped with the scripts, but the page's title is worth keeping, once, on top.
  return title ? `${title.replace(ENTITY, entity)}\n\n${text}`.trim() : text;
}
