import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CHAT_MEMORY_RESOLVED_OPTIONS,
  CHAT_MEMORY_STORE,
  LOGGER_CONTEXT,
  MAX_MESSAGES_PER_CALL,
} from './chat-memory.constants.js';
import {
  ChatMemoryError,
  ChatMemoryStoreError,
  InvalidMessageError,
} from './chat-memory.errors.js';
import type {
  ChatMemoryWireFormat,
  ResolvedChatMemoryConfig,
  ResolvedChatMemoryOptions,
} from './chat-memory.interfaces.js';
import { MessageMessages, StoreMessages } from './chat-memory.messages.js';
import {
  assertContent,
  assertConversationId,
  assertRole,
  isObject,
} from './chat-memory.validation.js';
import {
  decodeMessages,
  prepareMessage,
  prepareText,
  type PreparedMessage,
} from './chat-message.codec.js';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatRole,
} from './chat-message.interfaces.js';
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
  ): Promise<ChatMessage[]>;
  /** Stores one message given by its role and content (a string or parts). */
  append(
    conversationId: string,
    role: ChatRole,
    content: string | ChatContentPart[],
  ): Promise<ChatMessage[]>;
  append(
    conversationId: string,
    roleOrMessages: ChatRole | ChatMessageInput | readonly ChatMessageInput[],
    content?: string | ChatContentPart[],
  ): Promise<ChatMessage[]> {
    // Hot path: not async, one promise layer of our own (see push).
    let prepared: PreparedMessage[];
    try {
      assertConversationId(conversationId);
      const now = Date.now();
      if (typeof roleOrMessages === 'string' || content !== undefined) {
        assertRole(roleOrMessages);
        if (typeof content === 'string' && roleOrMessages !== 'tool') {
          assertContent(content, this.config.maxContentBytes);
          prepared = [prepareText(roleOrMessages, content, this.config.wireFormat, now)];
        } else {
          if (!Array.isArray(content)) assertContent(content, this.config.maxContentBytes);
          prepared = [
            prepareMessage({ role: roleOrMessages, content }, 'message', this.config, now),
          ];
        }
      } else if (Array.isArray(roleOrMessages)) {
        // Nothing to store (a provider response with no message, say): no write, no TTL refresh.
        if (roleOrMessages.length === 0) return Promise.resolve([]);
        prepared = this.prepareAll(roleOrMessages as readonly unknown[], 'messages', now);
      } else {
        prepared = [prepareMessage(roleOrMessages, 'message', this.config, now)];
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.push('append', conversationId, prepared);
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
  ): Promise<ChatMessage[]> {
    let prepared: PreparedMessage[];
    try {
      assertConversationId(conversationId);
      const now = Date.now();
      const { maxContentBytes, wireFormat } = this.config;
      if (typeof user === 'string' || !isObject(user)) {
        assertContent(user, maxContentBytes, 'userContent');
        prepared = [prepareText('user', user, wireFormat, now)];
      } else {
        assertTurnRole(user, 'user', ['user']);
        prepared = [prepareMessage(user, 'user', this.config, now)];
      }
      if (typeof assistant === 'string' || !isObject(assistant)) {
        assertContent(assistant, maxContentBytes, 'assistantContent');
        prepared.push(prepareText('assistant', assistant, wireFormat, now));
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
      return Promise.reject(error);
    }
    return this.push('appendTurn', conversationId, prepared);
  }

  /**
   * The stored messages, oldest first, as fresh objects; `[]` when the conversation is missing or
   * expired. Entries of the Python original and of version 0.1 read as `{ role, content }` (no
   * `id`, no `createdAt`). Stored entries that are not messages are skipped with a warning.
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

  /**
   * One atomic write of the prepared messages, window and TTL applied; resolves to the messages.
   * Store failures become `ChatMemoryStoreError`.
   */
  private push(
    operation: string,
    conversationId: string,
    prepared: PreparedMessage[],
  ): Promise<ChatMessage[]> {
    const { maxMessages, ttlMs } = this.config;
    const entries =
      prepared.length === 1 ? [prepared[0].entry] : prepared.map((item) => item.entry);
    return this.store.push(this.keyOf(conversationId), entries, maxMessages, ttlMs).then(
      () => prepared.map((item) => item.message),
      (error: unknown) => {
        throw storeError(operation, conversationId, error);
      },
    );
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

const ANSWER_ROLES: readonly ChatRole[] = ['assistant', 'tool'];

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

/** A store failure as a `ChatMemoryStoreError` (errors of the library itself pass through). */
function storeError(operation: string, conversationId: string, error: unknown): Error {
  return error instanceof ChatMemoryError
    ? error
    : new ChatMemoryStoreError(operation, conversationId, error);
}
