import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

// What her words may become on the page: text and its formatting, links that open outside,
// and pictures only from this daemon (a picture from elsewhere would be a request to another host).
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  if (node.tagName === "IMG") {
    const src = node.getAttribute("src") ?? "";
    if (!src.startsWith("/") || src.startsWith("//")) node.remove();
  }
});

const ALLOWED = {
  ALLOWED_TAGS: ["p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "img", "input", "span"],
  ALLOWED_ATTR: ["href", "title", "src", "alt", "type", "checked", "disabled", "align"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/(?!\/)|#)/i,
};

/** Markdown as safe HTML: parsed by marked, then sanitised by DOMPurify with an allow-list (no script, no style, no foreign pictures). */
export function markdown(text: string): string {
  return DOMPurify.sanitize(marked.parse(text) as string, ALLOWED);
}
