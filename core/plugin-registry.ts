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
   * The 415 rule as one lookup: the capability for a file name, given the organs she has.
   * Throws `Unsupported` naming what would make the file acceptable.
   */
  capabilityFor(fileName: string, organs?: ReadonlySet<OrganRole>): PerceptionPlugin {
    const ext = path.extname(fileName).toLowerCase();
    const cap = ext ? this.capabilities.get(ext) : undefined;
    if (!cap) {
      const known = [...this.capabilities.keys()].sort();
      throw new Unsupported(
        `No perception plugin takes '${ext || fileName}' files` +
          (known.length ? `; accepted extensions are ${known.join(", ")}.` : "; no perception plugin is loaded.") +
          " Add a perception plugin that declares it to $ETERNEGO_HOME/plugins.",
      );
    }
    if (organs && cap.organ && !organs.has(cap.organ)) {
      throw new Unsupported(
        `'${ext}' files are perceived by '${cap.name}', which needs a ${cap.organ} organ, and she has none. ` +
          `Add one with POST /api/persona/{id}/update {"organs": {"${cap.organ}": {...}}}.`,
      );
    }
    return cap;
  }
}
