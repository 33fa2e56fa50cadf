/**
 * Follows a streamed JSON decision and hands on only the words of its `say` field as they
 * arrive, so the person sees her speak rather than braces and keys. Text outside JSON (a
 * provider that streams prose) is passed on as it is.
 */
export function sayStream(emit: (text: string) => void): (delta: string) => void {
  let raw = "";
  let sent = 0;
  return (delta) => {
    raw += delta;
    const start = /^\s*(```(json)?\s*)?\{/.test(raw) ? /"say"\s*:\s*"/.exec(raw) : null;
    if (!start) {
      if (!/^\s*(```|\{)/.test(raw) && raw.trim() && !"```".startsWith(raw.trim())) {
        emit(raw.slice(sent));
        sent = raw.length;
      }
      return;
    }
    // Read the string up to its closing quote or the end of what has come, decoding escapes.
    let out = "";
    let i = start.index + start[0].length;
    for (; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === '"') break;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const next = raw[i + 1];
      if (next === undefined) break; // an escape cut in half: wait for the rest
      if (next === "u") {
        const hex = raw.slice(i + 2, i + 6);
        if (hex.length < 4) break;
        out += String.fromCharCode(parseInt(hex, 16));
        i += 5;
      } else {
        out += ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[next] ?? next;
        i += 1;
      }
    }
    if (out.length > sent) {
      emit(out.slice(sent));
      sent = out.length;
    }
  };
}
