import WebSocket from "ws";
import { Invalid, isEternegoError, Unauthorized, type ChannelContext, type InboundMessage } from "eternego/plugin";
import { HOW_TO_FIX_TOKEN, reasonOf } from "./rest.js";

const OP = { DISPATCH: 0, HEARTBEAT: 1, IDENTIFY: 2, RESUME: 6, RECONNECT: 7, INVALID_SESSION: 9, HELLO: 10, HEARTBEAT_ACK: 11 } as const;

/** DIRECT_MESSAGES and MESSAGE_CONTENT: she talks with people one to one. */
export const INTENTS = (1 << 12) | (1 << 15);
/**
 * The code she closes with when she means to resume: anything but 1000 or 1001, which would
 * end the session on Discord's side (a daemon restart resumes it too).
 */
const RESUMING = 4200;
/** A connection that has no session this long after it opened is given up. */
const LIVE_WITHIN_MS = 30_000;
/** How long a close handshake may take before the socket is simply dropped. */
const CLOSE_WITHIN_MS = 2_000;
const SESSION_KEY = "session";
const CHATS_KEY = "chats";
/** How many chats' last message ids are kept for catching up after a lost session. */
const CHATS_KEPT = 50;
/** Discord gives at most 100 messages a page; a catch-up reads at most this many pages a chat. */
const CATCH_UP_PAGES = 5;
const PAGE = 100;

/** What is kept to resume a session, also across a daemon restart. */
interface Session {
  id: string;
  /** `resume_gateway_url` from READY: where a resume must go. */
  url: string;
  /** The sequence of the last dispatch handled (not only received): a resume replays what follows it. */
  seq: number | null;
  /** Her own user id, so her own messages are never taken for someone's. */
  user: string | null;
}

type Step = "resume" | "identify";

/** How one socket ended, and what comes next. */
interface Ended {
  live: boolean;
  next: Step;
  /** Discord asks for a pause of 1–5 s before a new IDENTIFY after an invalid session. */
  wait: boolean;
  why: string;
  fatal: Error | null;
}

export interface GatewayDeps {
  /** The gateway address `gateway/bot` gave. */
  url: string;
  token: string;
  ctx: ChannelContext;
  /** A MESSAGE_CREATE as the core takes it, or null when it is not for her. */
  inbound(d: unknown, self: string | null): InboundMessage | null;
  /** A DM's messages after one id (at most 100, any order): what a new session catches up with. */
  history(chat: string, after: string): Promise<unknown[]>;
}

/**
 * One bot session on Discord's gateway (v10, JSON): HELLO, then IDENTIFY or RESUME, heartbeats
 * checked against their ACKs, and the dispatches in order. Reconnecting is its own business —
 * op 7, a resumable close, a zombie connection are resumed at once, op 9 and 4007/4009 start a
 * new session — and `closed` rejects only when it gives up: at once with `Unauthorized` or
 * `Invalid` when Discord said retrying cannot help (4004, 4010–4014), otherwise when a new
 * socket could not get a session, so the daemon's backoff takes over.
 */
export class Gateway {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private rejectClosed!: (err: Error) => void;
  private ws: WebSocket | null = null;
  private session: Session | null;
  /** The last sequence received: what a heartbeat carries. */
  private received: number | null;
  /** Dispatches are handled one at a time, in the order they came. */
  private chain: Promise<void> = Promise.resolve();
  private ending = false;
  /** Whether the first session came up (`start` resolved): from then on `closed` says how it ends. */
  private started = false;
  private broken: Error | null = null;
  private nap: (() => void) | null = null;
  /** The last message id seen in each DM: a new session reads what came after (a resume needs none of it). */
  private chats: Record<string, string>;

  constructor(private readonly d: GatewayDeps) {
    this.closed = new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    // Whoever holds the connection hears of a rejection; nobody else must (an unhandled rejection).
    this.closed.catch(() => {});
    this.session = storedSession(d.ctx.stored.get(SESSION_KEY));
    this.received = this.session?.seq ?? null;
    const chats = d.ctx.stored.get<Record<string, string>>(CHATS_KEY);
    this.chats = chats && typeof chats === "object" ? Object.fromEntries(Object.entries(chats).filter(([, v]) => isId(v))) : {};
    d.ctx.signal.addEventListener("abort", () => void this.close(), { once: true });
  }

  /** Connects; resolves once a session is up (resumed when one was kept), rejects when none could be had. */
  start(): Promise<void> {
    return new Promise<void>((up, failed) => void this.run(up, failed));
  }

  /**
   * Gives up from outside the socket (REST found the token refused, a message was not taken):
   * `closed` rejects with `err` at once, before the daemon tries a send again.
   */
  abandon(err: Error): void {
    if (this.ending || this.broken) return;
    this.broken = err;
    this.nap?.();
    if (!this.started) return void this.ws?.close(RESUMING); // the first connection's loop says it
    // Discord ends every session of a refused token: the next connection starts a new one.
    if (err instanceof Unauthorized) void this.forget();
    this.ending = true;
    this.ws?.terminate();
    this.rejectClosed(err);
  }

  async close(): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.nap?.();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        setTimeout(() => ws.terminate(), CLOSE_WITHIN_MS).unref();
        ws.close(RESUMING);
      });
    }
    this.resolveClosed();
  }

  private async run(up: () => void, failed: (err: Error) => void): Promise<void> {
    let step: Step = this.session ? "resume" : "identify";
    const live = () => {
      if (this.started) return this.d.ctx.state("connected");
      this.started = true;
      up();
    };
    const fail = async (err: Error) => {
      // Discord ends every session of a refused token: the next connection starts a new one.
      if (err instanceof Unauthorized) await this.forget();
      this.ending = true;
      if (this.started) this.rejectClosed(err);
      else failed(err);
    };
    const ended = () => (this.started ? undefined : failed(new Error("the channel was closed while it connected")));
    for (;;) {
      if (step === "identify") await this.forget();
      if (this.ending) return ended();
      const end = await this.once(step, live);
      if (this.ending) return ended();
      if (this.broken) return fail(this.broken);
      if (end.fatal) return fail(end.fatal);
      // A socket that never got a session is given up, unless it was told to start a new one.
      if (!end.live && !(step === "resume" && end.next === "identify")) return fail(new Error(`Discord's gateway: ${end.why}`));
      if (this.started) this.d.ctx.state("connecting");
      this.d.ctx.log.info(`Discord's gateway closed (${end.why}); ${end.next === "resume" ? "resuming the session" : "starting a new session"}`);
      step = end.next;
      if (end.wait) await this.pause(1000 + Math.random() * 4000);
      if (this.ending) return ended();
      if (this.broken) return fail(this.broken);
    }
  }

  /** One socket, from opening to its close. */
  private once(step: Step, live: () => void): Promise<Ended> {
    return new Promise<Ended>((done) => {
      const session = step === "resume" ? this.session : null;
      const target = session?.url ?? this.d.url;
      let ws: WebSocket;
      try {
        ws = new WebSocket(withQuery(target), { handshakeTimeout: 15_000 });
      } catch (err) {
        // A kept resume address that cannot be used is no session to resume: a new one is tried.
        return done({ live: false, next: "identify", wait: false, why: `the gateway address cannot be used (${(err as Error).message})`, fatal: null });
      }
      this.ws = ws;
      let isLive = false;
      let acked = true;
      let why = "";
      let planned: { next: Step; wait: boolean } | null = null;
      const timers: NodeJS.Timeout[] = [];
      timers.push(
        setTimeout(() => {
          why = `no session within ${LIVE_WITHIN_MS / 1000} s of connecting`;
          ws.terminate();
        }, LIVE_WITHIN_MS),
      );
      const send = (payload: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(payload));
      const heartbeat = () => {
        if (!acked) {
          // A zombie: Discord says to drop it (with any code but 1000/1001) and resume.
          why = "Discord did not acknowledge the last heartbeat";
          ws.terminate();
          return;
        }
        acked = false;
        send({ op: OP.HEARTBEAT, d: this.received });
      };
      const plan = (next: Step, wait: boolean, reason: string) => {
        planned = { next, wait };
        why = reason;
        timers.push(setTimeout(() => ws.terminate(), CLOSE_WITHIN_MS));
        ws.close(RESUMING);
      };
      ws.on("message", (raw) => {
        let p: { op?: number; d?: any; s?: number | null; t?: string | null };
        try {
          p = JSON.parse(raw.toString());
        } catch {
          return;
        }
        switch (p?.op) {
          case OP.HELLO: {
            const every = Number(p.d?.heartbeat_interval);
            if (!(every > 0)) return plan(step, false, "HELLO came without a heartbeat interval");
            // The first beat after a random part of the interval, so many bots do not beat at once.
            timers.push(
              setTimeout(() => {
                heartbeat();
                timers.push(setInterval(heartbeat, every));
              }, every * Math.random()),
            );
            if (session) send({ op: OP.RESUME, d: { token: this.d.token, session_id: session.id, seq: session.seq } });
            else send({ op: OP.IDENTIFY, d: { token: this.d.token, intents: INTENTS, properties: { os: process.platform, browser: "eternego", device: "eternego" } } });
            return;
          }
          case OP.HEARTBEAT_ACK:
            acked = true;
            return;
          case OP.HEARTBEAT:
            send({ op: OP.HEARTBEAT, d: this.received });
            return;
          case OP.RECONNECT:
            return plan("resume", false, "Discord asked for a reconnect (op 7)");
          case OP.INVALID_SESSION:
            return p.d === true ? plan("resume", false, "Discord invalidated the session, resumable (op 9)") : plan("identify", true, "Discord invalidated the session (op 9)");
          case OP.DISPATCH:
            if (typeof p.s === "number") this.received = p.s;
            this.dispatch(p.t ?? "", p.s ?? null, p.d, () => {
              if (isLive) return;
              isLive = true;
              clearTimeout(timers[0]);
              live();
            });
            return;
        }
      });
      ws.on("error", (err) => void (why ||= reasonOf(err)));
      ws.on("close", (code, reasonBytes) => {
        for (const t of timers) clearTimeout(t);
        if (this.ws === ws) this.ws = null;
        if (planned) return done({ live: isLive, ...planned, why, fatal: null });
        const reason = reasonBytes.toString();
        const meaning = closeMeaning(code, reason);
        done({
          live: isLive,
          next: meaning.fresh || !this.session ? "identify" : "resume",
          wait: false,
          why: why || `closed with ${code}${reason ? ` (${reason})` : ""}`,
          fatal: meaning.fatal ?? null,
        });
      });
    });
  }

  private dispatch(t: string, s: number | null, d: any, live: () => void): void {
    const then = (what: string, step: () => Promise<void>) => {
      this.chain = this.chain.then(step).catch((err) => this.d.ctx.log.warn(`Discord's ${what} could not be handled: ${(err as Error)?.message ?? err}`));
    };
    if (t === "READY") {
      this.session = { id: String(d?.session_id), url: String(d?.resume_gateway_url || this.d.url), seq: s, user: typeof d?.user?.id === "string" ? d.user.id : null };
      this.d.ctx.log.info(`Started a Discord session as ${d?.user?.username ?? "the bot"}`);
      void this.keep();
      const sid = this.session.id;
      // A new session replays nothing: what was written to her in between is read from each chat.
      then("catching up", () => this.catchUp(sid));
      return live();
    }
    if (t === "RESUMED") live();
    const sid = this.session?.id;
    then(t, () => this.handle(sid, t, s, d));
  }

  private async handle(sid: string | undefined, t: string, s: number | null, d: unknown): Promise<void> {
    const session = this.session;
    if (this.ending || this.broken || !session || session.id !== sid) return;
    // A resume replays from the last sequence kept: what was handled since is not handled twice.
    if (s !== null && session.seq !== null && s <= session.seq) return;
    if (t === "MESSAGE_CREATE" && !(await this.take(d, session))) return;
    if (s !== null && this.session === session) {
      session.seq = s;
      await this.keep();
    }
  }

  /**
   * One message of a DM, handed over once (a message older than the last one seen there is
   * not handed over again); false when it could not be, and the session is given up so that
   * it comes again.
   */
  private async take(d: any, session: Session): Promise<boolean> {
    const chat = d?.channel_id;
    if (typeof chat !== "string" || d?.guild_id || !isId(d?.id)) return true;
    const last = this.chats[chat];
    if (last && BigInt(d.id) <= BigInt(last)) return true;
    const msg = this.d.inbound(d, session.user);
    if (msg) {
      try {
        await this.d.ctx.receive(msg);
      } catch (err) {
        // Not taken: the sequence stays before it, so the next session replays it.
        if (!this.ending) this.abandon(new Error(`a message could not be handed over (${(err as Error)?.message ?? err}); it comes again when the session resumes`));
        return false;
      }
    }
    delete this.chats[chat];
    this.chats[chat] = d.id;
    const kept = Object.entries(this.chats);
    if (kept.length > CHATS_KEPT) this.chats = Object.fromEntries(kept.slice(-CHATS_KEPT));
    await this.keepChats();
    return true;
  }

  private async keepChats(): Promise<void> {
    if (this.ending) return;
    await this.d.ctx.stored.set(CHATS_KEY, { ...this.chats }).catch((err) => this.d.ctx.log.warn(`Could not keep where the Discord chats are: ${(err as Error).message}`));
  }

  /** After a new IDENTIFY: each chat she knows, read from its last message seen on, oldest first. */
  private async catchUp(sid: string): Promise<void> {
    for (const chat of Object.keys(this.chats)) {
      for (let page = 0; page < CATCH_UP_PAGES; page++) {
        const session = this.session;
        if (this.ending || this.broken || session?.id !== sid) return;
        let batch: any[];
        try {
          batch = (await this.d.history(chat, this.chats[chat]!)).filter((m: any) => isId(m?.id));
        } catch (err) {
          this.d.ctx.log.warn(`Could not read what was written in Discord chat ${chat} while she was away: ${(err as Error).message}`);
          if (isEternegoError(err)) {
            // A chat that is gone or closed to her: not asked about again.
            delete this.chats[chat];
            await this.keepChats();
          }
          break;
        }
        batch.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        for (const m of batch) if (!(await this.take({ ...m, channel_id: chat }, session))) return;
        if (batch.length < PAGE) break;
      }
    }
  }

  /** A new IDENTIFY: the session kept is of no use any more. */
  private async forget(): Promise<void> {
    if (!this.session) return;
    this.session = null;
    this.received = null;
    await this.keep();
  }

  private async keep(): Promise<void> {
    if (this.ending) return;
    await this.d.ctx.stored.set(SESSION_KEY, this.session ? { ...this.session } : null).catch((err) => this.d.ctx.log.warn(`Could not keep the Discord session: ${(err as Error).message}`));
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.nap?.(), ms);
      this.nap = () => {
        clearTimeout(timer);
        this.nap = null;
        resolve();
      };
    });
  }
}

/** What a close code means: a reason retrying cannot help with, or that a new session is needed. */
function closeMeaning(code: number, reason: string): { fatal?: Error; fresh?: boolean } {
  const said = `gateway close ${code}${reason ? `: ${reason}` : ""}`;
  switch (code) {
    case 4004:
      return { fatal: new Unauthorized(`Channel 'discord': Discord refused the token (${said}); it was reset or the bot was deleted. ${HOW_TO_FIX_TOKEN}`) };
    case 4010:
    case 4011:
      return { fatal: new Invalid(`Channel 'discord': Discord wants this bot sharded (${said}); it is in too many servers for one persona's channel. Give her a bot of her own.`) };
    case 4012:
      return { fatal: new Invalid(`Channel 'discord': Discord no longer takes gateway version 10 (${said}); update Eternego.`) };
    case 4013:
      return { fatal: new Invalid(`Channel 'discord': Discord refused the intents asked for (${said}); this is a bug in the discord channel plugin.`) };
    case 4014:
      return {
        fatal: new Invalid(
          `Channel 'discord' needs the Message Content intent, which this bot is not allowed (${said}). Turn on "Message Content Intent" in the Discord Developer Portal (your application → Bot → Privileged Gateway Intents), then add the channel again.`,
        ),
      };
    case 4007:
    case 4009:
      return { fresh: true };
    default:
      return {};
  }
}

/** The gateway address with the version and encoding Discord wants in its query. */
function withQuery(base: string): string {
  const u = new URL(base);
  if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error(`'${u.protocol}' is not a WebSocket address`);
  u.searchParams.set("v", "10");
  u.searchParams.set("encoding", "json");
  return u.href;
}

/** A Discord id: a snowflake, digits only. */
const isId = (v: unknown): v is string => typeof v === "string" && /^\d{1,20}$/.test(v);

function storedSession(v: unknown): Session | null {
  const s = v as Partial<Session> | null | undefined;
  if (!s || typeof s.id !== "string" || typeof s.url !== "string") return null;
  return { id: s.id, url: s.url, seq: typeof s.seq === "number" ? s.seq : null, user: typeof s.user === "string" ? s.user : null };
}
