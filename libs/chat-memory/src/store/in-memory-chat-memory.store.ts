import {
  WindowRuleError,
  type ChatMemoryListCursor,
  type ChatMemoryOwnedConversation,
  type ChatMemoryOwnerKeys,
  type ChatMemoryStoredRecord,
  type ChatMemoryPushResult,
  type ChatMemoryReadQuery,
  type ChatMemoryReadResult,
  type ChatMemoryStore,
  type ChatMemoryStoreMessage,
  type ChatMemoryWindow,
} from './chat-memory-store.interface.js';
import { selectWindow } from './window-selection.js';

interface Stored {
  readonly entry: string;
  readonly id: string | undefined;
  readonly tokens: number;
  /** Whether a turn starts here: a user message, or the first message of the window. */
  readonly turnStart: boolean;
}

interface Conversation {
  pinned: Stored | null;
  messages: Stored[];
  /** Tool calls of the newest step still waiting for results. */
  open: Set<string>;
  expiresAt: number | null;
  /** The record of an owned conversation. */
  createdAt?: number;
  updatedAt?: number;
  title?: string;
  metadataJson?: string;
}

const newConversation = (): Conversation => ({
  pinned: null,
  messages: [],
  open: new Set(),
  expiresAt: null,
});

const isPythonUserEntry = (entry: string): boolean => /^\{"role": ?"user"/.test(entry);

/**
 * A process-local store with the same semantics as Redis (the window rules, the pinned prompt,
 * de-duplication by id, millisecond TTL, atomic writes). For unit tests and running without
 * Redis; not shared between replicas. It is also the reference for the window rules that the Redis
 * scripts implement: the conformance and property tests hold both to the same results.
 *
 * ```ts
 * ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() })
 * ```
 */
export class InMemoryChatMemoryStore implements ChatMemoryStore {
  private readonly conversations = new Map<string, Conversation>();
  /** Owners' indexes: conversation id to last activity. */
  private readonly indexes = new Map<string, Map<string, number>>();
  private lastSweep = 0;

  /** @param now clock in milliseconds, `Date.now` by default (inject a fake one in tests). */
  constructor(private readonly now: () => number = Date.now) {}

  async push(
    key: string,
    messages: readonly ChatMemoryStoreMessage[],
    window: ChatMemoryWindow,
    ttlMs: number | null,
    returnEvicted: boolean,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<ChatMemoryPushResult> {
    const current = this.now();
    this.sweep(current);
    const existing = this.live(key, current);
    const conversation = existing ?? newConversation();
    const result =
      window.format === 'ractogateway'
        ? pushCompat(conversation, messages, window)
        : pushNative(conversation, messages, window);
    if (!existing && conversation.messages.length > 0) this.conversations.set(key, conversation);
    if (ttlMs !== null && (existing || conversation.messages.length > 0)) {
      conversation.expiresAt = current + ttlMs;
    }
    const created = owned !== undefined && conversation.createdAt === undefined;
    if (owned && result.skipped.length < messages.length) this.touch(owned, conversation, current);
    return {
      ...result,
      evicted: returnEvicted ? result.evicted : [],
      trimmed: result.evicted.length,
      created: created && conversation.createdAt !== undefined,
    };
  }

  async pin(
    key: string,
    message: ChatMemoryStoreMessage | null,
    ttlMs: number | null,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<number> {
    const current = this.now();
    let conversation = this.live(key, current);
    if (!conversation) {
      if (!message) return 0;
      conversation = newConversation();
      this.conversations.set(key, conversation);
    }
    conversation.pinned = message
      ? { entry: message.entry, id: message.id, tokens: message.tokens, turnStart: false }
      : null;
    const length = conversation.messages.length + (conversation.pinned ? 1 : 0);
    if (length === 0) {
      this.conversations.delete(key);
      if (owned) this.indexes.get(owned.indexKey)?.delete(owned.conversationId);
      return 0;
    }
    if (ttlMs !== null) conversation.expiresAt = current + ttlMs;
    if (owned) this.touch(owned, conversation, current);
    return length;
  }

  async read(key: string, query: ChatMemoryReadQuery): Promise<ChatMemoryReadResult> {
    const conversation = this.live(key, this.now());
    if (!conversation) return { entries: [], more: false, found: true, selected: true };
    const { pinned, messages } = conversation;
    if (pinned && query.before !== undefined && pinned.id === query.before) {
      return { entries: [], more: false, found: true, selected: true };
    }
    const range = selectWindow(
      messages,
      query,
      pinned ? pinned.tokens : (query.defaultPromptTokens ?? 0),
    );
    if (!range) return { entries: [], more: false, found: false, selected: true };
    const { from, to } = range;
    const entries = messages.slice(from, to).map((message) => message.entry);
    if (pinned && (from === 0 || query.maxTokens !== undefined)) entries.unshift(pinned.entry);
    return { entries, more: from > 0, found: true, selected: true };
  }

  async range(key: string): Promise<string[]> {
    const conversation = this.live(key, this.now());
    if (!conversation) return [];
    const entries = conversation.messages.map((message) => message.entry);
    if (conversation.pinned) entries.unshift(conversation.pinned.entry);
    return entries;
  }

  async length(key: string): Promise<number> {
    const conversation = this.live(key, this.now());
    return conversation ? conversation.messages.length + (conversation.pinned ? 1 : 0) : 0;
  }

  async delete(key: string, owned?: ChatMemoryOwnedConversation): Promise<boolean> {
    const existed = this.live(key, this.now()) !== undefined;
    this.conversations.delete(key);
    if (owned) this.indexes.get(owned.indexKey)?.delete(owned.conversationId);
    return existed;
  }

  async listOwned(
    owner: ChatMemoryOwnerKeys,
    limit: number,
    cursor: ChatMemoryListCursor | null,
  ): Promise<{ records: ChatMemoryStoredRecord[]; next: ChatMemoryListCursor | null }> {
    const current = this.now();
    const index = this.indexes.get(owner.indexKey);
    if (!index) return { records: [], next: null };
    // Newest activity first; equal times by id, descending (as a Redis sorted set read in reverse).
    const ordered = [...index].sort(([a, x], [b, y]) => y - x || (a < b ? 1 : a > b ? -1 : 0));
    const records: ChatMemoryStoredRecord[] = [];
    for (const [conversationId, updatedAt] of ordered) {
      if (
        cursor &&
        !(
          updatedAt < cursor.updatedAt ||
          (updatedAt === cursor.updatedAt && conversationId < cursor.conversationId)
        )
      ) {
        continue;
      }
      const conversation = this.live(`${owner.base}:${conversationId}`, current);
      if (!conversation) {
        index.delete(conversationId);
        continue;
      }
      if (records.length === limit) {
        const last = records[records.length - 1];
        return {
          records,
          next: { updatedAt: last.updatedAt, conversationId: last.conversationId },
        };
      }
      records.push({
        conversationId,
        updatedAt,
        createdAt: conversation.createdAt ?? updatedAt,
        count: conversation.messages.length + (conversation.pinned ? 1 : 0),
        title: conversation.title ?? null,
        metadataJson: conversation.metadataJson ?? null,
      });
    }
    return { records, next: null };
  }

  async updateOwned(
    key: string,
    change: { title?: string | null; metadataJson?: string | null },
  ): Promise<boolean> {
    const conversation = this.live(key, this.now());
    if (!conversation) return false;
    if (change.title !== undefined) conversation.title = change.title ?? undefined;
    if (change.metadataJson !== undefined) {
      conversation.metadataJson = change.metadataJson ?? undefined;
    }
    return true;
  }

  async eraseOwned(
    owner: ChatMemoryOwnerKeys,
    batch: number,
  ): Promise<{ deleted: number; left: number }> {
    const index = this.indexes.get(owner.indexKey);
    if (!index) return { deleted: 0, left: 0 };
    let deleted = 0;
    for (const conversationId of [...index.keys()].slice(0, batch)) {
      if (await this.delete(`${owner.base}:${conversationId}`)) deleted++;
      index.delete(conversationId);
    }
    if (index.size === 0) this.indexes.delete(owner.indexKey);
    return { deleted, left: index.size };
  }

  /** Records activity on an owned conversation: its times, and its place in the owner's index. */
  private touch(owned: ChatMemoryOwnedConversation, conversation: Conversation, at: number): void {
    let index = this.indexes.get(owned.indexKey);
    if (!index) {
      index = new Map();
      this.indexes.set(owned.indexKey, index);
    }
    if (conversation.createdAt === undefined) {
      // A new conversation: drop the entries of those expired meanwhile (as the Redis script does).
      for (const id of index.keys()) {
        if (!this.live(`${owned.base}:${id}`, at)) index.delete(id);
      }
    }
    conversation.createdAt ??= at;
    conversation.updatedAt = at;
    index.set(owned.conversationId, at);
  }

  /** How many entries an owner's index holds (expired ones not yet dropped included). */
  indexSize(indexKey: string): number {
    return this.indexes.get(indexKey)?.size ?? 0;
  }

  async ttl(key: string): Promise<number | null> {
    const current = this.now();
    const conversation = this.live(key, current);
    return conversation?.expiresAt != null ? conversation.expiresAt - current : null;
  }

  /** Removes every conversation. */
  clearAll(): void {
    this.conversations.clear();
    this.indexes.clear();
  }

  private live(key: string, current: number): Conversation | undefined {
    const conversation = this.conversations.get(key);
    if (conversation && conversation.expiresAt !== null && conversation.expiresAt <= current) {
      this.conversations.delete(key);
      return undefined;
    }
    return conversation;
  }

  /** Drops expired conversations at most once a second, so unread ones do not pile up. */
  private sweep(current: number): void {
    if (current - this.lastSweep < 1000) return;
    this.lastSweep = current;
    for (const [key, conversation] of this.conversations) {
      if (conversation.expiresAt !== null && conversation.expiresAt <= current) {
        this.conversations.delete(key);
      }
    }
  }
}

interface WriteResult {
  length: number;
  skipped: number[];
  evicted: string[];
}

/** The native rules: de-duplication, tool-call pairing, whole-turn trimming (see the append script). */
function pushNative(
  conversation: Conversation,
  messages: readonly ChatMemoryStoreMessage[],
  window: ChatMemoryWindow,
): WriteResult {
  const ids = new Set<string>();
  if (conversation.pinned?.id !== undefined) ids.add(conversation.pinned.id);
  for (const message of conversation.messages) if (message.id !== undefined) ids.add(message.id);

  // Check everything first: a broken rule writes nothing.
  const open = new Set(conversation.open);
  const skipped: number[] = [];
  const added: Stored[] = [];
  let empty = conversation.messages.length === 0;
  messages.forEach((message, index) => {
    if (message.id !== undefined && ids.has(message.id)) {
      skipped.push(index);
      return;
    }
    let turnStart = false;
    if (message.role === 'tool') {
      const answered = message.toolCallIds?.[0];
      if (answered === undefined || !open.delete(answered))
        throw new WindowRuleError('orphan', index);
    } else {
      if (open.size > 0) throw new WindowRuleError('open', index);
      turnStart = message.role === 'user' || empty;
      if (message.role === 'assistant')
        for (const callId of message.toolCallIds ?? []) open.add(callId);
    }
    added.push({ entry: message.entry, id: message.id, tokens: message.tokens, turnStart });
    empty = false;
  });
  if (added.length === 0) {
    return {
      length: conversation.messages.length + (conversation.pinned ? 1 : 0),
      skipped,
      evicted: [],
    };
  }

  conversation.open = open;
  const all = conversation.messages;
  all.push(...added);
  const starts: number[] = [];
  all.forEach((message, i) => {
    if (message.turnStart) starts.push(i);
  });
  let tokens = 0;
  for (const message of all) tokens += message.tokens;
  // Drop whole turns from the front while over a limit; never the newest turn.
  let cut = 0;
  let turn = 0;
  while (
    turn < starts.length - 1 &&
    (starts.length - turn > window.maxTurns ||
      (window.maxMessages !== null && all.length - starts[turn] > window.maxMessages) ||
      (window.maxTokens !== null && tokens > window.maxTokens))
  ) {
    const next = starts[turn + 1];
    for (let i = starts[turn]; i < next; i++) tokens -= all[i].tokens;
    turn++;
    cut = next;
  }
  const evicted = all.splice(0, cut).map((message) => message.entry);
  return { length: all.length + (conversation.pinned ? 1 : 0), skipped, evicted };
}

/** The Python-compatible rule: the last messages, from the first user message on (see the script). */
function pushCompat(
  conversation: Conversation,
  messages: readonly ChatMemoryStoreMessage[],
  window: ChatMemoryWindow,
): WriteResult {
  const max = Math.min(window.maxTurns * 2, window.maxMessages ?? Infinity);
  const all = conversation.messages;
  for (const { entry, id, tokens } of messages) all.push({ entry, id, tokens, turnStart: false });
  let evicted: string[] = [];
  if (all.length > max) {
    evicted = all.splice(0, all.length - max).map((message) => message.entry);
    const first = all.findIndex((message) => isPythonUserEntry(message.entry));
    if (first > 0) evicted.push(...all.splice(0, first).map((message) => message.entry));
  }
  return { length: all.length, skipped: [], evicted };
}
