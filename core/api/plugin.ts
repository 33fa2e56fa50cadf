import type { OrganRole, OrganSpec } from "./types.js";

/** A line-oriented logger handed to plugins, already tagged with the plugin's name. */
export interface PluginLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

// ─── model plugins ──────────────────────────────────────────────────────────────

/** Progress of long organ work (a model pull), pushed to the person as `organ:progress`. */
export interface OrganProgress {
  status: string;
  completed?: number;
  total?: number;
}

/** What a model plugin receives besides the spec: which role it fills and where to report. */
export interface ModelContext {
  role: OrganRole;
  log: PluginLogger;
  progress(p: OrganProgress): void;
  /** Report the tokens one call used; the daemon pushes `organ:usage` and keeps totals for diagnose. */
  usage(u: TokenUsage): void;
  /** How long to wait for a provider before calling it a timeout (ms); `ETERNEGO_ORGAN_TIMEOUT_MS`. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Says the call waits for something before it can run (a busy engine: "waiting for the
   * embedded engine: 1 answer ahead"), or with null that it no longer does. Diagnose shows it.
   */
  waiting?(what: string | null): void;
  /** The daemon's home folder (`ETERNEGO_HOME`): a plugin that keeps files keeps them under it (the embedded engine's `models/`). */
  home?: string;
}

export interface TokenUsage {
  input: number;
  output: number;
}

/** One message of a conversation handed to the thinking organ. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
  /**
   * Marks the end of a stable prefix (her identity): providers that cache prompts
   * (Anthropic) may cache everything up to and including this message.
   */
  cache?: boolean;
}

/** A thinking request: messages and, when a structured answer is wanted, its JSON schema. */
export interface ThinkRequest {
  messages: ChatMessage[];
  schema?: Record<string, unknown>;
  /** Called with each piece of the answer as it streams (the JSON text itself when a schema is asked for). */
  onDelta?: (text: string) => void;
  /**
   * Called when the pieces streamed so far are dropped because the answer is asked for
   * again (it did not fit the schema); the pieces after it are a new answer. `answerWithSchema`
   * calls it for you.
   */
  onDiscard?: () => void;
}

export interface ThinkResult {
  text: string;
  json?: unknown;
  usage?: TokenUsage;
}

/** The thinking role: chat with an optional JSON-schema-shaped answer. */
export interface Thinker {
  think(req: ThinkRequest): Promise<ThinkResult>;
}

/** The vision role: an image and a question become text. */
export interface Seer {
  see(image: Uint8Array, mimeType: string, question: string): Promise<string>;
}

/** The hearing role: audio becomes text. */
export interface Transcriber {
  transcribe(audio: Uint8Array, fileName: string): Promise<string>;
}

/** A named service a model plugin can talk to, with its own URL and key policy. */
export interface ModelPreset {
  name: string;
  title: string;
  url: string;
  needsKey: boolean;
}

/** A model plugin: a provider that can fill organ roles. */
export interface ModelPlugin {
  readonly kind: "model";
  /** Unique name; an organ's `provider` field names it. Lower-case, `[a-z0-9-]`. */
  readonly name: string;
  readonly version: string;
  /** The Eternego versions it is built for, a semver range (`^0.1.0`); another version refuses to load it, saying so. */
  readonly eternego?: string;
  /** Human title for pickers, e.g. "Ollama (local)". */
  readonly title: string;
  /** Base URL used when an organ gives none. */
  readonly defaultUrl: string;
  /** Whether the provider refuses requests without an api key. */
  readonly needsKey: boolean;
  /** Which organ roles this provider can fill. */
  readonly roles: readonly OrganRole[];
  /** Known services this plugin speaks to (e.g. OpenAI, Groq, LM Studio for `openai`): pickers offer them. */
  readonly presets?: readonly ModelPreset[];
  /**
   * Checks that the model is reachable and present (pulling it when the provider can).
   * Throws `Invalid` with a message naming the organ, provider, URL and the fix.
   */
  prepare(spec: OrganSpec, ctx: ModelContext): Promise<void>;
  think?(spec: OrganSpec, ctx: ModelContext): Thinker;
  see?(spec: OrganSpec, ctx: ModelContext): Seer;
  transcribe?(spec: OrganSpec, ctx: ModelContext): Transcriber;
}

// ─── perception plugins ─────────────────────────────────────────────────────────

/** A file that arrived for her, already stored and checked against the size limit. */
export interface IncomingFile {
  name: string;
  extension: string;
  mimeType: string;
  path: string;
  size: number;
}

/** What a perception hands to her mind. */
export interface Percept {
  text: string;
  media?: string;
}

export interface PerceptionContext {
  log: PluginLogger;
  see?: Seer;
  transcribe?: Transcriber;
}

/** A perception plugin: turns one kind of incoming file into something her mind takes in. */
export interface PerceptionPlugin {
  readonly kind: "perception";
  readonly name: string;
  readonly version: string;
  /** The Eternego versions it is built for, a semver range (`^0.1.0`). */
  readonly eternego?: string;
  readonly title?: string;
  /** Lower-case extensions with the dot, e.g. `[".png", ".jpg"]`. Two plugins may not claim one. */
  readonly extensions: readonly string[];
  readonly mimeTypes?: readonly string[];
  /** The organ this perception needs, or `null` when it needs none. */
  readonly organ: OrganRole | null;
  /** Largest file accepted, in bytes; larger uploads are refused with 413. */
  readonly maxBytes: number;
  /** Optional content check on the first bytes: false means the file is not what its extension says. */
  sniff?(head: Uint8Array): boolean;
  perceive(file: IncomingFile, ctx: PerceptionContext): Promise<Percept>;
}

// ─── channel plugins ────────────────────────────────────────────────────────────

/** One credential field; the list drives the dashboard form and request validation. */
export interface CredentialField {
  key: string;
  label: string;
  secret: boolean;
  required: boolean;
}

/**
 * A file that came with an inbound message. The daemon decides whether she can take it in
 * (the same perception rules as an upload) before it asks for the bytes.
 */
export interface InboundAttachment {
  /** A file name with its extension: what decides which perception takes it. */
  name: string;
  /** `voice`: a voice note, heard as the message itself (like `hear`); `file`: anything else. */
  kind: "voice" | "file";
  /** Its size when the platform says it, so a too-large file is refused without fetching it. */
  size?: number;
  /** Writes the bytes to `to` (a path the daemon gives), at most `maxBytes` of them; throws past that. */
  download(to: string, maxBytes: number): Promise<void>;
}

/** A message from a channel, as its plugin hands it over. */
export interface InboundMessage {
  /** The platform's id of this message: with the chat, what makes it handled once. */
  id: string;
  /** The conversation it came from, as the platform names it: where her answer goes. */
  chat: string;
  /** Who sent it, as the platform shows them (shown when the chat is paired). */
  from?: string;
  text: string;
  attachments?: InboundAttachment[];
}

/** What a channel connection is given by the daemon. */
export interface ChannelContext {
  log: PluginLogger;
  /**
   * Hands a message over. Resolves once it is safely taken (written to her conversation, or
   * answered with a pairing code); acknowledge it to the platform only after, so a crash in
   * between brings it again — the daemon handles a message id once.
   */
  receive(msg: InboundMessage): Promise<void>;
  /** Says the connection is being made, or is up (the daemon tracks failures and retries itself). */
  state(state: "connecting" | "connected"): void;
  /** A small store kept for this channel of hers across restarts (an update offset, a session to resume). */
  stored: { get<T = unknown>(key: string): T | undefined; set(key: string, value: unknown): Promise<void> };
  /** Aborted when the daemon closes the connection. */
  signal: AbortSignal;
}

/** A live connection to a platform. */
export interface ChannelConnection {
  /**
   * Sends one message (at most the plugin's `maxText` characters) to a chat. Throws when the
   * platform refused or could not be reached: `Invalid` when it will never take this message
   * (it is dropped); anything else, a refused token included, is tried again (an error with
   * `retryAfterMs` no sooner than that — a 429's wait). `ref` is the same for every try of one message:
   * a platform with idempotency keys (Matrix's transaction ids) makes a repeat a no-op with it.
   */
  send(chat: string, text: string, ref: string): Promise<void>;
  /** Shows that she is writing, where the platform can. */
  typing?(chat: string): Promise<void>;
  /**
   * Settles when the connection ends by itself: rejects with why (a lost socket, a revoked
   * token). A rejection with `Invalid` or `Unauthorized` means trying again cannot help
   * (the channel is `failed`); anything else is retried with backoff.
   */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** A channel plugin: a way to talk with her. */
export interface ChannelPlugin {
  readonly kind: "channel";
  readonly name: string;
  readonly version: string;
  /** The Eternego versions it is built for, a semver range (`^0.1.0`). */
  readonly eternego?: string;
  readonly title: string;
  readonly credentials: readonly CredentialField[];
  /** The longest message the platform takes: longer answers are split (on sentences or lines) to fit. */
  readonly maxText: number;
  /** false: every chat on it is hers at once (the web); true (default): a chat must be paired with a code first. */
  readonly pairing?: boolean;
  /** true: present on every persona without being added (the web channel). */
  readonly always?: boolean;
  /** Checks the credentials with the platform; returns the display name of the account. Throws `Invalid`. */
  validate(credentials: Record<string, string>): Promise<{ name: string }>;
  connect(credentials: Record<string, string>, ctx: ChannelContext): Promise<ChannelConnection>;
}

export type Plugin = ModelPlugin | PerceptionPlugin | ChannelPlugin;
export type PluginKind = Plugin["kind"];

type Declared<P extends Plugin> = Omit<P, "kind">;

/**
 * Declares a model plugin. Importing the module must do nothing else.
 *
 * @example
 * export default defineModel({
 *   name: "echo", version: "1.0.0", title: "Echo", defaultUrl: "http://127.0.0.1:9",
 *   needsKey: false, roles: ["thinking"],
 *   async prepare() {},
 * });
 */
export function defineModel(d: Declared<ModelPlugin>): ModelPlugin {
  return Object.freeze({ ...d, kind: "model" as const, roles: Object.freeze([...d.roles]) });
}

/**
 * Declares a perception plugin.
 *
 * @example
 * export default definePerception({
 *   name: "docx", version: "1.0.0", extensions: [".docx"], organ: null, maxBytes: 20 << 20,
 *   async perceive(file) { return { text: await extract(file.path) }; },
 * });
 */
export function definePerception(d: Declared<PerceptionPlugin>): PerceptionPlugin {
  return Object.freeze({ ...d, kind: "perception" as const, extensions: Object.freeze([...d.extensions]) });
}

/**
 * Declares a channel plugin.
 *
 * @example
 * export default defineChannel({
 *   name: "matrix", version: "1.0.0", title: "Matrix",
 *   credentials: [{ key: "token", label: "Access token", secret: true, required: true }],
 *   maxText: 4000,
 *   async validate(c) { return { name: "@her:matrix.org" }; },
 *   async connect(c, ctx) { … return { send, close, closed }; },
 * });
 */
export function defineChannel(d: Declared<ChannelPlugin>): ChannelPlugin {
  return Object.freeze({ ...d, kind: "channel" as const, credentials: Object.freeze([...d.credentials]) });
}
