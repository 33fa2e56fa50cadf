import path from "node:path";
import type { ChannelPlugin, ModelPlugin, PerceptionPlugin, Plugin, PluginKind } from "./api/plugin.js";
import { Unsupported } from "./api/errors.js";
import type { OrganRole } from "./api/types.js";

/** One plugin the host found, loaded or not. */
export interface PluginRecord {
  kind: PluginKind | null;
  name: string;
  version: string | null;
  source: string;
  builtin: boolean;
  state: "loaded" | "failed";
  error: string | null;
  plugin: Plugin | null;
}

/**
 * Every registry the daemon derives from plugin declarations: providers, perception
 * capabilities by extension, channels. Built once at start-up by the plugin host.
 */
export class PluginRegistry {
  readonly models = new Map<string, ModelPlugin>();
  readonly perceptions = new Map<string, PerceptionPlugin>();
  readonly channels = new Map<string, ChannelPlugin>();
  /** extension (lower-case, with dot) → the one capability that claimed it. */
  readonly capabilities = new Map<string, PerceptionPlugin>();

  constructor(readonly records: readonly PluginRecord[]) {
    for (const r of records) {
      if (r.state !== "loaded" || !r.plugin) continue;
      const p = r.plugin;
      if (p.kind === "model") this.models.set(p.name, p);
      else if (p.kind === "channel") this.channels.set(p.name, p);
      else {
        this.perceptions.set(p.name, p);
        for (const ext of p.extensions) this.capabilities.set(ext, p);
      }
    }
  }

  /**
   * The channel that is on every persona without being added (the web): where HTTP and
   * socket.io messages are said to come from. The daemon does not start without one.
   */
  get home(): ChannelPlugin {
    const always = [...this.channels.values()].find((c) => c.always);
    if (!always) throw new Error("No channel plugin is always present (the built-in channels/web did not load; GET /api/plugins says why).");
    return always;
  }

  /**
   * The 415 rule as one lookup: the capability for a file name, given the organs she has
   * (and her id, for the fix to name). Throws `Unsupported` naming what would make the file
   * acceptable.
   */
  capabilityFor(fileName: string, organs?: ReadonlySet<OrganRole>, persona?: string): PerceptionPlugin {
    const known = [...this.capabilities.keys()].sort();
    const accepted = known.length ? `accepted extensions are ${known.join(", ")}` : "no perception plugin is loaded";
    const ext = extensionOf(fileName);
    if (typeof ext !== "string") {
      throw new Unsupported(`'${fileName}' ${ext.why}, so its kind cannot be told; give it a name with one of the extensions: ${known.join(", ") || "(none: no perception plugin is loaded)"}.`);
    }
    const cap = this.capabilities.get(ext);
    if (!cap) {
      throw new Unsupported(`No perception plugin takes '${ext}' files; ${accepted}. Add a perception plugin that declares it to $ETERNEGO_HOME/plugins.`);
    }
    if (organs && cap.organ && !organs.has(cap.organ)) {
      const where = persona ? `/api/persona/${persona}/update` : "/api/persona/<her id>/update";
      throw new Unsupported(`'${ext}' files are perceived by '${cap.name}', which needs a ${cap.organ} organ, and she has none. Add one with POST ${where} {"organs": {"${cap.organ}": {...}}}.`);
    }
    return cap;
  }
}

/**
 * A file name's extension, lower-case with its dot, as the 415 rule reads it; or why it has
 * none. `.txt` alone is a name (a hidden file's), not an extension, and `x.txt.` ends in a dot.
 */
export function extensionOf(fileName: string): string | { why: string } {
  const name = path.basename(fileName);
  if (name.endsWith(".")) return { why: "ends with a dot, so it has no extension" };
  const ext = path.extname(name).toLowerCase();
  if (ext) return ext;
  if (name.startsWith(".")) return { why: "is all name and no extension (a name that begins with a dot is a hidden file's)" };
  return { why: "has no extension" };
}
