import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { CHAT_MEMORY_CONNECTION } from './chat-memory.constants.js';
import { closeChatMemoryConnection, type ChatMemoryConnection } from './chat-memory.connection.js';
import type { ChatMemoryModuleExtras } from './chat-memory.interfaces.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './chat-memory.module-definition.js';
import { assertInstanceName } from './chat-memory.options.js';
import { chatMemoryExports, chatMemoryProviders } from './chat-memory.providers.js';
import { createChatMemoryController } from './http/chat-memory.controller.js';

/**
 * Conversation memory for Nest apps. `ChatMemoryModule.forRoot({...})` or
 * `ChatMemoryModule.forRootAsync({ imports, inject, useFactory })` provides `ChatMemoryService`
 * and the Redis client under `CHAT_MEMORY_REDIS` (with `name`, under `getChatMemoryToken(name)` and
 * `getChatMemoryRedisToken(name)`). Options are checked at boot. A client the module created is
 * closed on application shutdown; a client you passed in is left open and untouched.
 */
@Module({ providers: chatMemoryProviders })
export class ChatMemoryModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(CHAT_MEMORY_CONNECTION) private readonly connection: ChatMemoryConnection) {
    super();
  }

  /** An instance configured with `options` (all optional: `forRoot()` uses the defaults). */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return withExtras(super.forRoot(options), options);
  }

  /** An instance configured by a factory, a class or an existing provider (`useFactory`, ...). */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withExtras(super.forRootAsync(options), options);
  }

  /** @internal */
  async onApplicationShutdown(): Promise<void> {
    await closeChatMemoryConnection(this.connection);
  }
}

/** Adds what the `name` and `controller` extras ask for to the module definition. */
function withExtras(definition: DynamicModule, extras: ChatMemoryModuleExtras): DynamicModule {
  const { name, controller } = extras;
  assertInstanceName(name);
  const named = chatMemoryExports(name);
  return {
    ...definition,
    providers: [...(definition.providers ?? []), ...named.providers],
    exports: [...(definition.exports ?? []), ...named.exports],
    controllers: controller
      ? [createChatMemoryController(controller === true ? {} : controller)]
      : [],
  };
}
