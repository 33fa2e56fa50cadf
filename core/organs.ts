import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Invalid } from "./api/errors.js";
import type { ModelContext, ModelPlugin, Seer, Thinker, Transcriber } from "./api/plugin.js";
import type { OrganRole, OrganSpec } from "./api/types.js";
import { Config } from "./config.js";
import { EventBus } from "./event-bus.js";
import { OrganLedger } from "./organ-ledger.js";
import { Logger } from "./logger.js";
import { PluginRegistry } from "./plugin-registry.js";

/** A persona's organs bound to their plugins. */
export interface BoundOrgans {
  thinking: Thinker;
  frontier?: Thinker;
  vision?: Seer;
  hearing?: Transcriber;
}

/** Binds organ specs to model plugins: checks the provider can fill the role, then lets it prepare. */
@injectable()
export class Organs {
  constructor(
    private readonly plugins: PluginRegistry,
    private readonly bus: EventBus,
    private readonly ledger: OrganLedger,
    @inject(Config) private readonly config: Config,
    @inject(Logger) private readonly log: Logger,
  ) {}

  /** The model plugin for a spec, or `Invalid` naming the providers there are. */
  provider(role: OrganRole, providerName: string): ModelPlugin {
    const p = this.plugins.models.get(providerName);
    if (!p) {
      const names = [...this.plugins.models.keys()].sort().join(", ") || "none loaded";
      throw new Invalid(`Organ '${role}' names provider '${providerName}', which no model plugin provides (available: ${names}).`);
    }
    if (!p.roles.includes(role)) {
      throw new Invalid(
        `Provider '${p.name}' cannot fill the '${role}' organ; it fills ${p.roles.join(", ")}. ` +
          `Pick a provider whose roles include '${role}' (GET /api/config/providers lists them).`,
      );
    }
    return p;
  }

  /** The spec with its URL defaulted from the provider. */
  complete(role: OrganRole, spec: Omit<OrganSpec, "url"> & { url?: string }): OrganSpec {
    const p = this.provider(role, spec.provider);
    return { ...spec, url: (spec.url || p.defaultUrl).replace(/\/+$/, "") };
  }

  context(role: OrganRole, spec: OrganSpec, persona: string | null, signal?: AbortSignal): ModelContext {
    const log = this.log.child({ plugin: spec.provider });
    return {
      role,
      log: {
        info: (m, f) => log.info(f ?? {}, m),
        warn: (m, f) => log.warn(f ?? {}, m),
        error: (m, f) => log.error(f ?? {}, m),
      },
      progress: (p) => this.bus.emit("organ:progress", { ...p, persona, role, provider: spec.provider, model: spec.model, time: Date.now() }),
      usage: (u) => {
        this.ledger.record(persona, role, u);
        this.bus.emit("organ:usage", { persona, role, provider: spec.provider, model: spec.model, ...u, time: Date.now() });
      },
      timeoutMs: this.config.organTimeoutMs,
      ...(signal ? { signal } : {}),
    };
  }

  /** Her organs, ready to use: what each role's plugin gives for her spec. `signal` ends every call when she stops. */
  bind(specs: Partial<Record<OrganRole, OrganSpec>>, persona: string, signal: AbortSignal): BoundOrgans {
    const ctx = (role: OrganRole) => this.context(role, specs[role]!, persona, signal);
    const plugin = (role: OrganRole) => this.provider(role, specs[role]!.provider);
    const bound: BoundOrgans = { thinking: plugin("thinking").think!(specs.thinking!, ctx("thinking")) };
    if (specs.frontier) bound.frontier = plugin("frontier").think!(specs.frontier, ctx("frontier"));
    if (specs.vision) bound.vision = plugin("vision").see!(specs.vision, ctx("vision"));
    if (specs.hearing) bound.hearing = plugin("hearing").transcribe!(specs.hearing, ctx("hearing"));
    return bound;
  }

  /** Checks the organ is usable now. Plugin refusals are 400s; a plugin crash stays a 500. */
  async prepare(role: OrganRole, spec: OrganSpec, persona: string | null): Promise<void> {
    const p = this.provider(role, spec.provider);
    if (p.needsKey && !spec.api_key) {
      throw new Invalid(`Organ '${role}' (${p.name}, ${spec.model}) needs an api_key: ${p.title} refuses requests without one.`);
    }
    await p.prepare(spec, this.context(role, spec, persona));
  }
}
