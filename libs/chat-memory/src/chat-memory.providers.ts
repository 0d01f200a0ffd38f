import type { Provider } from '@nestjs/common';
import {
  CHAT_MEMORY_CONNECTION,
  CHAT_MEMORY_REDIS,
  CHAT_MEMORY_RESOLVED_OPTIONS,
  CHAT_MEMORY_STORE,
} from './chat-memory.constants.js';
import { createChatMemoryConnection, type ChatMemoryConnection } from './chat-memory.connection.js';
import type { ResolvedChatMemoryOptions } from './chat-memory.interfaces.js';
import { CHAT_MEMORY_MODULE_OPTIONS } from './chat-memory.module-definition.js';
import { resolveChatMemoryOptions } from './chat-memory.options.js';
import { ChatMemoryService } from './chat-memory.service.js';
import { getChatMemoryRedisToken, getChatMemoryToken } from './chat-memory.tokens.js';
import type { ChatMemoryStore } from './store/chat-memory-store.interface.js';
import { RedisChatMemoryStore } from './store/redis-chat-memory.store.js';

/** @internal The providers of every instance, under tokens private to that instance. */
export const chatMemoryProviders: Provider[] = [
  {
    provide: CHAT_MEMORY_RESOLVED_OPTIONS,
    inject: [CHAT_MEMORY_MODULE_OPTIONS],
    useFactory: resolveChatMemoryOptions,
  },
  {
    provide: CHAT_MEMORY_CONNECTION,
    inject: [CHAT_MEMORY_RESOLVED_OPTIONS],
    useFactory: createChatMemoryConnection,
  },
  {
    provide: CHAT_MEMORY_REDIS,
    inject: [CHAT_MEMORY_CONNECTION],
    useFactory: (connection: ChatMemoryConnection) => connection.client,
  },
  {
    provide: CHAT_MEMORY_STORE,
    inject: [CHAT_MEMORY_RESOLVED_OPTIONS, CHAT_MEMORY_CONNECTION],
    useFactory: (
      { source }: ResolvedChatMemoryOptions,
      { client }: ChatMemoryConnection,
    ): ChatMemoryStore =>
      source.kind === 'store' ? source.store : new RedisChatMemoryStore(client!),
  },
  ChatMemoryService,
];

/**
 * @internal What an instance exports: the unnamed one `ChatMemoryService` and `CHAT_MEMORY_REDIS`;
 * a named one only its own tokens, so that two named instances never shadow each other.
 */
export function chatMemoryExports(name: string | undefined): {
  providers: Provider[];
  exports: (string | symbol | typeof ChatMemoryService)[];
} {
  if (name === undefined) return { providers: [], exports: [ChatMemoryService, CHAT_MEMORY_REDIS] };
  const service = getChatMemoryToken(name);
  const redis = getChatMemoryRedisToken(name);
  return {
    providers: [
      { provide: service, useExisting: ChatMemoryService },
      { provide: redis, useExisting: CHAT_MEMORY_REDIS },
    ],
    exports: [service, redis],
  };
}
