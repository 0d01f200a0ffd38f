import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatMemoryModuleExtras, ChatMemoryModuleOptions } from './chat-memory.interfaces.js';

/**
 * @internal `forRoot` / `forRootAsync`, with the extras `name`, `isGlobal` and `controller` kept out
 * of the options object. What the extras add to the module (named tokens, the controller) is
 * done by `ChatMemoryModule` itself.
 */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CHAT_MEMORY_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChatMemoryModuleOptions>({ moduleName: 'ChatMemory' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatMemoryOptions')
  .setExtras<ChatMemoryModuleExtras>(
    { name: undefined, isGlobal: false, controller: false },
    (definition, extras) => ({ ...definition, global: extras.isGlobal }),
  )
  .build();
