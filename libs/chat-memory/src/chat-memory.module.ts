import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import {
  CHAT_MEMORY_CONFIG,
  CHAT_MEMORY_CONNECTION,
  CHAT_MEMORY_REDIS,
  CHAT_MEMORY_STORE,
} from './chat-memory.constants.js';
import {
  closeChatMemoryConnection,
  createChatMemoryConnection,
  type ChatMemoryConnection,
} from './chat-memory.connection.js';
import type { ChatMemoryModuleOptions } from './chat-memory.interfaces.js';
import {
  CHAT_MEMORY_MODULE_OPTIONS,
  ConfigurableModuleClass,
} from './chat-memory.module-definition.js';
import { ChatMemoryService } from './chat-memory.service.js';
import { resolveChatMemoryConfig } from './chat-memory.validation.js';
import type { ChatMemoryStore } from './store/chat-memory-store.interface.js';
import { RedisChatMemoryStore } from './store/redis-chat-memory.store.js';

/**
 * Conversation memory for Nest apps. `ChatMemoryModule.forRoot({...})` or
 * `ChatMemoryModule.forRootAsync({ imports, inject, useFactory })` provides `ChatMemoryService`
 * and the Redis client under `CHAT_MEMORY_REDIS`. Options are validated at boot. A client the
 * module created is closed on application shutdown; a client you passed in is left open.
 */
@Module({
  providers: [
    {
      provide: CHAT_MEMORY_CONFIG,
      inject: [CHAT_MEMORY_MODULE_OPTIONS],
      useFactory: resolveChatMemoryConfig,
    },
    {
      provide: CHAT_MEMORY_CONNECTION,
      // Depends on the config so invalid options fail before any connection is opened.
      inject: [CHAT_MEMORY_MODULE_OPTIONS, CHAT_MEMORY_CONFIG],
      useFactory: (options: ChatMemoryModuleOptions) => createChatMemoryConnection(options),
    },
    {
      provide: CHAT_MEMORY_REDIS,
      inject: [CHAT_MEMORY_CONNECTION],
      useFactory: (connection: ChatMemoryConnection) => connection.client,
    },
    {
      provide: CHAT_MEMORY_STORE,
      inject: [CHAT_MEMORY_MODULE_OPTIONS, CHAT_MEMORY_CONNECTION],
      useFactory: (
        options: ChatMemoryModuleOptions,
        connection: ChatMemoryConnection,
      ): ChatMemoryStore => options.store ?? new RedisChatMemoryStore(connection.client!),
    },
    ChatMemoryService,
  ],
  exports: [ChatMemoryService, CHAT_MEMORY_REDIS],
})
export class ChatMemoryModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(CHAT_MEMORY_CONNECTION) private readonly connection: ChatMemoryConnection) {
    super();
  }

  /** @internal */
  async onApplicationShutdown(): Promise<void> {
    await closeChatMemoryConnection(this.connection);
  }
}
