import "reflect-metadata";
import crypto from "node:crypto";
import { inject, injectable } from "tsyringe";
import { Conflict, Invalid, NotFound, isEternegoError } from "./api/errors.js";
import type { ChannelPlugin } from "./api/plugin.js";
import { ORGAN_ROLES, type AgentState, type ChannelView, type OrganRole, type OrganSpec, type PersonaStatus, type PersonaView } from "./api/types.js";
import type { PersonaChange } from "./api/events.js";
import { AgentKit } from "./agent.js";
import { AgentRegistry } from "./agent-registry.js";
import { Config } from "./config.js";
import { EventBus } from "./event-bus.js";
import { KnownSecrets } from "./known-secrets.js";
import { Logger } from "./logger.js";
import { Organs } from "./organs.js";
import { PersonaStore, FORMAT_VERSION, type PersonaRecord, type PersonaSecrets, type StoredChannel } from "./persona-store.js";
import { PluginRegistry } from "./plugin-registry.js";
import { Diaries } from "./diary/diaries.js";
import { newKey } from "./diary/identity.js";

type OrganInput = Omit<OrganSpec, "url"> & { url?: string };

export interface CreateInput {
  name: string;
  organs: Partial<Record<OrganRole, OrganInput>> & { thinking: OrganInput };
  channels?: { type: string; credentials: Record<string, string> }[];
}

export interface MigrateInput {
  /** The uploaded diary, on disk. */
  file: string;
  phrase: string;
  organs?: CreateInput["organs"];
  channels?: CreateInput["channels"];
  replace: boolean;
  progress?: (read: number, total: number) => void;
}

export interface UpdateInput {
  name?: string;
  status?: Exclude<PersonaStatus, "sick">;
  organs?: Partial<Record<OrganRole, OrganInput | null>>;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * The name a platform gives an account, as a short line of text whatever it sent (it is kept in
 * persona.json, shown in every list and written to every diary): control characters made
 * spaces, trimmed, at most 256 characters (a Matrix id is at most 255). Names stored before are
 * compared through it too, so the same account stays the same.
 */
export function accountName(said: unknown, fallback: string): string {
  const line = (typeof said === "string" ? said : "").replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return Array.from(line).slice(0, 256).join("") || fallback;
}

/** Create, change, start, stop and remove personas: the lifecycle and config the routes call. */
@injectable()
export class PersonaService {
  constructor(
    private readonly store: PersonaStore,
    private readonly agents: AgentRegistry,
    private readonly organs: Organs,
    private readonly plugins: PluginRegistry,
    private readonly bus: EventBus,
    private readonly secrets: KnownSecrets,
    private readonly diaries: Diaries,
    kit: AgentKit,
    @inject(Config) private readonly config: Config,
    @inject(Logger) private readonly log: Logger,
  ) {
    // The state is passed along: by the time the record is read, she may have moved on.
    agents.onState = (id, state) => void this.changed(id, "state", state);
    kit.onSick = (id, reason) => void this.sicken(id, reason).catch((err) => this.log.error({ persona: id }, `Could not mark her sick: ${err.message}`));
  }

  /**
   * A lifecycle or config change of hers, after the ones asked for before it (her owner's
   * lane), on her record as it is by then: a 404 if she was deleted meanwhile.
   */
  async transition<T>(id: string, work: (rec: PersonaRecord) => Promise<T>): Promise<T> {
    const owner = await this.store.owner(id);
    return owner.transition(async () => work(await this.store.get(id)));
  }

  /** Her thinking organ keeps failing: status sick with the reason kept, agent stopped. Started again by the person. */
  async sicken(id: string, why: string): Promise<void> {
    await this.transition(id, async (rec) => {
      const reason = this.secrets.scrub(why);
      await this.store.save({ ...rec, status: "sick", status_reason: reason });
      this.log.warn({ persona: id }, `${rec.name} is sick: ${reason}`);
      await this.agents.stop(id);
      await this.changed(id, "status");
    }).catch((err) => {
      if (!(err instanceof NotFound)) throw err; // deleted meanwhile: nobody left to be sick
    });
  }

  view(rec: PersonaRecord, state: AgentState = this.agents.state(rec.id), home = this.plugins.home.name): PersonaView {
    const v = this.summary(rec, state) as PersonaView;
    v.channels = this.channelViews(rec, state === "running", home);
    return v;
  }

  /** Her channels as the API shows them: the home one first, then each she has, with where it is now. */
  channelViews(rec: PersonaRecord, running = this.agents.running(rec.id), home = this.plugins.home.name): ChannelView[] {
    const views: ChannelView[] = [{ type: home, name: home, verified: true, state: running ? "connected" : "disconnected", detail: null, retry_at: null }];
    for (const c of rec.channels) {
      const live = running ? this.agents.channel(rec.id, c.type) : null;
      views.push({ type: c.type, name: c.name, verified: c.verified, state: live?.state ?? "disconnected", detail: live?.detail ?? null, retry_at: live?.retry_at ?? null });
    }
    return views;
  }

  private summary(rec: PersonaRecord, state: AgentState): Omit<PersonaView, "channels"> {
    const running = state === "running";
    const organs: PersonaView["organs"] = {};
    const keys = this.keyed.get(rec.id);
    for (const role of ORGAN_ROLES) {
      const o = rec.organs[role];
      if (o) organs[role] = { provider: o.provider, model: o.model, url: o.url, has_key: keys?.has(role) ?? false };
    }
    return {
      id: rec.id,
      name: rec.name,
      birthday: rec.birthday,
      status: rec.status,
      status_reason: rec.status_reason ?? null,
      running,
      state,
      phase: running ? this.agents.phase(rec.id) : null,
      organs,
    };
  }

  /** Which organs of each persona have a key: kept in memory so views need no secrets read. */
  private readonly keyed = new Map<string, Set<OrganRole>>();

  private remember(id: string, s: PersonaSecrets): void {
    this.keyed.set(id, new Set((Object.keys(s.organs) as OrganRole[]).filter((r) => s.organs[r]?.api_key)));
    // Her diary recipient is private too: whoever knows it could write a diary her phrase opens.
    this.secrets.add(s.diary_recipient, ...Object.values(s.organs).map((o) => o?.api_key));
    for (const [type, c] of Object.entries(s.channels)) this.secrets.add(...this.secretsOf(type, c));
  }

  async changed(id: string, change: PersonaChange, state?: AgentState): Promise<void> {
    const rec = change === "deleted" ? null : await this.store.get(id).catch(() => null);
    this.bus.emit("persona:changed", { id, change, persona: rec ? this.view(rec, state) : undefined, time: Date.now() });
  }

  /** Loads every persona and starts those whose status is active. */
  async boot(): Promise<void> {
    await this.store.load((dir, err) => this.log.error({ dir }, `Skipped a persona folder that cannot be read: ${err instanceof Error ? err.message : err}`), {
      sweep: true,
      onSwept: (what) => this.log.info({ path: what }, `Removed what a crash left half done: ${what}`),
    });
    const all = await this.store.list();
    for (const rec of all) this.remember(rec.id, await this.store.secrets(rec.id));
    for (const rec of all.filter((r) => r.status === "active")) {
      await this.transition(rec.id, (r) => this.agents.start(r)).catch((err) => this.log.error({ persona: rec.id }, `Could not start ${rec.name}: ${err.message}`));
    }
  }

  async list(): Promise<PersonaView[]> {
    const home = this.plugins.home.name;
    return (await this.store.list()).map((r) => this.view(r, this.agents.state(r.id), home));
  }

  async get(id: string): Promise<PersonaView> {
    return this.view(await this.store.get(id));
  }

  private async checkChannels(input: NonNullable<CreateInput["channels"]>): Promise<{ channels: StoredChannel[]; creds: PersonaSecrets["channels"] }> {
    const channels: StoredChannel[] = [];
    const creds: PersonaSecrets["channels"] = {};
    for (const c of input) {
      if (this.plugins.channels.get(c.type)?.always) continue; // always present; nothing to validate
      if (creds[c.type]) throw new Invalid(`Channel '${c.type}' is listed twice; give each channel type once.`);
      const { name, plugin } = await this.checkChannel(c.type, c.credentials);
      channels.push({ type: c.type, name, verified: plugin.pairing === false });
      creds[c.type] = c.credentials;
    }
    return { channels, creds };
  }

  /** The credential values a channel's plugin declares secret (all of them, for a plugin not loaded): what is scrubbed from every text. */
  private secretsOf(type: string, credentials: Record<string, string>): string[] {
    const fields = this.plugins.channels.get(type)?.credentials;
    return fields ? fields.filter((f) => f.secret).map((f) => credentials[f.key]!).filter(Boolean) : Object.values(credentials);
  }

  /** A channel's credentials checked by its plugin with the platform: the account's name, or a 400 naming the channel and what to fix. */
  async checkChannel(type: string, credentials: Record<string, string>): Promise<{ name: string; plugin: ChannelPlugin }> {
    const plugin = this.plugins.channels.get(type);
    if (!plugin) {
      throw new Invalid(`Channel type '${type}' is not provided by any loaded channel plugin (available: ${[...this.plugins.channels.keys()].join(", ")}).`);
    }
    const missing = plugin.credentials.filter((f) => f.required && !credentials[f.key]).map((f) => f.key);
    if (missing.length) throw new Invalid(`Channel '${type}' needs ${missing.map((m) => `'${m}'`).join(", ")} in its credentials.`);
    const unknown = Object.keys(credentials).filter((k) => !plugin.credentials.some((f) => f.key === k));
    if (unknown.length) throw new Invalid(`Channel '${type}' takes no ${unknown.map((k) => `'${k}'`).join(", ")}; its credentials are ${plugin.credentials.map((f) => `'${f.key}'`).join(", ") || "none"}.`);
    this.secrets.add(...this.secretsOf(type, credentials));
    try {
      return { name: accountName((await plugin.validate(credentials))?.name, type), plugin };
    } catch (err) {
      const why = this.secrets.scrub((err as Error)?.message ?? String(err));
      throw isEternegoError(err) && err.status < 500 ? new Invalid(why.startsWith(`Channel '${type}'`) ? why : `Channel '${type}': ${why}`) : new Invalid(`Channel '${type}' could not check its credentials with the platform: ${why}`);
    }
  }

  /** Organs as a request gives them: completed, checked and prepared (a 400 says what to fix); with what persona.json and secrets.json keep of them. */
  private async prepareOrgans(input: CreateInput["organs"], persona: string | null): Promise<{ stored: PersonaRecord["organs"]; keys: PersonaSecrets["organs"] }> {
    const specs: Partial<Record<OrganRole, OrganSpec>> = {};
    for (const role of ORGAN_ROLES) {
      const o = input[role];
      if (o) specs[role] = this.organs.complete(role, o);
    }
    for (const role of ORGAN_ROLES) if (specs[role]) await this.organs.prepare(role, specs[role]!, persona);
    const stored: PersonaRecord["organs"] = {};
    const keys: PersonaSecrets["organs"] = {};
    for (const role of ORGAN_ROLES) {
      const s = specs[role];
      if (!s) continue;
      stored[role] = { provider: s.provider, model: s.model, url: s.url };
      if (s.api_key) keys[role] = { api_key: s.api_key };
    }
    return { stored, keys };
  }

  async create(input: CreateInput): Promise<{ persona: PersonaView; recovery_phrase: string }> {
    this.secrets.addFrom(input);
    const { stored, keys } = await this.prepareOrgans(input.organs, null);
    const { channels, creds } = await this.checkChannels(input.channels ?? []);
    const key = await newKey();
    const rec: PersonaRecord = {
      version: FORMAT_VERSION,
      id: crypto.randomUUID(),
      name: input.name,
      birthday: today(),
      created_at: new Date().toISOString(),
      status: "active",
      status_reason: null,
      organs: stored,
      channels,
      diary: { fingerprint: key.fingerprint },
    };
    const secrets: PersonaSecrets = { organs: keys, channels: creds, diary_recipient: key.recipient };
    await this.store.create(rec, secrets);
    this.remember(rec.id, secrets);
    this.log.info({ persona: rec.id }, `Created ${rec.name}`);
    // Her first diary, so she can be moved from the first day. Should it fail, the phrase is
    // still hers to keep: her next night writes one.
    await this.diaries.write(rec.id).catch((err: Error) => this.log.warn({ persona: rec.id }, `Her first diary was not written (${err.message}); her night writes one`));
    // In her lane from the first moment: a delete sent as soon as she appears waits for her start.
    const persona = await this.transition(rec.id, async (r) => {
      await this.changed(rec.id, "created");
      await this.agents.start(r);
      return this.view(r);
    });
    return { persona, recovery_phrase: key.phrase };
  }

  /**
   * A new recovery phrase for her: her diaries are written to its key from now on (a fresh
   * one at once). Older diaries keep needing the phrase they were written with. The way to
   * give a key to a persona made before diaries had one, or to replace a lost or exposed phrase.
   */
  async newPhrase(id: string): Promise<{ recovery_phrase: string; fingerprint: string; diary: string }> {
    return this.transition(id, async (rec) => {
      const key = await newKey();
      const before = await this.store.secrets(id);
      const secrets = structuredClone(before);
      delete (secrets as { diary_key?: string }).diary_key; // the first design's stored key goes
      secrets.diary_recipient = key.recipient;
      let written: { created: string };
      try {
        await this.store.saveSecrets(id, secrets);
        await this.store.save({ ...rec, version: FORMAT_VERSION, diary: { fingerprint: key.fingerprint } });
        this.remember(id, secrets);
        written = await this.diaries.write(id);
      } catch (err) {
        // The phrase is never shown, so her key must not change: back to the one she had, each
        // file on its own (one that cannot be put back does not keep the other from it).
        const undo = (what: string) => (e: Error) => this.log.error({ persona: id }, `Her ${what} could not be put back after a failed new phrase: ${e.message}`);
        await this.store.saveSecrets(id, before).catch(undo("secrets.json"));
        await this.store.save(rec).catch(undo("persona.json"));
        throw err;
      }
      this.log.info({ persona: id }, `A new recovery phrase for ${rec.name}; her diaries are written to it from now on`);
      await this.changed(id, "updated");
      return { recovery_phrase: key.phrase, fingerprint: key.fingerprint, diary: written.created };
    });
  }

  /**
   * Restores a persona from her diary, with her own id: the diary opened with her phrase and
   * checked through (see Diaries.open), her organs here prepared like create's (by default
   * those her diary names), then her folder put in place by one rename and she starts. Her
   * id already here is a 409 unless `replace`, which stops her and swaps the folders at once.
   * Any failure leaves nothing on disk. Channels come back unverified.
   */
  async migrate(input: MigrateInput): Promise<PersonaView> {
    this.secrets.addFrom(input);
    const opened = await this.diaries.open(input.file, input.phrase, input.progress);
    try {
      const rec = opened.record;
      const here = await this.store.has(rec.id);
      if (here && !input.replace) throw new Conflict(`${rec.name} (${rec.id}) is already here. Send replace=true to put the diary in her place (she is stopped, and her folder as it is now is replaced).`);
      const organs = input.organs ?? (rec.organs as CreateInput["organs"]);
      if (!organs?.thinking) throw new Invalid("This diary names no thinking organ for her; give her organs with the restore (organs, as in create).");
      const { stored, keys } = await this.prepareOrgans(organs, here ? rec.id : null);
      const { channels, creds } = await this.checkChannels(input.channels ?? []);
      const next: PersonaRecord = { ...rec, version: FORMAT_VERSION, organs: stored, channels, status: "active", status_reason: null, diary: { fingerprint: opened.header.fingerprint } };
      const secrets: PersonaSecrets = { organs: keys, channels: creds, diary_recipient: opened.recipient };
      // In her lane once she is here, so a delete or a stop sent as she appears comes after her start.
      const settle = async () => {
        // Her latest diary here, written to the same key: she can move on from here as she came.
        await this.diaries.write(rec.id).catch((err: Error) => this.log.warn({ persona: rec.id }, `Her diary here was not written (${err.message}); her night writes one`));
        this.log.info({ persona: rec.id }, `Restored ${rec.name} from her diary of ${opened.header.created}`);
        await this.changed(rec.id, here ? "updated" : "created");
        await this.agents.start(next);
        return this.view(next);
      };
      if (!here) {
        await this.store.adopt(opened.staging, next, secrets, { replace: false });
        this.remember(rec.id, secrets);
        return await this.transition(rec.id, settle);
      }
      return await this.transition(rec.id, async () => {
        await this.agents.stop(rec.id);
        await this.store.adopt(opened.staging, next, secrets, { replace: true });
        this.remember(rec.id, secrets);
        return settle();
      });
    } catch (err) {
      await this.diaries.discard(opened);
      throw err;
    }
  }

  async update(id: string, input: UpdateInput): Promise<PersonaView> {
    this.secrets.addFrom(input);
    return this.transition(id, (current) => this.change(id, structuredClone(current), input));
  }

  private async change(id: string, rec: PersonaRecord, input: UpdateInput): Promise<PersonaView> {
    const secrets = await this.store.secrets(id);
    let organsChanged = false;
    for (const role of ORGAN_ROLES) {
      if (!input.organs || !(role in input.organs)) continue;
      const next = input.organs[role];
      const before = rec.organs[role];
      if (next === null) {
        if (before) organsChanged = true;
        delete rec.organs[role];
        delete secrets.organs[role];
        continue;
      }
      if (!next) continue;
      // An omitted key keeps the stored one — but only for the same provider, so a key is
      // never sent to a service it was not given for.
      const keep = next.api_key === undefined && before?.provider === next.provider ? secrets.organs[role]?.api_key : undefined;
      const spec = this.organs.complete(role, { ...next, api_key: next.api_key ?? keep });
      const same = before && before.provider === spec.provider && before.model === spec.model && before.url === spec.url && (spec.api_key ?? "") === (secrets.organs[role]?.api_key ?? "");
      if (same) continue;
      await this.organs.prepare(role, spec, id);
      rec.organs[role] = { provider: spec.provider, model: spec.model, url: spec.url };
      if (spec.api_key) secrets.organs[role] = { api_key: spec.api_key };
      else delete secrets.organs[role];
      organsChanged = true;
    }
    if (input.name !== undefined) rec.name = input.name;
    if (input.status) {
      rec.status = input.status;
      rec.status_reason = null;
    }
    if (organsChanged) await this.store.saveSecrets(id, secrets);
    await this.store.save(rec);
    this.remember(id, secrets);
    if (input.status === "hibernate") await this.agents.stop(id);
    else if (organsChanged && this.agents.running(id)) {
      await this.agents.stop(id);
      await this.agents.start(rec);
    } else if (input.status === "active") await this.agents.start(rec);
    if (input.name !== undefined && this.agents.running(id)) this.agents.get(id).rename(rec.name);
    await this.changed(id, "updated");
    return this.view(rec);
  }

  async start(id: string): Promise<"started" | "already running"> {
    return this.transition(id, (rec) => this.startNow(rec));
  }

  /** Status active, then her agent up; inside her lane. */
  private async startNow(rec: PersonaRecord): Promise<"started" | "already running"> {
    if (rec.status !== "active") {
      await this.store.save({ ...rec, status: "active", status_reason: null });
      await this.changed(rec.id, "status");
    }
    const started = await this.agents.start(await this.store.get(rec.id)).catch((err: Error) => {
      throw new Invalid(`${rec.name} could not start: ${err.message}`);
    });
    return started ? "started" : "already running";
  }

  async stop(id: string): Promise<void> {
    await this.transition(id, async (rec) => {
      await this.agents.stop(id);
      if (rec.status !== "hibernate") {
        await this.store.save({ ...rec, status: "hibernate", status_reason: null });
        await this.changed(id, "status");
      }
    });
  }

  /** Stop, then start from the configuration on disk (a hand-edited persona.json is picked up). */
  async restart(id: string): Promise<void> {
    await this.transition(id, async () => {
      // Read the file first: a broken hand edit is refused (400) and leaves her as she was.
      const rec = await this.store.reload(id);
      await this.agents.stop(id);
      await this.startNow(rec);
    });
  }

  async delete(id: string): Promise<void> {
    await this.transition(id, async () => {
      await this.agents.stop(id);
      await this.store.remove(id);
      this.keyed.delete(id);
      await this.changed(id, "deleted");
      this.log.info({ persona: id }, "Deleted");
    });
  }

  /** Stops every agent without touching any status: they come back at the next boot. */
  async shutdown(): Promise<void> {
    await this.agents.stopAll();
  }
}
