import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CHAT_MEMORY_RESOLVED_OPTIONS,
  CHAT_MEMORY_STORE,
  LOGGER_CONTEXT,
} from './chat-memory.constants.js';
import { ChatMemoryError, ChatMemoryStoreError } from './chat-memory.errors.js';
import type {
  ChatMessage,
  ChatRole,
  ResolvedChatMemoryConfig,
  ResolvedChatMemoryOptions,
} from './chat-memory.interfaces.js';
import { StoreMessages } from './chat-memory.messages.js';
import { assertContent, assertConversationId, assertRole } from './chat-memory.validation.js';
import { decodeMessages, encodeMessage } from './chat-message.codec.js';
import type { ChatMemoryStore } from './store/chat-memory-store.interface.js';
import { InMemoryChatMemoryStore } from './store/in-memory-chat-memory.store.js';

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
  /** What keeps the conversations: `'redis'`, `'memory'` (`InMemoryChatMemoryStore`) or `'custom'`. */
  readonly storeKind: ChatMemoryStoreKind;

  constructor(
    @Inject(CHAT_MEMORY_STORE) private readonly store: ChatMemoryStore,
    @Inject(CHAT_MEMORY_RESOLVED_OPTIONS) options: ResolvedChatMemoryOptions,
  ) {
    this.config = options.config;
    this.storeKind =
      options.source.kind !== 'store'
        ? 'redis'
        : store instanceof InMemoryChatMemoryStore
          ? 'memory'
          : 'custom';
  }

  /** The largest number of messages kept per conversation (`maxTurns * 2`). */
  get maxMessages(): number {
    return this.config.maxMessages;
  }

  /** The configured time to live in seconds, or `null` when conversations never expire. */
  get ttlSeconds(): number | null {
    return this.config.ttlMs === null ? null : this.config.ttlMs / 1000;
  }

  /** Stores one message at the end of the conversation, trims it to the window and refreshes its TTL. */
  append(conversationId: string, role: ChatRole, content: string): Promise<void> {
    // Hot path: not async, one promise layer of our own (see push).
    try {
      assertConversationId(conversationId);
      assertRole(role);
      assertContent(content, this.config.maxContentBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.push('append', conversationId, [encodeMessage(role, content)]);
  }

  /** Stores a user message and the assistant's answer together, atomically: both or neither. */
  appendTurn(conversationId: string, userContent: string, assistantContent: string): Promise<void> {
    try {
      assertConversationId(conversationId);
      assertContent(userContent, this.config.maxContentBytes, 'userContent');
      assertContent(assistantContent, this.config.maxContentBytes, 'assistantContent');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.push('appendTurn', conversationId, [
      encodeMessage('user', userContent),
      encodeMessage('assistant', assistantContent),
    ]);
  }

  /**
   * The stored messages, oldest first, as fresh `{ role, content }` objects; `[]` when the
   * conversation is missing or expired. Stored entries that are not messages are skipped with a warning.
   */
  async getHistory(conversationId: string): Promise<ChatMessage[]> {
    assertConversationId(conversationId);
    const key = this.keyOf(conversationId);
    let entries: string[];
    try {
      entries = await this.store.range(key);
    } catch (error) {
      throw storeError('getHistory', conversationId, error);
    }
    const { messages, skipped } = decodeMessages(entries);
    if (skipped.length > 0) this.logger.warn(StoreMessages.skippedEntries(key, skipped));
    return messages;
  }

  /** Deletes the conversation; resolves to whether it existed. */
  async clear(conversationId: string): Promise<boolean> {
    assertConversationId(conversationId);
    const key = this.keyOf(conversationId);
    return this.call('clear', conversationId, () => this.store.delete(key));
  }

  /** The number of stored entries; `0` when the conversation is missing or expired. */
  async count(conversationId: string): Promise<number> {
    assertConversationId(conversationId);
    const key = this.keyOf(conversationId);
    return this.call('count', conversationId, () => this.store.length(key));
  }

  /** Seconds until the conversation expires; `null` when it is missing or never expires. */
  async getTtl(conversationId: string): Promise<number | null> {
    assertConversationId(conversationId);
    const key = this.keyOf(conversationId);
    const ms = await this.call('getTtl', conversationId, () => this.store.ttl(key));
    return ms === null ? null : ms / 1000;
  }

  /** One atomic write of `entries`, window and TTL applied; store failures become `ChatMemoryStoreError`. */
  private push(operation: string, conversationId: string, entries: string[]): Promise<void> {
    const { maxMessages, ttlMs } = this.config;
    return this.store
      .push(this.keyOf(conversationId), entries, maxMessages, ttlMs)
      .then(ignore, (error: unknown) => {
        throw storeError(operation, conversationId, error);
      });
  }

  private keyOf(conversationId: string): string {
    return `${this.config.keyPrefix}:${conversationId}`;
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

const ignore = (): void => undefined;

/** A store failure as a `ChatMemoryStoreError` (errors of the library itself pass through). */
function storeError(operation: string, conversationId: string, error: unknown): Error {
  return error instanceof ChatMemoryError
    ? error
    : new ChatMemoryStoreError(operation, conversationId, error);
}
