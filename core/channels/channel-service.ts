import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Invalid, NotFound, TooMany } from "../api/errors.js";
import type { ChannelView } from "../api/types.js";
import { AgentRegistry } from "../agent-registry.js";
import { Logger } from "../logger.js";
import { PersonaService, accountName } from "../persona-service.js";
import { PersonaStore } from "../persona-store.js";

/** Wrong pairing codes allowed per persona in a window, before the route answers 429. */
const PAIR_TRIES = 5;
const PAIR_WINDOW_MS = 10 * 60_000;

/**
 * Her channels as the person manages them: listed with where each is, added (checked by its
 * plugin with the platform, connected at once while she runs), removed (disconnected at once),
 * and a chat paired with the code she sent there. Each change is in her lane, like the rest
 * of her lifecycle; credentials go to secrets.json only.
 */
@injectable()
export class ChannelService {
  private readonly wrong = new Map<string, number[]>();

  constructor(
    private readonly personas: PersonaService,
    private readonly store: PersonaStore,
    private readonly agents: AgentRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async list(id: string): Promise<ChannelView[]> {
    return this.personas.channelViews(await this.store.get(id));
  }

  async add(id: string, type: string, credentials: Record<string, string>): Promise<ChannelView> {
    const { name, plugin } = await this.personas.checkChannel(type, credentials);
    if (plugin.always) throw new Invalid(`The ${type} channel is always there; there is nothing to add.`);
    return this.personas.transition(id, async (rec) => {
      const found = rec.channels.find((c) => c.type === type);
      const before = found && { ...found, name: accountName(found.name, type) };
      // The same account again (a new token for it) keeps its paired chats; another account starts unpaired.
      const chats = before && before.name === name ? (before.chats ?? []) : [];
      const channel = { type, name, verified: plugin.pairing === false || chats.length > 0, ...(chats.length ? { chats } : {}) };
      const secrets = await this.store.secrets(id);
      secrets.channels[type] = credentials;
      await this.store.saveSecrets(id, secrets);
      if (before && before.name !== name) {
        // The old account's link first, so it cannot write its offset and outbox back for the new one.
        if (this.agents.running(id)) await this.agents.get(id).links?.disconnect(type);
        await this.store.removeChannelFile(id, type);
      }
      const next = { ...rec, channels: [...rec.channels.filter((c) => c.type !== type), channel] };
      await this.store.save(next);
      if (this.agents.running(id)) {
        const agent = this.agents.get(id);
        agent.persona.channels = next.channels;
        await agent.links?.connect(channel, credentials);
      }
      this.log.info({ persona: id, channel: type }, `${before ? "Changed" : "Added"} her ${plugin.title} channel (${name})`);
      await this.personas.changed(id, "updated");
      return this.personas.channelViews(next).find((c) => c.type === type)!;
    });
  }

  async remove(id: string, type: string): Promise<void> {
    await this.personas.transition(id, async (rec) => {
      if (this.personas.channelViews(rec)[0]!.type === type) throw new Invalid(`The ${type} channel is always there and cannot be removed.`);
      if (!rec.channels.some((c) => c.type === type)) throw new NotFound(`${rec.name} has no ${type} channel.`);
      if (this.agents.running(id)) await this.agents.get(id).links?.disconnect(type);
      const secrets = await this.store.secrets(id);
      delete secrets.channels[type];
      await this.store.saveSecrets(id, secrets);
      const next = { ...rec, channels: rec.channels.filter((c) => c.type !== type) };
      await this.store.save(next);
      if (this.agents.running(id)) this.agents.get(id).persona.channels = next.channels;
      await this.store.removeChannelFile(id, type);
      this.log.info({ persona: id, channel: type }, `Removed her ${type} channel`);
      await this.personas.changed(id, "updated");
    });
  }

  /**
   * The chat a code was sent to becomes hers. A wrong or expired code is a 400; more than a
   * few wrong ones in ten minutes is a 429 (eight letters of 32 cannot be guessed in five).
   */
  async pair(id: string, typed: string): Promise<{ channel: ChannelView; chat: string }> {
    const code = typed.trim().toUpperCase().replace(/[\s-]/g, "");
    // In her lane: guesses sent at once are counted one after another, and the agent that
    // redeems the code is the one told of the chat (no restart in between).
    return this.personas.transition(id, async (rec) => {
      const now = Date.now();
      const recent = (this.wrong.get(id) ?? []).filter((t) => now - t < PAIR_WINDOW_MS);
      if (recent.length >= PAIR_TRIES) {
        const wait = Math.ceil((recent[0]! + PAIR_WINDOW_MS - now) / 60_000);
        throw new TooMany(`Too many wrong pairing codes for her in ten minutes; try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
      }
      const agent = this.agents.get(id);
      const hit = await agent.links?.redeem(code);
      if (!hit) {
        this.wrong.set(id, [...recent, now]);
        throw new Invalid("That pairing code is not one she gave, or it has expired (codes last 10 minutes). Send her a message on the channel again for a code.");
      }
      const paired = { id: hit.chat, ...(hit.from ? { from: hit.from } : {}), paired_at: new Date().toISOString() };
      const channels = rec.channels.map((c) => (c.type === hit.type ? { ...c, verified: true, chats: [...(c.chats ?? []).filter((x) => x.id !== hit.chat), paired] } : c));
      const next = { ...rec, channels };
      await this.store.save(next);
      agent.persona.channels = channels;
      this.wrong.delete(id);
      this.log.info({ persona: id, channel: hit.type }, `Paired a ${hit.type} chat${hit.from ? ` with ${hit.from}` : ""}`);
      await agent.links?.say(hit.type, hit.chat, `Paired: this chat is mine now. Hello${hit.from ? `, ${hit.from}` : ""}! — ${rec.name}`);
      await this.personas.changed(id, "updated");
      return { channel: this.personas.channelViews(next).find((c) => c.type === hit.type)!, chat: hit.chat };
    });
  }
}
