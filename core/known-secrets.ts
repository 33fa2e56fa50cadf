/**
 * Every secret the daemon has seen (organ keys, channel tokens, diary keys), so that any text
 * about to leave the process — an error detail, a log line — can be scrubbed of them.
 */
export class KnownSecrets {
  private readonly values = new Set<string>();

  add(...secrets: (string | undefined | null)[]): void {
    // Very short values would scrub innocent words out of messages; real keys are long.
    for (const s of secrets) if (s && s.length >= 6) this.values.add(s);
  }

  /** Adds the string values under secret-looking keys anywhere inside `value`. */
  addFrom(value: unknown, depth = 0): void {
    if (!value || typeof value !== "object" || depth > 6) return;
    for (const [k, v] of Object.entries(value)) {
      // A channel's credentials are added by what its plugin declares secret (an api_url is not).
      if (typeof v === "string" && /key|token|secret|password|phrase/i.test(k)) this.add(v);
      else this.addFrom(v, depth + 1);
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.values) if (out.includes(s)) out = out.split(s).join("***");
    // Shapes of well-known keys even when we never saw them.
    return out.replace(/\b(sk-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g, "***");
  }
}
