/**
 * Takes the secrets she holds (organ keys, channel tokens) out of text that came from
 * outside — a provider's error, a plugin's log line — before it goes anywhere: diagnose, an
 * event, the log, the terminal, her own words. By the keys themselves, not by their shape:
 * a key shaped like nothing in particular is caught as surely as an `sk-…` one.
 */
export class Scrubber {
  private readonly values: string[];

  constructor(
    secrets: Iterable<string | null | undefined>,
    /** A further pass (every secret the daemon knows, and well-known key shapes). */
    private readonly then: (text: string) => string = (t) => t,
  ) {
    const all = new Set<string>();
    for (const s of secrets) {
      // Four characters at least: shorter values would scrub innocent words out of messages.
      if (!s || s.length < 4) continue;
      all.add(s);
      // As a provider may echo it in a URL or a JSON string.
      all.add(encodeURIComponent(s));
      all.add(JSON.stringify(s).slice(1, -1));
    }
    // Longest first, so a key that contains another goes whole.
    this.values = [...all].sort((a, b) => b.length - a.length);
  }

  /** Her words: only the keys she holds are taken out (a shape would take innocent words). */
  text(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join("***");
    return out;
  }

  /** Text about her (an error, a log line): her keys, then the further pass. */
  strict(text: string): string {
    return this.then(this.text(text));
  }

  /** Log fields, one level deep (string values only). */
  fields(f: Record<string, unknown> | undefined): Record<string, unknown> {
    if (!f) return {};
    return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === "string" ? this.strict(v) : v]));
  }

  /** The same error, its message and stack scrubbed in place (its class and fields kept, so it is still what it was). */
  error<E>(err: E): E {
    if (!err || typeof err !== "object") return typeof err === "string" ? (this.strict(err) as E) : err;
    const e = err as { message?: unknown; stack?: unknown; detail?: unknown };
    try {
      if (typeof e.message === "string") e.message = this.strict(e.message);
      if (typeof e.stack === "string") e.stack = this.strict(e.stack);
      if (typeof e.detail === "string") e.detail = this.strict(e.detail);
    } catch {
      // a frozen error: the renderers scrub its text again on the way out
    }
    return err;
  }
}
