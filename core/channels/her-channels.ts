import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { isEternegoError } from "../api/errors.js";
import type { ChannelPlugin, InboundMessage } from "../api/plugin.js";
import type { ChannelState, ChannelView, OrganRole } from "../api/types.js";
import type { EventBus } from "../event-bus.js";
import type { KnownSecrets } from "../known-secrets.js";
import type { Logger } from "../logger.js";
import type { Memory } from "../mind/memory.js";
import type { Received } from "../mind/perceive.js";
import type { PersonaRecord, PersonaStore, StoredChannel } from "../persona-store.js";
import type { PluginRegistry } from "../plugin-registry.js";
import { ChannelLink } from "./link.js";

/** What her channels hand a message to: the agent's own ways in. */
export interface Ears {
  read(text: string, channel: string, via: { chat: string; ref: string }): Promise<unknown>;
  perceive(files: Received[], caption: string, channel: string, via: { chat: string; ref: string }): Promise<unknown>;
  hear(file: Received, channel: string, via: { chat: string; ref: string }): Promise<unknown>;
  /** The organs she has now (what decides which files she can take in). */
  organs(): ReadonlySet<OrganRole>;
}

export interface HerChannelsDeps {
  persona: PersonaRecord;
  plugins: PluginRegistry;
  store: PersonaStore;
  memory: Memory;
  bus: EventBus;
  log: Logger;
  secrets: KnownSecrets;
  tmpDir: string;
  retryMs: number;
  ears: Ears;
}

const size = (n: number) => (n >= 1024 ** 2 ? `${Math.round(n / 1024 ** 2)} MB` : `${Math.round(n / 1024)} KB`);

/**
 * The channels of one running persona other than the home one (the web needs no
 * connection: pages are told through the bus): one link each, connected, disconnected when
 * removed, and the way her words and a paired chat's messages go between them and her.
 */
export class HerChannels {
  private readonly links = new Map<string, ChannelLink>();

  /** Settles once `start` has set up every channel: her mind resumes first, and what it says as she wakes waits for it. */
  private readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(private readonly d: HerChannelsDeps) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  /** Connects every channel of hers whose plugin is loaded (in the background: none holds her start). */
  async start(): Promise<void> {
    try {
      const secrets = await this.d.store.secrets(this.d.persona.id);
      for (const c of this.d.persona.channels) await this.connect(c, secrets.channels[c.type] ?? {});
    } finally {
      this.markStarted();
    }
  }

  async stop(): Promise<void> {
    this.markStarted();
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.links.clear();
  }

  /** Connects one channel (a channel added while she runs); a link already up for it is closed first. */
  async connect(c: StoredChannel, credentials: Record<string, string>): Promise<void> {
    const plugin = this.d.plugins.channels.get(c.type);
    if (!plugin || plugin.always) {
      if (!plugin) this.d.log.warn({ persona: this.d.persona.id }, `Channel '${c.type}' has no loaded plugin, so it is not connected (GET /api/plugins says why).`);
      return;
    }
    await this.disconnect(c.type);
    const link = this.link(plugin, credentials);
    this.links.set(c.type, link);
    await link.start();
  }

  async disconnect(type: string): Promise<void> {
    const link = this.links.get(type);
    this.links.delete(type);
    await link?.close();
  }

  private link(plugin: ChannelPlugin, credentials: Record<string, string>): ChannelLink {
    const { persona, store, bus, log, secrets } = this.d;
    const id = persona.id;
    const plog = log.child({ persona: id, channel: plugin.name });
    const scrub = (m: string) => secrets.scrub(m);
    return new ChannelLink({
      persona: id,
      name: () => persona.name,
      plugin,
      credentials,
      paired: () => new Set(persona.channels.find((c) => c.type === plugin.name)?.chats?.map((x) => x.id) ?? []),
      load: () => store.channelFile(id, plugin.name),
      save: (data) => store.saveChannelFile(id, plugin.name, data),
      deliver: (msg) => this.inbound(plugin, msg),
      known: async (ref) => (await this.d.memory.conversation()).some((e) => e.ref === ref),
      state: (state: ChannelState, detail, retryAt) => bus.emit("channel:state", { persona: id, type: plugin.name, state, detail, retry_at: retryAt, time: Date.now() }),
      log: {
        info: (m, f) => plog.info(f ?? {}, scrub(m)),
        warn: (m, f) => plog.warn(f ?? {}, scrub(m)),
        error: (m, f) => plog.error(f ?? {}, scrub(m)),
      },
      scrub,
      retryMs: this.d.retryMs,
    });
  }

  /** Her words to a chat on a channel; into its outbox. */
  async say(channel: string, chat: string, text: string): Promise<void> {
    await this.started;
    const link = this.links.get(channel);
    if (!link) throw new Error(`channel '${channel}' is not connected`);
    await link.say(chat, text);
  }

  typing(channel: string, chat: string, on: boolean): void {
    const link = this.links.get(channel);
    if (on) link?.typing(chat);
    else link?.stopTyping(chat);
  }

  /** The chat a pairing code was given to, on any channel of hers; the code is used up. */
  async redeem(code: string): Promise<{ type: string; chat: string; from?: string } | null> {
    for (const [type, link] of this.links) {
      const hit = await link.redeem(code);
      if (hit) return { type, ...hit };
    }
    return null;
  }

  /** Where each connected channel is now. */
  view(type: string): Pick<ChannelView, "state" | "detail" | "retry_at"> | null {
    const l = this.links.get(type);
    return l ? { state: l.state, detail: l.detail, retry_at: l.retryAt } : null;
  }

  /**
   * A message from a paired chat: its files fetched and perceived like an upload (a kind she
   * cannot take in, or too large, gets a polite reply naming what she can), then into her mind.
   */
  private async inbound(plugin: ChannelPlugin, msg: InboundMessage): Promise<void> {
    const via = { chat: msg.chat, ref: `${msg.chat}:${msg.id}` };
    const { plugins, persona, ears, tmpDir } = this.d;
    const refused: string[] = [];
    const files: Received[] = [];
    let voice: Received | null = null;
    await fs.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    try {
      for (const a of msg.attachments ?? []) {
        let cap;
        try {
          cap = plugins.capabilityFor(a.name, ears.organs(), persona.id);
        } catch {
          refused.push(`'${a.name}'`);
          continue;
        }
        if (a.size !== undefined && a.size > cap.maxBytes) {
          refused.push(`'${a.name}' (${size(a.size)}; I take at most ${size(cap.maxBytes)})`);
          continue;
        }
        const to = path.join(tmpDir, `${crypto.randomUUID()}${path.extname(a.name).toLowerCase()}`);
        try {
          await a.download(to, cap.maxBytes);
          const got: Received = { name: a.name, path: to, mimeType: cap.mimeTypes?.[0] ?? "application/octet-stream", size: (await fs.stat(to)).size };
          if (a.kind === "voice" && !voice) voice = got;
          else files.push(got);
        } catch (err) {
          await fs.rm(to, { force: true });
          // Cut off because the channel is closing: the message is not taken, and comes again.
          if (this.links.get(plugin.name)?.closing !== false) throw err;
          this.d.log.warn({ persona: persona.id, channel: plugin.name }, `Could not fetch '${a.name}': ${this.d.secrets.scrub((err as Error).message)}`);
          refused.push(`'${a.name}' (it could not be fetched)`);
        }
      }
      if (refused.length) await this.say(plugin.name, msg.chat, this.politeNo(refused));
      try {
        // A voice note is the message itself; files that came with it are their own message, with the text.
        if (voice) await ears.hear(voice, plugin.name, via);
        if (files.length) await ears.perceive(files, msg.text, plugin.name, via);
        else if (!voice && msg.text.trim()) await ears.read(msg.text, plugin.name, via);
      } catch (err) {
        // She could not take it in (a file her perception refused): the chat is told why, never silence.
        if (!isEternegoError(err) || err.status === 409) throw err;
        await this.say(plugin.name, msg.chat, `I could not take that in: ${err.message}`);
        if ((voice || files.length) && msg.text.trim()) await ears.read(msg.text, plugin.name, via);
      }
    } finally {
      await Promise.all([...files, ...(voice ? [voice] : [])].map((f) => fs.rm(f.path, { force: true })));
    }
  }

  /** What she says to a file she cannot take in: which, and what she can. */
  private politeNo(refused: string[]): string {
    const organs = this.d.ears.organs();
    const can = [...this.d.plugins.capabilities.entries()].filter(([, c]) => !c.organ || organs.has(c.organ)).map(([ext]) => ext).sort();
    const list = can.length ? `I can take in ${can.join(", ")}.` : "I cannot take in files yet.";
    return `Sorry — I cannot take in ${refused.join(", ")} here. ${list}`;
  }
}
