import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Invalid } from "./api/errors.js";
import type { ModelContext, ModelPlugin, Seer, Thinker, Transcriber } from "./api/plugin.js";
import type { OrganRole, OrganSpec } from "./api/types.js";
import { Config } from "./config.js";
import { EventBus } from "./event-bus.js";
import { OrganLedger } from "./organ-ledger.js";
import { Logger } from "./logger.js";
import { KnownSecrets } from "./known-secrets.js";
import { PluginRegistry } from "./plugin-registry.js";
import { Scrubber } from "./scrubber.js";

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
    private readonly secrets: KnownSecrets,
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

  /**
   * The spec with its URL defaulted from the provider. A URL that carries a credential (user
   * info, or a query parameter like `?api_key=`) is refused — without printing it: a key
   * belongs in `api_key`, which only secrets.json holds, never in a URL shown everywhere.
   */
  complete(role: OrganRole, spec: Omit<OrganSpec, "url"> & { url?: string }): OrganSpec {
    const p = this.provider(role, spec.provider);
    const url = (spec.url || p.defaultUrl).replace(/\/+$/, "");
    let u: URL | null = null;
    try {
      u = new URL(url);
    } catch {
      throw new Invalid(`Organ '${role}' (${p.name}, ${spec.model}): its url is not a URL; give one like ${p.defaultUrl}.`);
    }
    const param = [...u.searchParams.keys()].find((k) => /key|token|secret|pass|auth|sig|credential/i.test(k));
    const where = u.username || u.password ? "user info (user:password@)" : param ? `the query parameter '${param}'` : null;
    if (where) {
      this.secrets.add(u.password, u.username, ...u.searchParams.values());
      throw new Invalid(
        `Organ '${role}' (${p.name}, ${spec.model}): its url carries a credential (${where}). ` +
          "Give the key as api_key instead and leave it out of the url; it is kept in secrets.json only.",
      );
    }
    return { ...spec, url };
  }

  /** Her keys, then every key the daemon knows and the well-known shapes. */
  private scrubber(keys: (string | undefined)[]): Scrubber {
    return new Scrubber(keys, (t) => this.secrets.scrub(t));
  }

  context(role: OrganRole, spec: OrganSpec, persona: string | null, signal?: AbortSignal, scrub = this.scrubber([spec.api_key])): ModelContext {
    const log = this.log.child({ plugin: spec.provider });
    return {
      role,
      // What a plugin says is outside text too: scrubbed before it reaches the log or an event.
      log: {
        info: (m, f) => log.info(scrub.fields(f), scrub.strict(m)),
        warn: (m, f) => log.warn(scrub.fields(f), scrub.strict(m)),
        error: (m, f) => log.error(scrub.fields(f), scrub.strict(m)),
      },
      progress: (p) => this.bus.emit("organ:progress", { ...p, status: scrub.strict(String(p.status)), persona, role, provider: spec.provider, model: spec.model, time: Date.now() }),
      usage: (u) => {
        this.ledger.record(persona, role, u);
        this.bus.emit("organ:usage", { persona, role, provider: spec.provider, model: spec.model, ...u, time: Date.now() });
      },
      timeoutMs: this.config.organTimeoutMs,
      waiting: (what) => this.ledger.waiting(persona, role, what === null ? null : scrub.strict(String(what))),
      home: this.config.home,
      ...(signal ? { signal } : {}),
    };
  }

  /**
   * Her organs, ready to use: what each role's plugin gives for her spec. `signal` ends every
   * call when she stops. This is where text from outside enters her: every error a plugin
   * throws, every log line and progress it reports, every piece of words it streams is
   * scrubbed of the keys she holds (`secrets`: her channel tokens besides her organ keys)
   * before the mind, diagnose, an event, the log or her own words ever see it.
   */
  bind(specs: Partial<Record<OrganRole, OrganSpec>>, persona: string, signal: AbortSignal, secrets: string[] = []): BoundOrgans {
    const scrub = this.scrubber([...Object.values(specs).map((s) => s?.api_key), ...secrets]);
    const ctx = (role: OrganRole) => this.context(role, specs[role]!, persona, signal, scrub);
    const plugin = (role: OrganRole) => this.provider(role, specs[role]!.provider);
    const guarded = <T>(work: () => Promise<T>): Promise<T> => work().catch((err) => Promise.reject(scrub.error(err)));
    const thinker = (t: Thinker): Thinker => ({
      think: (req) =>
        guarded(() => t.think(req.onDelta ? { ...req, onDelta: (text) => req.onDelta!(scrub.text(text)) } : req)).then((r) => ({
          ...r,
          text: scrub.text(r.text),
          ...(r.json !== undefined ? { json: JSON.parse(scrub.text(JSON.stringify(r.json))) } : {}),
        })),
    });
    const bound: BoundOrgans = { thinking: thinker(plugin("thinking").think!(specs.thinking!, ctx("thinking"))) };
    if (specs.frontier) bound.frontier = thinker(plugin("frontier").think!(specs.frontier, ctx("frontier")));
    if (specs.vision) {
      const seer = plugin("vision").see!(specs.vision, ctx("vision"));
      bound.vision = { see: (...a) => guarded(() => seer.see(...a)).then((t) => scrub.text(t)) };
    }
    if (specs.hearing) {
      const ear = plugin("hearing").transcribe!(specs.hearing, ctx("hearing"));
      bound.hearing = { transcribe: (...a) => guarded(() => ear.transcribe(...a)).then((t) => scrub.text(t)) };
    }
    return bound;
  }

  /** Checks the organ is usable now. Plugin refusals are 400s (scrubbed of the key); a plugin crash stays a 500. */
  async prepare(role: OrganRole, spec: OrganSpec, persona: string | null): Promise<void> {
    const p = this.provider(role, spec.provider);
    if (p.needsKey && !spec.api_key) {
      throw new Invalid(`Organ '${role}' (${p.name}, ${spec.model}) needs an api_key: ${p.title} refuses requests without one.`);
    }
    const scrub = this.scrubber([spec.api_key]);
    await p.prepare(spec, this.context(role, spec, persona, undefined, scrub)).catch((err) => Promise.reject(scrub.error(err)));
  }
}
