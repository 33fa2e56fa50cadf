import "reflect-metadata";
import path from "node:path";
import { inject, injectable } from "tsyringe";
import { Invalid, NotRunning } from "./api/errors.js";
import { isOrganFault } from "./api/organ-fault.js";
import type { AgentState, OrganRole, OrganSpec, Phase } from "./api/types.js";
import { Config } from "./config.js";
import { HerChannels } from "./channels/her-channels.js";
import { Diaries } from "./diary/diaries.js";
import { readExport } from "./feed-exports.js";
import { EventBus } from "./event-bus.js";
import { Logger } from "./logger.js";
import { DEFAULT_ROUTINES, Heartbeat } from "./mind/heartbeat.js";
import { Memory, type ConversationEntry } from "./mind/memory.js";
import { Mind, type Trouble } from "./mind/mind.js";
import { learnFromExport, type FeedSummary } from "./mind/feed.js";
import type { NightSummary } from "./mind/night.js";
import { perceiveFile, type Perceived, type Received } from "./mind/perceive.js";
import { KnownSecrets } from "./known-secrets.js";
import { OrganLedger } from "./organ-ledger.js";
import { Organs } from "./organs.js";
import { PersonaStore, type PersonaRecord } from "./persona-store.js";
import { PluginRegistry } from "./plugin-registry.js";

/** What every agent needs from the daemon, handed over in one piece by the registry. */
@injectable()
export class AgentKit {
  /** Set by the persona service: her thinking organ failed for good. */
  onSick: (id: string, reason: string) => void = () => {};

  constructor(
    readonly store: PersonaStore,
    readonly organs: Organs,
    readonly plugins: PluginRegistry,
    readonly bus: EventBus,
    readonly ledger: OrganLedger,
    readonly diaries: Diaries,
    readonly secrets: KnownSecrets,
    @inject(Config) readonly config: Config,
    @inject(Logger) readonly log: Logger,
  ) {}
}

/** Where a message came from beyond its channel: its id (from a client), its chat and platform reference (from a channel). */
type Via = { id?: string; chat?: string; ref?: string };

/** A live persona in this daemon: her mind, her heart, her organs, bound to her files. */
export class Agent {
  readonly startedAt = Date.now();
  private mind!: Mind;
  private heart!: Heartbeat;
  private channels: HerChannels | null = null;
  private readonly abort = new AbortController();

  constructor(
    readonly persona: PersonaRecord,
    private readonly kit: AgentKit,
    /** Her owner's memory, shared with the routes: one instance of her home folder. */
    readonly memory: Memory,
  ) {}

  get phase(): Phase {
    return this.mind?.phase ?? "morning";
  }

  async start(): Promise<void> {
    const { store, organs, bus, ledger, log, config } = this.kit;
    const p = this.persona;
    const secrets = await store.secrets(p.id);
    const specs: Partial<Record<OrganRole, OrganSpec>> = {};
    for (const [role, o] of Object.entries(p.organs) as [OrganRole, OrganSpec][]) {
      specs[role] = { ...o, ...(secrets.organs[role]?.api_key ? { api_key: secrets.organs[role]!.api_key } : {}) };
    }
    this.mind = new Mind({
      id: p.id,
      name: p.name,
      memory: this.memory,
      organs: organs.bind(specs, p.id, this.abort.signal, Object.values(secrets.channels).flatMap((c) => Object.values(c))),
      specs: p.organs,
      bus,
      ledger,
      log,
      faultRetryMs: config.faultRetryMs,
      onSick: (reason) => this.kit.onSick(p.id, reason),
      home: this.kit.plugins.home.name,
      deliver: (channel, chat, text) => this.channels!.say(channel, chat, text),
      typing: (channel, chat, on) => this.channels?.typing(channel, chat, on),
      writeDiary: () =>
        this.kit.diaries.write(p.id).then(
          (f) => ({ created: f.created, bytes: f.bytes }),
          (err: Error) => {
            log.warn({ persona: p.id }, `Her diary was not written after her night: ${err.message}`);
            return { skipped: err.message };
          },
        ),
    });
    const sleep = p.routines?.sleep;
    const valid = typeof sleep === "string" && /^([01]\d|2[0-3]):[0-5]\d$/.test(sleep);
    if (sleep !== undefined && !valid) log.warn({ persona: p.id }, `routines.sleep in persona.json must be a time like "23:30", not ${JSON.stringify(sleep)}; she sleeps at ${DEFAULT_ROUTINES.sleep}.`);
    this.heart = new Heartbeat(this.mind, this.memory, { sleep: valid ? sleep : DEFAULT_ROUTINES.sleep }, config.heartbeatMs, log.child({ persona: p.id }));
    this.channels = new HerChannels({
      persona: p,
      plugins: this.kit.plugins,
      store,
      memory: this.memory,
      bus,
      log,
      secrets: this.kit.secrets,
      tmpDir: path.join(config.home, "tmp", "channels"),
      retryMs: config.channelRetryMs,
      ears: {
        read: (text, channel, via) => this.read(text, channel, via),
        perceive: (files, caption, channel, via) => this.perceive(files, caption, channel, via),
        hear: (file, channel, via) => this.hear(file, channel, via),
        organs: () => this.organRoles(),
      },
    });
    await this.mind.resume();
    this.heart.start();
    await this.channels.start();
  }

  /** Her channels other than the home one: connected, added, removed, paired. */
  get links(): HerChannels | null {
    return this.channels;
  }

  async stop(): Promise<void> {
    if (!this.mind) return void this.abort.abort();
    // Channels first: nothing new comes in while her mind finishes; what comes meanwhile comes again later.
    await this.channels?.stop();
    const stopped = this.mind.stop();
    this.abort.abort();
    await Promise.all([stopped, this.heart?.stop()]);
  }

  /** What keeps her from answering now (a failing organ, a broken file), or null. */
  trouble(): Trouble | null {
    return this.mind?.trouble ?? null;
  }

  /** How many things wait in her inbox. */
  pending(): number {
    return this.mind?.pending ?? 0;
  }

  /**
   * Work that runs in her while she may be stopped: an error that comes of her stopping
   * (an organ call cut off) is a 409 saying so, not a failure of the work.
   */
  private async live<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (this.mind?.stopping) {
        throw new NotRunning(`${this.persona.name} was stopped before this was done; nothing of it was kept. Start her again and send it anew.`);
      }
      throw err;
    }
  }

  read(text: string, channel: string, via: Via = {}): Promise<ConversationEntry> {
    return this.mind.receive({ text, channel, ...via });
  }

  repliesTo(id: string, ms: number): Promise<ConversationEntry[] | null> {
    return this.mind.repliesTo(id, ms);
  }

  /** Files through their perceptions, then one message carrying the caption and what she perceived. */
  async perceive(files: Received[], caption: string, channel: string, via: Via = {}): Promise<ConversationEntry> {
    const got: Perceived[] = [];
    for (const f of files) got.push(await this.live(this.perceiveOne(f)));
    return this.mind.receive({ text: caption, channel, media: got.map((g) => g.media), perceived: got, ...via });
  }

  /** A voice message: what she heard becomes the message itself. */
  async hear(file: Received, channel: string, via: Via = {}): Promise<ConversationEntry> {
    const heard = await this.live(this.perceiveOne(file));
    return this.mind.receive({ text: heard.text, channel, media: [heard.media], ...via });
  }

  private async perceiveOne(f: Received): Promise<Perceived> {
    const cap = this.kit.plugins.capabilityFor(f.name, this.organRoles(), this.persona.id);
    this.kit.bus.emit("mind:activity", { persona: this.persona.id, activity: "perceiving", phase: this.phase, time: Date.now() });
    try {
      return await perceiveFile(f, cap, { log: this.pluginLog(cap.name), ...this.mind.organsFor(cap.organ) }, this.memory);
    } catch (err) {
      if (!isOrganFault(err) || !cap.organ || cap.organ === "thinking" || this.mind.stopping) throw err;
      this.mind.disable(cap.organ, err.message);
      throw new Invalid(`Her ${cap.organ} organ failed on '${f.name}' and is switched off until she is restarted: ${err.message}`);
    }
  }

  /** Learns the person from an exported chat history; a file that is not one is refused (400) before anything is read into her. */
  async feed(file: Received, source?: "chatgpt" | "claude"): Promise<FeedSummary> {
    const exp = await readExport(file.path, file.name, source);
    const { bus } = this.kit;
    const id = this.persona.id;
    return this.live(this.mind.exclusive(async () => {
      bus.emit("mind:activity", { persona: id, activity: "reflecting", phase: this.phase, time: Date.now() });
      try {
        return await learnFromExport(exp, this.persona.name, this.memory, this.mind.thinkingOrgan, (done, total) => bus.emit("feed:progress", { persona: id, done, total, time: Date.now() }));
      } catch (err) {
        throw isOrganFault(err) && !this.mind.stopping ? new Invalid(`She could not learn from the export, so her files are as they were: ${err.message}`) : err;
      } finally {
        bus.emit("mind:activity", { persona: id, activity: "idle", phase: this.phase, time: Date.now() });
      }
    }));
  }

  /** A new name, from her next beat on (nothing else about her needs a restart for it). */
  rename(name: string): void {
    this.persona.name = name;
    if (this.mind) this.mind.rename(name);
  }

  sleep(): Promise<NightSummary> {
    return this.mind.sleep();
  }

  /** The organs she has and has not switched off: what decides which files she can take. */
  organRoles(): Set<OrganRole> {
    return new Set((Object.keys(this.persona.organs) as OrganRole[]).filter((r) => !this.mind.isDisabled(r)));
  }

  private pluginLog(name: string) {
    const log = this.kit.log.child({ plugin: name, persona: this.persona.id });
    return {
      info: (m: string, f?: Record<string, unknown>) => log.info(f ?? {}, m),
      warn: (m: string, f?: Record<string, unknown>) => log.warn(f ?? {}, m),
      error: (m: string, f?: Record<string, unknown>) => log.error(f ?? {}, m),
    };
  }
}

/** The allowed transitions of an agent's lifecycle; anything else is a bug. */
export const TRANSITIONS: Record<AgentState, readonly AgentState[]> = {
  stopped: ["starting"],
  starting: ["running", "failed"],
  running: ["stopping"],
  stopping: ["stopped", "failed"],
  failed: ["starting", "stopped"],
};
