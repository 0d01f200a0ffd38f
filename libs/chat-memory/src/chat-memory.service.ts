import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CHAT_MEMORY_RESOLVED_OPTIONS,
  CHAT_MEMORY_STORE,
  LOGGER_CONTEXT,
  CONVERSATION_ID_PATTERN,
  MAX_MESSAGES_PER_CALL,
  MESSAGE_ID_PATTERN,
} from './chat-memory.constants.js';
import {
  ChatMemoryError,
  ChatMemoryStoreError,
  InvalidHistoryQueryError,
  InvalidMessageError,
  InvalidOwnerError,
} from './chat-memory.errors.js';
import type {
  ChatMemoryWireFormat,
  ResolvedChatMemoryConfig,
  ResolvedChatMemoryOptions,
} from './chat-memory.interfaces.js';
import { MessageMessages, OwnerMessages, StoreMessages } from './chat-memory.messages.js';
import {
  assertContent,
  assertConversationId,
  assertOwner,
  assertRole,
  isObject,
} from './chat-memory.validation.js';
import {
  decodeMessages,
  prepareMessage,
  prepareMetadata,
  prepareText,
  type PreparedMessage,
} from './chat-message.codec.js';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatRole,
  JsonObject,
} from './chat-message.interfaces.js';
import {
  WindowRuleError,
  type ChatMemoryListCursor,
  type ChatMemoryOwnedConversation,
  type ChatMemoryOwnerKeys,
  type ChatMemoryReadQuery,
  type ChatMemoryStore,
  type ChatMemoryStoredRecord,
} from './store/chat-memory-store.interface.js';
import type {
  ChatMemoryOperation,
  ChatMemoryOperationObserver,
  ChatMemoryOperationOutcome,
  ChatMemoryTelemetry,
} from './chat-memory.telemetry.js';
import { InMemoryChatMemoryStore } from './store/in-memory-chat-memory.store.js';
import { selectWindow } from './store/window-selection.js';

/** What keeps the conversations: Redis, the in-memory store, or a store of your own. */
export type ChatMemoryStoreKind = 'redis' | 'memory' | 'custom';

/**
 * Bounded, sliding-window conversation memory. Each conversation keeps at most `maxTurns * 2`
 * messages, oldest first; a configured TTL is refreshed on every write. Every method is one
 * round trip to the store. Invalid input throws a `ChatMemoryValidationError` and writes nothing;
 * a store failure throws a `ChatMemoryStoreError`.
 */
@Injectable()
export class ChatMemoryService {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly config: ResolvedChatMemoryConfig;
  private readonly ownerResolver: ((request: unknown) => string | undefined) | null;
  /** The module's `telemetry` integration, or `null` (then nothing is observed). */
  private readonly telemetry: ChatMemoryTelemetry | null;
  /** What keeps the conversations: `'redis'`, `'memory'` (`InMemoryChatMemoryStore`) or `'custom'`. */
  readonly storeKind: ChatMemoryStoreKind;
  /** The owner this service is scoped to (`forOwner`), or `null`. */
  readonly owner: string | null = null;
  /** The owner's keys, for a service scoped to an owner (set with `owner` by `forOwner`). */
  private ownerKeys: ChatMemoryOwnerKeys | null = null;

  constructor(
    @Inject(CHAT_MEMORY_STORE) private readonly store: ChatMemoryStore,
    @Inject(CHAT_MEMORY_RESOLVED_OPTIONS) private readonly options: ResolvedChatMemoryOptions,
  ) {
    this.config = options.config;
    this.ownerResolver = options.owner;
    this.telemetry = options.telemetry;
    this.storeKind =
      options.source.kind !== 'store'
        ? 'redis'
        : store instanceof InMemoryChatMemoryStore
          ? 'memory'
          : 'custom';
  }

  /** Turns kept per conversation (`config.maxTurns`). */
  get maxTurns(): number {
    return this.config.maxTurns;
  }

  /** The cap on stored messages (`config.maxMessages`), or `null` when there is none. */
  get maxMessages(): number | null {
    return this.config.maxMessages;
  }

  /** The cap on stored tokens (`config.maxTokens`), or `null` when there is none. */
  get maxTokens(): number | null {
    return this.config.maxTokens;
  }

  /** How entries are written: `'native'` or `'ractogateway'` (`config.wireFormat`). */
  get wireFormat(): ChatMemoryWireFormat {
    return this.config.wireFormat;
  }

  /** The configured time to live in seconds, or `null` when conversations never expire. */
  get ttlSeconds(): number | null {
    return this.config.ttlMs === null ? null : this.config.ttlMs / 1000;
  }

  /**
   * Stores messages at the end of the conversation, atomically and in one round trip (all or
   * none), trims it to the window and refreshes its TTL. Resolves to the stored messages, with the
   * `id` and `createdAt` the library assigned (none in `wireFormat: 'ractogateway'`). An empty
   * list stores nothing and resolves to `[]`, after checking the conversation id.
   *
   * ```ts
   * await memory.append(id, { role: 'user', content: 'What time is it?' });
   * await memory.append(id, [
   *   { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'clock', arguments: '{}' }] },
   *   { role: 'tool', toolCallId: 'c1', content: '12:00' },
   *   { role: 'assistant', content: 'It is noon.' },
   * ]);
   * ```
   */
  append(
    conversationId: string,
    message: ChatMessageInput | readonly ChatMessageInput[],
  ): Promise<ChatMessageBatch>;
  /** Stores one message given by its role and content (a string or parts). */
  append(
    conversationId: string,
    role: ChatRole,
    content: string | ChatContentPart[],
  ): Promise<ChatMessageBatch>;
  append(
    conversationId: string,
    roleOrMessages: ChatRole | ChatMessageInput | readonly ChatMessageInput[],
    content?: string | ChatContentPart[],
  ): Promise<ChatMessageBatch> {
    // Hot path: not async, one promise layer of our own (see push).
    const observer = this.telemetry === null ? null : this.start('append', conversationId);
    let prepared: PreparedMessage[];
    try {
      assertConversationId(conversationId);
      const now = Date.now();
      if (typeof roleOrMessages === 'string' || content !== undefined) {
        assertRole(roleOrMessages);
        if (typeof content === 'string' && roleOrMessages !== 'tool') {
          assertContent(content, this.config.maxContentBytes);
          prepared = [prepareText(roleOrMessages, content, this.config, now)];
        } else {
          if (!Array.isArray(content)) assertContent(content, this.config.maxContentBytes);
          prepared = [
            prepareMessage({ role: roleOrMessages, content }, 'message', this.config, now),
          ];
        }
      } else if (Array.isArray(roleOrMessages)) {
        // Nothing to store (a provider response with no message, say): no write, no TTL refresh.
        if (roleOrMessages.length === 0) {
          observer?.end({ messagesWritten: 0 });
          return Promise.resolve(withDuplicates([], []));
        }
        prepared = this.prepareAll(roleOrMessages as readonly unknown[], 'messages', now);
        return this.push('append', conversationId, prepared, (i) => `messages[${i}]`, observer);
      } else {
        prepared = [prepareMessage(roleOrMessages, 'message', this.config, now)];
      }
    } catch (error) {
      observer?.fail(error);
      return Promise.reject(error);
    }
    return this.push('append', conversationId, prepared, () => 'message', observer);
  }

  /**
   * Stores a user message and the answer together, atomically: all or none. Each side is a
   * string or a message (`role` `user`, and `assistant`); the answer may also be the steps of an
   * agent, `assistant` and `tool` messages, in order. Resolves to the stored messages.
   */
  appendTurn(
    conversationId: string,
    user: string | ChatMessageInput,
    assistant: string | ChatMessageInput | readonly ChatMessageInput[],
  ): Promise<ChatMessageBatch> {
    const observer = this.telemetry === null ? null : this.start('appendTurn', conversationId);
    let prepared: PreparedMessage[];
    try {
      assertConversationId(conversationId);
      const now = Date.now();
      const { maxContentBytes } = this.config;
      if (typeof user === 'string' || !isObject(user)) {
        assertContent(user, maxContentBytes, 'userContent');
        prepared = [prepareText('user', user, this.config, now)];
      } else {
        assertTurnRole(user, 'user', ['user']);
        prepared = [prepareMessage(user, 'user', this.config, now)];
      }
      if (typeof assistant === 'string' || !isObject(assistant)) {
        assertContent(assistant, maxContentBytes, 'assistantContent');
        prepared.push(prepareText('assistant', assistant, this.config, now));
      } else if (Array.isArray(assistant)) {
        const answer = assistant as readonly unknown[];
        if (answer.length === 0)
          throw new InvalidMessageError('assistant', MessageMessages.noMessages());
        answer.forEach((message, i) => assertTurnRole(message, `assistant[${i}]`, ANSWER_ROLES));
        prepared.push(...this.prepareAll(answer, 'assistant', now));
      } else {
        assertTurnRole(assistant, 'assistant', ['assistant']);
        prepared.push(prepareMessage(assistant, 'assistant', this.config, now));
      }
      assertUniqueIds(prepared, 'assistant');
    } catch (error) {
      observer?.fail(error);
      return Promise.reject(error);
    }
    const answerPath = Array.isArray(assistant)
      ? (i: number) => `assistant[${i - 1}]`
      : () => 'assistant';
    return this.push(
      'appendTurn',
      conversationId,
      prepared,
      (i) => (i === 0 ? 'user' : answerPath(i)),
      observer,
    );
  }

  /**
   * The stored messages, oldest first, as fresh objects; `[]` when the conversation is missing or
   * expired. The pinned system prompt (`setSystemPrompt`, else `config.systemPrompt`) comes first.
   * Entries of the Python original and of version 0.1 read as `{ role, content }` (no `id`, no
   * `createdAt`). Stored entries that are not messages are skipped with a warning. One round trip.
   *
   * - `maxTokens`: only the newest whole turns whose tokens, with the system prompt's, fit; the
   *   newest turn always comes back, even when it alone is over. Chosen inside Redis.
   * - `limit` / `before`: a page of at most `limit` messages just before the message with id
   *   `before` (or the newest ones); the system prompt comes with the page that reaches the start.
   *   See `getHistoryPage` for the cursor of the next page.
   */
  getHistory(conversationId: string, options?: ChatHistoryOptions): Promise<ChatMessage[]> {
    if (this.telemetry === null) return this.history(conversationId, options);
    return this.observe(
      'getHistory',
      conversationId,
      () => this.history(conversationId, options),
      (messages, observer) =>
        this.readOutcome(messages, observer, options === undefined ? messages.length : undefined),
    );
  }

  private async history(
    conversationId: string,
    options: ChatHistoryOptions | undefined,
  ): Promise<ChatMessage[]> {
    if (
      options === undefined ||
      (isObject(options) &&
        options.maxTokens === undefined &&
        options.limit === undefined &&
        options.before === undefined)
    ) {
      assertConversationId(conversationId);
      const key = this.keyOf(conversationId);
      let entries: string[];
      try {
        entries = await this.store.range(key);
      } catch (error) {
        throw storeError('getHistory', conversationId, error);
      }
      return this.withDefaultPrompt(this.decode(key, entries), true);
    }
    return (await this.read(conversationId, options, undefined)).messages;
  }

  /**
   * A page of the conversation for a UI that scrolls back: at most `limit` messages (default 50)
   * just before the message `before` (or the newest ones), oldest first, and `nextBefore`, the id
   * to pass as `before` for the page before it, `null` at the start. A `before` that is not in the
   * window (trimmed, or never stored) throws `InvalidHistoryQueryError`. One round trip.
   */
  getHistoryPage(
    conversationId: string,
    options: ChatHistoryOptions = {},
  ): Promise<ChatHistoryPage> {
    return this.observe(
      'getHistoryPage',
      conversationId,
      () => this.read(conversationId, options, DEFAULT_PAGE_SIZE),
      (page, observer) => this.readOutcome(page.messages, observer, undefined),
    );
  }

  /** A windowed read; `defaultLimit` applies when `options` has no `limit` (and no `maxTokens`). */
  private async read(
    conversationId: string,
    options: ChatHistoryOptions,
    defaultLimit: number | undefined,
  ): Promise<ChatHistoryPage> {
    assertConversationId(conversationId);
    const query = this.checkQuery(options, defaultLimit);
    const key = this.keyOf(conversationId);
    let result: Awaited<ReturnType<ChatMemoryStore['read']>>;
    try {
      result =
        this.config.wireFormat === 'ractogateway'
          ? { entries: await this.store.range(key), more: false, found: true, selected: false }
          : await this.store.read(key, query);
    } catch (error) {
      throw storeError('getHistory', conversationId, error);
    }
    if (!result.found) throw notInWindow(conversationId, query.before);
    let messages: ChatMessage[];
    let more = result.more;
    if (result.selected) {
      messages = this.decode(key, result.entries);
    } else {
      const { entries } = result;
      const pinned = entries.length > 0 && entries[0].endsWith(PINNED_SUFFIX);
      messages = this.decode(key, pinned ? entries.slice(1) : entries);
      const prompt = pinned ? this.decode(key, entries.slice(0, 1))[0] : undefined;
      if (query.before !== undefined && prompt?.id === query.before)
        return { messages: [], nextBefore: null };
      if (query.before !== undefined && !messages.some((message) => message.id === query.before)) {
        throw notInWindow(conversationId, query.before);
      }
      ({ messages, more } = this.select(messages, query, prompt));
      if (prompt && (!more || query.maxTokens !== undefined)) messages.unshift(prompt);
    }
    messages = this.withDefaultPrompt(messages, !more || query.maxTokens !== undefined);
    const first = messages[0];
    const nextBefore =
      more && query.maxTokens === undefined && first?.id !== undefined ? first.id : null;
    return { messages, nextBefore };
  }

  /**
   * Pins a system prompt to the conversation: no trimming removes it, `getHistory` returns it
   * first, and it does not count against `maxTurns`, `maxMessages` or the stored `maxTokens` (it
   * does count against a read's `maxTokens`). Replaces an earlier one; `null` removes it. Resolves
   * to the stored prompt. Refreshes the TTL. Not available with `wireFormat: 'ractogateway'`.
   */
  setSystemPrompt(
    conversationId: string,
    prompt: string | ChatMessageInput | null,
  ): Promise<ChatMessage | null> {
    return this.observe(
      'setSystemPrompt',
      conversationId,
      () => this.pin(conversationId, prompt),
      (pinned) => ({ messagesWritten: pinned === null ? 0 : 1 }),
    );
  }

  private async pin(
    conversationId: string,
    prompt: string | ChatMessageInput | null,
  ): Promise<ChatMessage | null> {
    assertConversationId(conversationId);
    if (this.config.wireFormat === 'ractogateway') {
      throw new InvalidMessageError('prompt', MessageMessages.pinRactogateway());
    }
    let prepared: PreparedMessage | null = null;
    if (prompt !== null) {
      const input = typeof prompt === 'string' ? { role: 'system', content: prompt } : prompt;
      if (isObject(input) && (input as { role?: unknown }).role !== 'system') {
        throw new InvalidMessageError(
          'prompt.role',
          MessageMessages.pinnedRole((input as { role?: unknown }).role),
        );
      }
      prepared = prepareMessage(input, 'prompt', this.config, Date.now(), true);
    }
    const key = this.keyOf(conversationId);
    await this.call('setSystemPrompt', conversationId, () =>
      this.store.pin(key, prepared, this.config.ttlMs, this.ownedOf(conversationId)),
    );
    return prepared?.message ?? null;
  }

  /**
   * The same service, for the conversations of `owner` (a user or tenant id, 1-128 characters from
   * `[A-Za-z0-9_.:@=-]`): every call reads and writes only that owner's conversations, which live
   * under the owner's own keys (`${keyPrefix}:{owner}:${conversationId}`, one Cluster slot per
   * owner), and every write updates the owner's index (`listConversations`) in the same atomic
   * script. Conversations without an owner are not visible through it, nor the reverse.
   *
   * ```ts
   * const mine = memory.forOwner(request.user.id);
   * await mine.appendTurn(conversationId, question, answer);
   * ```
   */
  forOwner(owner: string): ChatMemoryService {
    const keys = this.ownerKeysOf(owner);
    // A plain instance (same shape as this one, so calls stay as fast), with its owner set.
    const scoped = new ChatMemoryService(this.store, this.options);
    (scoped as { owner: string | null }).owner = owner;
    scoped.ownerKeys = keys;
    return scoped;
  }

  /**
   * The service for a request: scoped to the owner the module's `owner` resolver gives for it
   * (`forOwner`), or this service when there is no resolver. Throws `InvalidOwnerError` when the
   * resolver gives no owner, or not a valid one. What `@RecordChatTurn()`, `@ConversationHistory()`
   * and the controller use.
   */
  forRequest(request: unknown): ChatMemoryService {
    if (this.ownerResolver === null) return this;
    const owner = this.ownerResolver(request);
    if (owner === undefined) throw new InvalidOwnerError(OwnerMessages.noOwner());
    return this.forOwner(owner);
  }

  /**
   * The conversations of `owner`, most recently active first: at most `limit` (default 20, at most
   * 100) after `cursor` (the `nextCursor` of the previous page), and the cursor of the next page
   * (`null` at the end). One round trip, in time independent of how many conversations Redis holds;
   * expired conversations are left out and their index entries removed.
   */
  listConversations(
    owner: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ChatConversationPage> {
    return this.observe('listConversations', undefined, () => this.list(owner, options), NOTHING);
  }

  private async list(
    owner: string,
    options: { limit?: number; cursor?: string },
  ): Promise<ChatConversationPage> {
    const keys = this.ownerKeysOf(owner);
    const { limit = DEFAULT_LIST_SIZE, cursor } = isObject(options) ? options : {};
    if (!positive(limit) || limit > MAX_LIST_SIZE) {
      throw new InvalidHistoryQueryError(
        `limit: expected an integer from 1 to ${MAX_LIST_SIZE}, got ${String(limit)}`,
      );
    }
    const position = cursor === undefined ? null : decodeCursor(cursor);
    const { listOwned } = this.ownerStore();
    const { records, next } = await this.call('listConversations', owner, () =>
      listOwned(keys, limit, position, this.config.ttlMs),
    );
    return {
      conversations: records.map(toConversation),
      nextCursor: next === null ? null : encodeCursor(next),
    };
  }

  /**
   * Sets (or with `null` removes) the title and/or metadata of one of `owner`'s conversations.
   * Resolves to `false` when it does not exist (nothing is changed).
   */
  updateConversation(
    owner: string,
    conversationId: string,
    change: { title?: string | null; metadata?: JsonObject | null },
  ): Promise<boolean> {
    return this.observe(
      'updateConversation',
      conversationId,
      () => this.update(owner, conversationId, change),
      NOTHING,
    );
  }

  private async update(
    owner: string,
    conversationId: string,
    change: { title?: string | null; metadata?: JsonObject | null },
  ): Promise<boolean> {
    const scoped = this.forOwner(owner);
    assertConversationId(conversationId);
    const { title, metadata } = isObject(change) ? change : ({} as typeof change);
    if (
      title !== undefined &&
      title !== null &&
      !(typeof title === 'string' && title.length > 0 && title.length <= MAX_TITLE_LENGTH)
    ) {
      throw new InvalidMessageError('title', OwnerMessages.title(MAX_TITLE_LENGTH));
    }
    let metadataJson: string | null | undefined;
    if (metadata !== undefined && metadata !== null) {
      metadataJson = prepareMetadata(metadata, 'metadata', this.config.maxMetadataBytes);
    } else {
      metadataJson = metadata;
    }
    const { updateOwned } = this.ownerStore();
    const key = scoped.keyOf(conversationId);
    return this.call('updateConversation', conversationId, () =>
      updateOwned(key, { title, metadataJson }),
    );
  }

  /** Deletes one of `owner`'s conversations and its index entry; resolves to whether it existed. */
  deleteConversation(owner: string, conversationId: string): Promise<boolean> {
    return this.observe(
      'deleteConversation',
      conversationId,
      async () => this.forOwner(owner).remove(conversationId),
      NOTHING,
    );
  }

  /**
   * Deletes every conversation of `owner` ("delete my data"), in batches of 100 (one round trip
   * each), and resolves to how many there were. Each conversation's keys and index entry go in one
   * atomic step, so a crash part way leaves the rest for a re-run, which is safe.
   */
  deleteOwner(owner: string): Promise<number> {
    return this.observe('deleteOwner', undefined, () => this.erase(owner), NOTHING);
  }

  private async erase(owner: string): Promise<number> {
    const keys = this.ownerKeysOf(owner);
    const { eraseOwned } = this.ownerStore();
    let deleted = 0;
    for (;;) {
      const batch = await this.call('deleteOwner', owner, () => eraseOwned(keys, ERASE_BATCH));
      deleted += batch.deleted;
      if (batch.left === 0) return deleted;
    }
  }

  /** Deletes the conversation; resolves to whether it existed. */
  clear(conversationId: string): Promise<boolean> {
    return this.observe('clear', conversationId, () => this.remove(conversationId), NOTHING);
  }

  private async remove(conversationId: string): Promise<boolean> {
    assertConversationId(conversationId);
    const key = this.keyOf(conversationId);
    return this.call('clear', conversationId, () =>
      this.store.delete(key, this.ownedOf(conversationId)),
    );
  }

  /** The number of stored entries; `0` when the conversation is missing or expired. */
  count(conversationId: string): Promise<number> {
    return this.observe(
      'count',
      conversationId,
      async () => {
        assertConversationId(conversationId);
        const key = this.keyOf(conversationId);
        return this.call('count', conversationId, () => this.store.length(key));
      },
      (length) => ({ windowSize: length }),
    );
  }

  /** Seconds until the conversation expires; `null` when it is missing or never expires. */
  getTtl(conversationId: string): Promise<number | null> {
    return this.observe(
      'getTtl',
      conversationId,
      async () => {
        assertConversationId(conversationId);
        const key = this.keyOf(conversationId);
        const ms = await this.call('getTtl', conversationId, () => this.store.ttl(key));
        return ms === null ? null : ms / 1000;
      },
      NOTHING,
    );
  }

  /**
   * One atomic write of the prepared messages, window and TTL applied; resolves to the messages.
   * Store failures become `ChatMemoryStoreError`, broken tool-call rules `InvalidMessageError`
   * (`pathOf` names the message).
   */
  private push(
    operation: string,
    conversationId: string,
    prepared: PreparedMessage[],
    pathOf: (index: number) => string,
    observer: ChatMemoryOperationObserver | null,
  ): Promise<ChatMessageBatch> {
    const { window, ttlMs, onEvict } = this.config;
    const key = this.keyOf(conversationId);
    const owned = this.ownedOf(conversationId);
    return this.store.push(key, prepared, window, ttlMs, onEvict !== null, owned).then(
      ({ skipped, evicted, created, length, trimmed }) => {
        observer?.end({
          messagesWritten: prepared.length - skipped.length,
          messagesTrimmed: trimmed,
          messagesEvicted: evicted.length,
          windowSize: length,
        });
        if (evicted.length > 0 && onEvict) this.evicted(conversationId, key, evicted, onEvict);
        if (created && this.owner !== null && this.config.generateTitle) {
          this.title(this.owner, conversationId, prepared, this.config.generateTitle);
        }
        const messages = prepared.map((item) => item.message);
        if (skipped.length === 0) return withDuplicates(messages, []);
        return withDuplicates(
          messages,
          skipped.map((i) => messages[i]),
        );
      },
      (error: unknown) => {
        const failure =
          error instanceof WindowRuleError
            ? new InvalidMessageError(
                pathOf(error.index),
                error.rule === 'orphan'
                  ? MessageMessages.orphanToolResult()
                  : MessageMessages.openToolCalls(),
              )
            : storeError(operation, conversationId, error);
        observer?.fail(failure);
        throw failure;
      },
    );
  }

  /** Hands the dropped entries to `config.onEvict`, after the write; a failing hook is logged. */
  private evicted(
    conversationId: string,
    key: string,
    entries: readonly string[],
    onEvict: NonNullable<ResolvedChatMemoryConfig['onEvict']>,
  ): void {
    const messages = this.decode(key, entries);
    const failed = (error: unknown) =>
      this.logger.error(StoreMessages.evictHookFailed(conversationId, error));
    try {
      Promise.resolve(onEvict(conversationId, messages, this)).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Gives a new owned conversation the title `generateTitle` makes, after the write; logs a failure. */
  private title(
    owner: string,
    conversationId: string,
    prepared: readonly PreparedMessage[],
    generateTitle: NonNullable<ResolvedChatMemoryConfig['generateTitle']>,
  ): void {
    const messages = prepared.map((item) => item.message);
    const failed = (error: unknown) =>
      this.logger.error(StoreMessages.titleFailed(conversationId, error));
    try {
      Promise.resolve(generateTitle(messages, { owner, conversationId }))
        .then(async (title) => {
          if (typeof title !== 'string' || title.trim() === '') return;
          await this.updateConversation(owner, conversationId, {
            title: title.trim().slice(0, MAX_TITLE_LENGTH),
          });
        })
        .catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Decodes entries, logging the ones skipped. */
  private decode(key: string, entries: readonly string[]): ChatMessage[] {
    const { messages, skipped } = decodeMessages(entries);
    if (skipped.length > 0) this.logger.warn(StoreMessages.skippedEntries(key, skipped));
    return messages;
  }

  /** Puts `config.systemPrompt` first when `atStart` and the conversation has no pinned prompt. */
  private withDefaultPrompt(messages: ChatMessage[], atStart: boolean): ChatMessage[] {
    const prompt = this.config.systemPrompt;
    if (prompt === null || !atStart || messages[0]?.role === 'system') return messages;
    messages.unshift({ role: 'system', content: prompt });
    return messages;
  }

  /** Checks `getHistory` options; returns the store query. */
  private checkQuery(
    options: ChatHistoryOptions,
    defaultLimit: number | undefined,
  ): ChatMemoryReadQuery {
    if (!isObject(options)) {
      throw new InvalidHistoryQueryError(`options: expected an object, got ${typeof options}`);
    }
    const { maxTokens, limit, before } = options;
    if (maxTokens !== undefined && !positive(maxTokens)) {
      throw new InvalidHistoryQueryError(
        `maxTokens: expected a positive integer, got ${String(maxTokens)}`,
      );
    }
    if (limit !== undefined && !(positive(limit) && limit <= MAX_PAGE_SIZE)) {
      throw new InvalidHistoryQueryError(
        `limit: expected an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(limit)}`,
      );
    }
    if (before !== undefined && (typeof before !== 'string' || !MESSAGE_ID_PATTERN.test(before))) {
      throw new InvalidHistoryQueryError(
        `before: expected a message id, got ${JSON.stringify(before)}`,
      );
    }
    if (maxTokens !== undefined && (limit !== undefined || before !== undefined)) {
      throw new InvalidHistoryQueryError(
        'maxTokens selects whole turns and cannot be combined with limit or before',
      );
    }
    if (maxTokens !== undefined) {
      const prompt = this.config.systemPrompt;
      return {
        maxTokens,
        defaultPromptTokens:
          prompt === null ? 0 : this.config.countTokens({ role: 'system', content: prompt }),
      };
    }
    return { limit: limit ?? defaultLimit, before };
  }

  /**
   * The selection of `read`, done here for conversations the store could not select in (the
   * Python-compatible format, or entries written before the window structure existed).
   */
  private select(
    messages: ChatMessage[],
    query: ChatMemoryReadQuery,
    prompt: ChatMessage | undefined,
  ): { messages: ChatMessage[]; more: boolean } {
    const { countTokens } = this.config;
    const selectable = messages.map((message, i) => ({
      id: message.id,
      tokens: countTokens(message),
      turnStart: message.role === 'user' || i === 0,
    }));
    const promptTokens = prompt ? countTokens(prompt) : (query.defaultPromptTokens ?? 0);
    // `before` was checked to be in the window.
    const { from, to } = selectWindow(selectable, query, promptTokens)!;
    return { messages: messages.slice(from, to), more: from > 0 };
  }

  /** Checks and encodes a list of messages (`path` names it in errors); ids must not repeat. */
  private prepareAll(messages: readonly unknown[], path: string, now: number): PreparedMessage[] {
    if (messages.length > MAX_MESSAGES_PER_CALL) {
      throw new InvalidMessageError(
        path,
        MessageMessages.tooManyMessages(messages.length, MAX_MESSAGES_PER_CALL),
      );
    }
    const prepared = messages.map((message, i) =>
      prepareMessage(message, `${path}[${i}]`, this.config, now),
    );
    assertUniqueIds(prepared, path);
    return prepared;
  }

  private keyOf(conversationId: string): string {
    return this.ownerKeys === null
      ? `${this.config.keyPrefix}:${conversationId}`
      : `${this.ownerKeys.base}:${conversationId}`;
  }

  /** For a service scoped to an owner: the owner's keys and the conversation id. */
  private ownedOf(conversationId: string): ChatMemoryOwnedConversation | undefined {
    return this.ownerKeys === null ? undefined : { ...this.ownerKeys, conversationId };
  }

  /** The owner's keys, with the checks every owner method makes; throws if owners are not available. */
  private ownerKeysOf(owner: unknown): ChatMemoryOwnerKeys {
    assertOwner(owner);
    if (this.config.wireFormat === 'ractogateway') {
      throw new InvalidOwnerError(OwnerMessages.ractogateway());
    }
    return ownerKeys(this.config.keyPrefix, owner);
  }

  /** The store's owner methods, or a clear error when it has none. */
  private ownerStore(): Required<
    Pick<ChatMemoryStore, 'listOwned' | 'updateOwned' | 'eraseOwned'>
  > {
    const { listOwned, updateOwned, eraseOwned } = this.store;
    if (!listOwned || !updateOwned || !eraseOwned) {
      throw new ChatMemoryStoreError('owners', '', new Error(OwnerMessages.storeWithoutOwners()));
    }
    return {
      listOwned: listOwned.bind(this.store),
      updateOwned: updateOwned.bind(this.store),
      eraseOwned: eraseOwned.bind(this.store),
    };
  }

  /** Starts observing a call (only when there is a `telemetry` integration). */
  private start(
    operation: ChatMemoryOperation,
    conversationId: string | undefined,
  ): ChatMemoryOperationObserver {
    return this.telemetry!.startOperation(operation, {
      storeKind: this.storeKind,
      conversationId,
      owner: this.owner,
    });
  }

  /** Runs a call, observed when there is a `telemetry` integration; `outcome` says what it did. */
  private observe<T>(
    operation: ChatMemoryOperation,
    conversationId: string | undefined,
    run: () => Promise<T>,
    outcome: (result: T, observer: ChatMemoryOperationObserver) => ChatMemoryOperationOutcome,
  ): Promise<T> {
    if (this.telemetry === null) return run();
    const observer = this.start(operation, conversationId);
    return run().then(
      (result) => {
        observer.end(outcome(result, observer));
        return result;
      },
      (error: unknown) => {
        observer.fail(error);
        throw error;
      },
    );
  }

  /** What a read returned; its tokens only for a detailed observer (counting costs work). */
  private readOutcome(
    messages: readonly ChatMessage[],
    observer: ChatMemoryOperationObserver,
    windowSize: number | undefined,
  ): ChatMemoryOperationOutcome {
    let tokensReturned: number | undefined;
    if (observer.detailed) {
      tokensReturned = 0;
      for (const message of messages) tokensReturned += this.config.countTokens(message);
    }
    return { messagesReturned: messages.length, windowSize, tokensReturned };
  }

  private async call<T>(
    operation: string,
    conversationId: string,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storeError(operation, conversationId, error);
    }
  }
}

const ANSWER_ROLES: readonly ChatRole[] = ['assistant', 'tool'];
/** The outcome of calls that neither write nor read messages. */
const NOTHING = (): ChatMemoryOperationOutcome => ({});
const DEFAULT_PAGE_SIZE = 50;
const DEFAULT_LIST_SIZE = 20;
const MAX_LIST_SIZE = 100;
const MAX_TITLE_LENGTH = 256;
const ERASE_BATCH = 100;

/** An owner's conversation, as `listConversations` gives it. */
export interface ChatConversation {
  id: string;
  /** Milliseconds since the epoch (Redis' clock), of its first write and of its latest one. */
  createdAt: number;
  updatedAt: number;
  /** Stored entries, the pinned prompt included. */
  messageCount: number;
  title: string | null;
  metadata: JsonObject | null;
}

/** A page of `listConversations`. */
export interface ChatConversationPage {
  conversations: ChatConversation[];
  /** Pass as `cursor` for the next page; `null` at the end. */
  nextCursor: string | null;
}

function toConversation(record: ChatMemoryStoredRecord): ChatConversation {
  let metadata: JsonObject | null = null;
  if (record.metadataJson !== null) {
    try {
      metadata = JSON.parse(record.metadataJson) as JsonObject;
    } catch {
      metadata = null;
    }
  }
  return {
    id: record.conversationId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    messageCount: record.count,
    title: record.title,
    metadata,
  };
}

/** An opaque cursor for a listing position. */
function encodeCursor(cursor: ChatMemoryListCursor): string {
  return Buffer.from(`${cursor.updatedAt}.${cursor.conversationId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown): ChatMemoryListCursor {
  const text = typeof cursor === 'string' ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^(\d{1,16})\.(.+)$/.exec(text);
  if (!match || !CONVERSATION_ID_PATTERN.test(match[2]) || match[2].length > 128) {
    throw new InvalidHistoryQueryError(
      `cursor: not a cursor from listConversations, got ${JSON.stringify(cursor)}`,
    );
  }
  return { updatedAt: Number(match[1]), conversationId: match[2] };
}

/** The keys of an owner's conversations: the index is the base itself, each List `<base>:<id>`. */
function ownerKeys(keyPrefix: string, owner: string): ChatMemoryOwnerKeys {
  const base = `${keyPrefix}:{${owner}}`;
  return { indexKey: base, base };
}
/** How the pinned prompt's entry ends (see chat-message.codec.ts). */
const PINNED_SUFFIX = ',"p":1}';
const MAX_PAGE_SIZE = 1000;

/** Options of `getHistory` and `getHistoryPage`. */
export interface ChatHistoryOptions {
  /** Only the newest whole turns whose tokens, with the system prompt's, fit in this many. */
  maxTokens?: number;
  /** At most this many messages (1-1000; `getHistoryPage` default 50). */
  limit?: number;
  /** The id of a message: only messages before it. */
  before?: string;
}

/** A page of a conversation (`getHistoryPage`). */
export interface ChatHistoryPage {
  messages: ChatMessage[];
  /** Pass as `before` for the previous page; `null` when this page reaches the start. */
  nextBefore: string | null;
}

/**
 * What `append` and `appendTurn` resolve to: every message given, with its id and time, oldest
 * first. `duplicates` (not enumerable) lists those that were not written because a message with
 * the same id was already in the window (a retried write, or a client re-sending history).
 */
export type ChatMessageBatch = ChatMessage[] & { readonly duplicates: readonly ChatMessage[] };

function withDuplicates(messages: ChatMessage[], duplicates: ChatMessage[]): ChatMessageBatch {
  return Object.defineProperty(messages, 'duplicates', { value: duplicates }) as ChatMessageBatch;
}

/** Throws unless `message` is an object whose role is one of `roles` (other checks come later). */
function assertTurnRole(message: unknown, path: string, roles: readonly ChatRole[]): void {
  const role = (message as { role?: unknown } | null)?.role;
  if (message !== null && typeof message === 'object' && !roles.includes(role as ChatRole)) {
    throw new InvalidMessageError(
      `${path}.role`,
      MessageMessages.turnRole(roles.join(' or '), role),
    );
  }
}

/** Throws when two messages of one write have the same id. */
function assertUniqueIds(prepared: readonly PreparedMessage[], path: string): void {
  if (prepared.length < 2) return;
  const seen = new Set<string>();
  prepared.forEach(({ message }, i) => {
    if (message.id === undefined) return;
    if (seen.has(message.id)) {
      throw new InvalidMessageError(`${path}[${i}].id`, MessageMessages.duplicateId(message.id));
    }
    seen.add(message.id);
  });
}

const positive = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0;

function notInWindow(conversationId: string, before: string | undefined): InvalidHistoryQueryError {
  return new InvalidHistoryQueryError(
    `before: no message with id ${JSON.stringify(before)} in conversation ${JSON.stringify(conversationId)} (trimmed, or never stored)`,
  );
}

/** A store failure as a `ChatMemoryStoreError` (errors of the library itself pass through). */
function storeError(operation: string, conversationId: string, error: unknown): Error {
  return error instanceof ChatMemoryError
    ? error
    : new ChatMemoryStoreError(operation, conversationId, error);
}
