import type { ChatMemoryWireFormat } from '../chat-memory.interfaces.js';
import type { ChatRole } from '../chat-message.interfaces.js';

/** One message to store: its encoded entry and what the window rules need to know about it. */
export interface ChatMemoryStoreMessage {
  /** The List entry. */
  readonly entry: string;
  /** The message id (`undefined` for `wireFormat: 'ractogateway'` entries, which have none). */
  readonly id: string | undefined;
  readonly role: ChatRole;
  /** Its token count (`config.tokenCounter`). */
  readonly tokens: number;
  /** Assistant messages: the ids of the tool calls it makes. Tool messages: the call it answers. */
  readonly toolCallIds: readonly string[] | undefined;
}

/** The window a write keeps, from the resolved config. */
export interface ChatMemoryWindow {
  /** `'ractogateway'`: the List is shared with the Python original; keep no side structure. */
  readonly format: ChatMemoryWireFormat;
  readonly maxTurns: number;
  readonly maxMessages: number | null;
  readonly maxTokens: number | null;
}

/** What a write did. */
export interface ChatMemoryPushResult {
  /** Entries in the List afterwards (the pinned prompt included). */
  readonly length: number;
  /** Indexes (into the messages given) of the messages skipped because their id was already stored. */
  readonly skipped: readonly number[];
  /** The entries the window dropped, oldest first (only when asked for). */
  readonly evicted: readonly string[];
  /** Whether this write created an owned conversation (its first write). */
  readonly created?: boolean;
  /** How many entries the window dropped (whether or not they were asked for), for telemetry. */
  readonly trimmed?: number;
}

/** Where an owner's conversations are listed: their index key, and the prefix of their keys. */
export interface ChatMemoryOwnerKeys {
  /** The owner's index (conversation ids by last activity). */
  readonly indexKey: string;
  /** `<base>:<conversationId>` is each conversation's key. */
  readonly base: string;
}

/** An owned conversation being written: its owner's keys and its id. */
export interface ChatMemoryOwnedConversation extends ChatMemoryOwnerKeys {
  readonly conversationId: string;
}

/** A conversation as the owner's listing gives it. */
export interface ChatMemoryStoredRecord {
  readonly conversationId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Stored entries, the pinned prompt included. */
  readonly count: number;
  readonly title: string | null;
  /** The metadata's JSON, as stored. */
  readonly metadataJson: string | null;
}

/** A position in an owner's listing: the last conversation of the previous page. */
export interface ChatMemoryListCursor {
  readonly updatedAt: number;
  readonly conversationId: string;
}

/** A windowed read: the newest turns within `maxTokens`, or a page of `limit` before `before`. */
export interface ChatMemoryReadQuery {
  readonly maxTokens?: number;
  readonly limit?: number;
  readonly before?: string;
  /** Tokens that `maxTokens` reserves when the conversation has no pinned prompt (the module's default prompt). */
  readonly defaultPromptTokens?: number;
}

/** What a windowed read returned. */
export interface ChatMemoryReadResult {
  /** The entries, oldest first; the pinned prompt first when it is included. */
  readonly entries: string[];
  /** Whether older messages exist before the first returned one. */
  readonly more: boolean;
  /** `false` when `before` names no message in the window (then `entries` is empty). */
  readonly found: boolean;
  /**
   * `false` when the store could not select inside Redis (a conversation written before the
   * window structure existed): `entries` is then the whole List and the caller selects.
   */
  readonly selected: boolean;
}

/**
 * Where conversations are kept. Each conversation is one List of serialized messages under one key
 * (its first entry may be the pinned system prompt), plus whatever the store needs to apply the
 * window rules. Implementations must make every method atomic with respect to concurrent callers
 * (other replicas included), keep each call to one round trip, and apply the window rules that
 * `InMemoryChatMemoryStore` implements (a store that breaks a rule throws a `WindowRuleError`).
 */
export interface ChatMemoryStore {
  /**
   * Appends `messages` (oldest first) to the List at `key` as one atomic step: skips those whose id
   * is already stored, applies the tool-call rules and the window, and, when `ttlMs` is not `null`,
   * sets the conversation to expire `ttlMs` milliseconds from now.
   */
  push(
    key: string,
    messages: readonly ChatMemoryStoreMessage[],
    window: ChatMemoryWindow,
    ttlMs: number | null,
    returnEvicted: boolean,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<ChatMemoryPushResult>;
  /**
   * Sets (or with `null` removes) the pinned system prompt of the conversation. Resolves to the
   * List length.
   */
  pin(
    key: string,
    message: ChatMemoryStoreMessage | null,
    ttlMs: number | null,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<number>;
  /** A windowed read (see `ChatMemoryReadQuery`). */
  read(key: string, query: ChatMemoryReadQuery): Promise<ChatMemoryReadResult>;
  /** Every entry of the List at `key`, oldest first; `[]` when it does not exist or has expired. */
  range(key: string): Promise<string[]>;
  /** The number of entries at `key`; `0` when it does not exist. */
  length(key: string): Promise<number>;
  /** Deletes the conversation at `key` (and its owner's index entry); resolves to whether it existed. */
  delete(key: string, owned?: ChatMemoryOwnedConversation): Promise<boolean>;
  /** Milliseconds until `key` expires; `null` when it does not exist or never expires. */
  ttl(key: string): Promise<number | null>;
  /**
   * An owner's conversations, most recently active first, `limit` of them after `cursor`; drops
   * index entries whose conversation expired. Optional: a store without it has no owners.
   */
  listOwned?(
    owner: ChatMemoryOwnerKeys,
    limit: number,
    cursor: ChatMemoryListCursor | null,
    ttlMs: number | null,
  ): Promise<{ records: ChatMemoryStoredRecord[]; next: ChatMemoryListCursor | null }>;
  /** Sets or removes (`null`) an owned conversation's title and metadata; `false` when it does not exist. */
  updateOwned?(
    key: string,
    change: { title?: string | null; metadataJson?: string | null },
  ): Promise<boolean>;
  /** Deletes up to `batch` of an owner's conversations; resolves to how many, and how many are left. */
  eraseOwned?(
    owner: ChatMemoryOwnerKeys,
    batch: number,
  ): Promise<{ deleted: number; left: number }>;
}

/**
 * Thrown by a store when a message breaks a tool-call rule: `'orphan'`, a tool message that
 * answers no open call; `'open'`, another message while tool calls still wait for results.
 * `index` is the message's position in the `push` call. Nothing was written.
 */
export class WindowRuleError extends Error {
  constructor(
    readonly rule: 'orphan' | 'open',
    readonly index: number,
  ) {
    super(`window rule '${rule}' broken by message ${index}`);
    this.name = 'WindowRuleError';
  }
}
