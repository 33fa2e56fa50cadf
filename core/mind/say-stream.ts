/** Reads a JSON string from just after its opening quote: its text so far, and whether it closed. */
function readString(raw: string, from: number): { value: string; end: number; closed: boolean } {
  let value = "";
  for (let i = from; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') return { value, end: i, closed: true };
    if (c !== "\\") {
      value += c;
      continue;
    }
    const next = raw[i + 1];
    if (next === undefined) break; // an escape cut in half: wait for the rest
    if (next === "u") {
      const hex = raw.slice(i + 2, i + 6);
      if (hex.length < 4) break;
      value += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    } else {
      value += ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[next] ?? next;
      i += 1;
    }
  }
  return { value, end: raw.length, closed: false };
}

/**
 * The text so far of the top-level `say` field of the first JSON object in `raw`, or null
 * while there is none. Keys and strings deeper in the object (a tool's arguments) and
 * whatever surrounds the object (prose, a code fence) are not it.
 */
export function sayOf(raw: string): string | null {
  const open = raw.indexOf("{");
  if (open < 0) return null;
  let depth = 0;
  let expectKey = false;
  let key: string | null = null;
  for (let i = open; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') {
      const s = readString(raw, i + 1);
      if (depth === 1 && !expectKey && key === "say") return s.value;
      if (!s.closed) return null;
      if (depth === 1 && expectKey) {
        key = s.value;
        expectKey = false;
      }
      i = s.end;
    } else if (c === "{" || c === "[") {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === "}" || c === "]") {
      if (--depth === 0) return null; // the object ended with no `say` in it
    } else if (c === "," && depth === 1) {
      expectKey = true;
      key = null;
    }
  }
  return null;
}

/**
 * Follows a streamed JSON decision and hands on only the words of its top-level `say` field
 * as they arrive, so the person sees her speak — never braces, keys, a code fence, the prose
 * a model wraps around its JSON, or another field's text.
 */
export function sayStream(emit: (text: string) => void): (delta: string) => void {
  let raw = "";
  let sent = 0;
  return (delta) => {
    raw += delta;
    const said = sayOf(raw);
    if (said !== null && said.length > sent) {
      emit(said.slice(sent));
      sent = said.length;
    }
  };
}
