import { Invalid, NotRunning } from "../api/errors.js";
import type { MindActivityEvent } from "../api/events.js";
import { isOrganFault } from "../api/organ-fault.js";
import type { ChatMessage, Seer, Thinker, ThinkResult, Transcriber } from "../api/plugin.js";
import type { OrganRole, Phase } from "../api/types.js";
import type { EventBus } from "../event-bus.js";
import type { Logger } from "../logger.js";
import type { OrganLedger } from "../organ-ledger.js";
import type { BoundOrgans } from "../organs.js";
import type { StoredOrgan } from "../persona-store.js";
import { DECISION_SCHEMA, LESSON_SCHEMA, toDecision, type Decision } from "./decision.js";
import { Draft } from "./draft.js";
import { slug, type ConversationEntry, type Memory } from "./memory.js";
import { consolidate, type NightSummary } from "./night.js";
import { buildPrompt } from "./prompt.js";
import { runTool } from "./tools.js";

/** How many think → tools → think steps one beat may take. */
const MAX_STEPS = 4;
/** How many times a beat is tried again after a thinking-organ fault before she is sick. */
const FAULT_RETRIES = 2;

export interface MindDeps {
  id: string;
  /** Her name as she is called now (a rename reaches her next beat). */
  name: string;
  memory: Memory;
  organs: BoundOrgans;
  specs: Partial<Record<OrganRole, StoredOrgan>>;
  bus: EventBus;
  ledger: OrganLedger;
  log: Logger;
  faultRetryMs: number;
  /** Her thinking organ keeps failing: the agent is to be stopped and she marked sick. */
  onSick(reason: string): void;
  /** The channel that is always there (the web): where she speaks when she has heard from nowhere else. */
  home: string;
  /** Sends her words to a chat on a channel (words on the home channel reach pages through the bus alone). */
  deliver(channel: string, chat: string, text: string): Promise<void>;
  /** Shows (or stops showing) that she is writing in a chat, where its channel can. */
  typing?(channel: string, chat: string, on: boolean): void;
  /** Writes her diary (after each night): what was written, or why not (no diary key yet). */
  writeDiary(): Promise<{ created: string; bytes: number } | { skipped: string }>;
}

/** Something for her to take in: a message (already in her conversation) or an event. */
type Item = { kind: "message"; entry: ConversationEntry } | { kind: "event"; text: string; channel: string; chat?: string };

/** Where a conversation happens: a channel, and the chat on it (none on the home channel). */
interface Place {
  channel: string;
  chat?: string;
}

const placeOf = (it: Item): Place => (it.kind === "message" ? { channel: it.entry.channel, ...(it.entry.chat ? { chat: it.entry.chat } : {}) } : { channel: it.channel, ...(it.chat ? { chat: it.chat } : {}) });
const samePlace = (a: Place, b: Place) => a.channel === b.channel && a.chat === b.chat;

interface Waiter {
  /** Her answer, or null when she stopped before she answered. */
  resolve(replies: ConversationEntry[] | null): void;
}

/** What keeps her from answering: her thinking organ failing, or something else (a file of hers broken by hand). */
export interface Trouble {
  kind: "thinking" | "files";
  detail: string;
  /** ISO time it began. */
  since: string;
}

/**
 * Her mind: an inbox and one serial worker. A beat takes what is new, builds her prompt and
 * asks the thinking organ for a decision; tools run and their results feed the next step,
 * a bounded number of times. Her night runs on the same worker, so whatever arrives while
 * she sleeps waits in the inbox and is answered when she wakes.
 */
export class Mind {
  phase: Phase = "morning";
  private readonly inbox: Item[] = [];
  private work: Promise<unknown> = Promise.resolve();
  private beatQueued = false;
  private stopped = false;
  private faults = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly waiters = new Map<string, Waiter[]>();
  /** Optional organs switched off after a fault, until she is started again. */
  private readonly disabled = new Set<OrganRole>();
  /** Where she last heard from: where reminders are said. */
  private last: Place;
  /** What keeps her from answering now, for health lines and diagnose; cleared once a beat goes through. */
  trouble: Trouble | null = null;

  constructor(private readonly d: MindDeps) {
    this.last = { channel: d.home };
  }

  /** The last thinking fault, for health lines; null when her thinking organ is fine. */
  get thinkingFault(): string | null {
    return this.trouble?.kind === "thinking" ? this.trouble.detail : null;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  rename(name: string): void {
    this.d.name = name;
  }

  /** What waits to be answered: the inbox, and what the beat under way has taken from it. */
  get pending(): number {
    return this.inbox.length + this.taken;
  }

  /** How many items the beat under way took from the inbox. */
  private taken = 0;

  /**
   * Picks up what came after her last words (she was stopped mid-thought, or sick), so
   * nothing is lost. Messages she chose to answer with silence before that are left be.
   */
  async resume(): Promise<void> {
    const today = await this.d.memory.conversation();
    const last = today.findLastIndex((e) => e.from === "persona" && !!e.answers);
    for (const e of today.slice(last + 1)) if (e.from === "person") this.inbox.push({ kind: "message", entry: e });
    if (this.inbox.length) this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.work.catch(() => {});
    // Not answered: what waits stays in her conversation and is answered when she is started again.
    for (const [id, ws] of this.waiters) for (const w of ws) w.resolve(null), this.waiters.delete(id);
  }

  private activity(activity: MindActivityEvent["activity"]): void {
    this.d.bus.emit("mind:activity", { persona: this.d.id, activity, phase: this.phase, time: Date.now() });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.work.then(job);
    this.work = next.catch(() => {});
    return next;
  }

  private kick(): void {
    // A retry that is waiting keeps its spacing: new messages wait for it too, so a burst of
    // them cannot turn one short fault into three in a second.
    if (this.beatQueued || this.stopped || this.retryTimer) return;
    this.beatQueued = true;
    void this.enqueue(async () => {
      this.beatQueued = false;
      await this.beat();
    });
  }

  // ─── taking things in ───────────────────────────────────────────────────────

  /** A message from the person: written to her conversation at once, then thought about. */
  async receive(msg: { id?: string; text: string; channel: string; chat?: string; ref?: string; media?: string[]; perceived?: ConversationEntry["perceived"] }): Promise<ConversationEntry> {
    const entry = await this.d.memory.say({ from: "person", ...msg });
    this.d.bus.emit("chat:message", { persona: this.d.id, id: entry.id, from: "person", channel: entry.channel, ...(entry.chat ? { chat: entry.chat } : {}), text: entry.text, ...(entry.media ? { media: entry.media } : {}), time: entry.time });
    this.last = placeOf({ kind: "message", entry });
    this.inbox.push({ kind: "message", entry });
    this.kick();
    return entry;
  }

  /** Something that is not a message (a due reminder) for her next beat. */
  notice(text: string, place: Place = this.last): void {
    this.inbox.push({ kind: "event", text, ...place });
    this.kick();
  }

  /** Her words that answer message `id`, once the beat that took it in is over (or `ms` passed). */
  repliesTo(id: string, ms: number): Promise<ConversationEntry[] | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(id)?.filter((w) => w !== waiter) ?? [];
        if (list.length) this.waiters.set(id, list);
        else this.waiters.delete(id);
        resolve(null);
      }, ms);
      const waiter: Waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
    });
  }

  private answered(ids: string[], replies: ConversationEntry[]): void {
    for (const id of ids) {
      for (const w of this.waiters.get(id) ?? []) w.resolve(replies);
      this.waiters.delete(id);
    }
  }

  // ─── a beat ─────────────────────────────────────────────────────────────────

  /** One decision; her words stream as a draft, which the caller settles (she says it) or withdraws. */
  private async think(messages: ChatMessage[], replyTo: string | null): Promise<{ decision: Decision; draft: Draft | null }> {
    const { bus, id } = this.d;
    const draft = replyTo
      ? new Draft({
          delta: (d, text) => bus.emit("chat:delta", { persona: id, reply_to: replyTo, draft: d, text }),
          withdrawn: (d) => bus.emit("chat:withdrawn", { persona: id, reply_to: replyTo, draft: d, time: Date.now() }),
        })
      : null;
    try {
      const result = await this.call("thinking", () => this.d.organs.thinking.think({ messages, schema: DECISION_SCHEMA, ...(draft ? { onDelta: draft.onDelta, onDiscard: draft.onDiscard } : {}) }));
      if (this.trouble?.kind === "thinking") this.trouble = null;
      return { decision: toDecision(result.json), draft };
    } catch (err) {
      draft?.withdraw();
      throw err;
    }
  }

  /** One organ call; a fault is recorded for diagnose and pushed as `organ:fault` before it is thrown on. */
  private async call<T>(role: OrganRole, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isOrganFault(err)) {
        const spec = this.d.specs[role];
        this.d.ledger.fault(this.d.id, role, err.message, err.httpStatus);
        this.d.bus.emit("organ:fault", { persona: this.d.id, role, provider: spec?.provider ?? "", model: spec?.model ?? "", status: err.httpStatus, detail: err.message, time: Date.now() });
      }
      throw err;
    }
  }

  private async speak(text: string, place: Place, answers: string[], draft: Draft | null = null): Promise<ConversationEntry> {
    const { channel, chat } = place;
    let entry: ConversationEntry;
    try {
      entry = await this.d.memory.say({ from: "persona", channel, ...(chat ? { chat } : {}), text, ...(answers.length ? { reply_to: answers.at(-1)!, answers } : {}) });
    } catch (err) {
      draft?.withdraw(); // not written, so not said
      throw err;
    }
    const completes = draft?.settle();
    this.d.bus.emit("chat:message", { persona: this.d.id, id: entry.id, from: "persona", channel, ...(chat ? { chat } : {}), text, time: entry.time, ...(completes ? { draft: completes } : {}) });
    if (chat) {
      // Into the channel's outbox, which sends it (and keeps trying): said is said, whatever the platform does now.
      await this.d.deliver(channel, chat, text).catch((err) => this.d.log.warn({ persona: this.d.id, channel }, `Could not hand her words to ${channel}: ${(err as Error).message}`));
    }
    return entry;
  }

  private async beat(): Promise<void> {
    if (this.stopped || !this.inbox.length) return;
    // One chat per beat: her answer goes back where the messages came from.
    const place = placeOf(this.inbox[0]!);
    const items: Item[] = [];
    for (let i = 0; i < this.inbox.length; ) {
      if (samePlace(placeOf(this.inbox[i]!), place)) items.push(...this.inbox.splice(i, 1));
      else i++;
    }
    const ids = items.flatMap((it) => (it.kind === "message" ? [it.entry.id] : []));
    const said: ConversationEntry[] = [];
    const acted = { tools: 0 };
    this.taken = items.length;
    if (place.chat) this.d.typing?.(place.channel, place.chat, true);
    try {
      await this.steps(items, place, ids, said, acted);
      this.faults = 0;
      this.trouble = null;
      if (this.phase === "morning") this.phase = "day";
      this.answered(ids, said);
    } catch (err) {
      if (this.stopped) {
        // Stopped mid-thought: the messages are in her conversation; she answers them when started again.
      } else {
        // Tried again from the start only when nothing of it happened yet: words said and
        // tools run are not repeated (a reminder set twice); what was said is her answer.
        if (said.length || acted.tools) this.answered(ids, said);
        else this.inbox.unshift(...items);
        if (isOrganFault(err)) await this.thinkingFailed(err.message, place);
        else this.blocked((err as Error)?.message ?? String(err));
      }
    } finally {
      this.taken = 0;
      if (place.chat) this.d.typing?.(place.channel, place.chat, false);
      this.activity("idle");
    }
    if (this.inbox.length && !this.retryTimer) this.kick();
  }

  private retryIn(ms: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, ms);
  }

  private async thinkingFailed(why: string, place: Place): Promise<void> {
    this.trouble = { kind: "thinking", detail: why, since: this.trouble?.kind === "thinking" ? this.trouble.since : new Date().toISOString() };
    if (++this.faults > FAULT_RETRIES) {
      this.stopped = true;
      await this.speak(`I cannot think right now, so I have stopped: ${why} Start me again once it is fixed; I will answer what is waiting.`, place, []).catch(() => {});
      setImmediate(() => this.d.onSick(why));
      return;
    }
    this.d.log.warn({ persona: this.d.id }, `Thinking failed (try ${this.faults} of ${FAULT_RETRIES + 1}): ${why}`);
    this.retryIn(this.d.faultRetryMs);
  }

  /**
   * Something that is not her organ stopped the beat — most often a file of hers a person
   * broke by hand. What waits keeps waiting (nobody is told she answered when she did not),
   * the cause is shown in diagnose, and the beat is tried again at the same spacing until
   * the cause is gone. It never makes her sick: her mind is fine.
   */
  private blocked(why: string): void {
    if (this.trouble?.kind !== "files" || this.trouble.detail !== why) {
      this.d.log.error({ persona: this.d.id }, `She cannot answer until this is put right: ${why}`);
      this.trouble = { kind: "files", detail: why, since: new Date().toISOString() };
    }
    this.retryIn(Math.max(this.d.faultRetryMs, 10));
  }

  private async steps(items: Item[], place: Place, ids: string[], said: ConversationEntry[], acted: { tools: number }): Promise<void> {
    const events = items.flatMap((it) => (it.kind === "event" ? [it.text] : []));
    let learned = false;
    for (let step = 0; step < MAX_STEPS; step++) {
      this.activity("thinking");
      const [memory, meanings, conversation] = await Promise.all([this.d.memory.readAll(), this.d.memory.meanings(), this.d.memory.conversation()]);
      const prompt = buildPrompt({ name: this.d.name, memory, meanings, conversation, phase: this.phase, events });
      const { decision, draft } = await this.think(prompt, ids.at(-1) ?? null);
      const task = decision.task ? slug(decision.task) : "";
      if (task && !learned && !meanings.some((m) => m.name === task) && this.d.organs.frontier && !this.disabled.has("frontier")) {
        // A kind of task she has no meaning for: learn it from the frontier, then think again with it.
        learned = true;
        const lastWords = items.flatMap((it) => (it.kind === "message" ? [it.entry.text] : [it.text])).join("\n");
        draft?.withdraw();
        if (await this.learn(task, lastWords)) {
          step--;
          continue;
        }
      }
      if (decision.say) said.push(await this.speak(decision.say, place, ids, draft));
      else draft?.withdraw();
      if (!decision.tools.length) return;
      this.activity("acting");
      let informs = false;
      for (const call of decision.tools.slice(0, 8)) {
        const r = await runTool(this.d.memory, call);
        acted.tools++;
        informs ||= r.informs;
        events.push(`Result of ${call.name}: ${r.result}`);
      }
      if (!informs) return;
    }
  }

  /** Asks the frontier organ how to do a kind of task; writes the lesson and her own meaning. False when it could not. */
  private async learn(task: string, moment: string): Promise<boolean> {
    this.activity("reflecting");
    let lesson: ThinkResult;
    try {
      lesson = await this.call("frontier", () =>
        this.d.organs.frontier!.think({
          messages: [
            { role: "system", content: "You teach a companion how to do one kind of task well. Answer as JSON: an intention, a lesson, and a short procedure she can follow on her own next time." },
            { role: "user", content: `The kind of task: ${task}\nThe moment it came up:\n${moment.slice(0, 4000)}` },
          ],
          schema: LESSON_SCHEMA,
        }),
      );
    } catch (err) {
      if (!isOrganFault(err)) throw err;
      this.disable("frontier", err.message);
      return false;
    }
    const j = (lesson.json ?? {}) as Record<string, string>;
    if (!j.procedure) return false;
    await this.d.memory.saveLesson(task, `# ${task}\n\n${j.intention ?? ""}\n\n${j.lesson ?? ""}\n`);
    await this.d.memory.saveMeaning({ name: task, intention: j.intention ?? task, body: j.procedure, source: "frontier" });
    this.d.log.info({ persona: this.d.id }, `Learned a meaning: ${task}`);
    return true;
  }

  /** Switches off a failing optional organ until she is started again, and says so. */
  disable(role: Exclude<OrganRole, "thinking">, reason: string): void {
    if (this.disabled.has(role)) return;
    this.disabled.add(role);
    this.d.log.warn({ persona: this.d.id, role }, `Switched off her ${role} organ: ${reason}`);
    void this.d.memory
      .say({ from: "persona", channel: this.d.home, text: `(My ${role} organ failed and is switched off until I am restarted: ${reason})` })
      .then((e) => this.d.bus.emit("chat:message", { persona: this.d.id, id: e.id, from: "persona", channel: this.d.home, text: e.text, time: e.time }))
      .catch(() => {});
  }

  /** The organ a perception needs, wrapped so its faults are recorded like any other. */
  organsFor(role: OrganRole | null): { see?: Seer; transcribe?: Transcriber } {
    const { vision, hearing } = this.d.organs;
    if (role === "vision" && vision && !this.disabled.has("vision")) return { see: { see: (...a) => this.call("vision", () => vision.see(...a)) } };
    if (role === "hearing" && hearing && !this.disabled.has("hearing")) return { transcribe: { transcribe: (...a) => this.call("hearing", () => hearing.transcribe(...a)) } };
    return {};
  }

  /** Her thinking organ for work outside a beat (night, learning from an export), its faults recorded. */
  get thinkingOrgan(): Thinker {
    return { think: (req) => this.call("thinking", () => this.d.organs.thinking.think(req)) };
  }

  isDisabled(role: OrganRole): boolean {
    return this.disabled.has(role);
  }

  // ─── night ──────────────────────────────────────────────────────────────────

  /** Her night, on the worker: consolidate, archive, write her diary, wake. What arrives meanwhile waits. */
  sleep(): Promise<NightSummary> {
    const nightfall = new Date();
    return this.enqueue(async () => {
      if (this.stopped) throw new NotRunning(`${this.d.name} was stopped before her night began; her day is kept for her next night.`);
      this.phase = "night";
      this.activity("reflecting");
      try {
        const night = await consolidate(this.d.name, this.d.memory, this.thinkingOrgan, nightfall);
        // Her diary after every night: the day she just lived is in it.
        return { ...night, diary: await this.d.writeDiary() };
      } catch (err) {
        if (this.stopped) throw new NotRunning(`${this.d.name} was stopped before her night was over; her day is kept as it was, for her next night.`);
        throw isOrganFault(err) ? new Invalid(`Her night could not run, so her day is kept as it was: ${err.message}`) : err;
      } finally {
        this.phase = "morning";
        this.activity("idle");
        if (this.inbox.length) this.kick();
      }
    });
  }

  /** Runs other long work (learning from an export) on her worker, between beats. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.enqueue(job);
  }
}
