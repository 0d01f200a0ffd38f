import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatMemoryModuleOptions } from './chat-memory.interfaces.js';
import type { ChatMemoryControllerOptions } from './http/chat-memory-controller.interfaces.js';
import { withChatMemoryController } from './http/chat-memory.controller.js';

/** Extra options of `forRoot` / `forRootAsync` that shape the module itself. */
export interface ChatMemoryModuleExtras {
  /** Register the module globally, so feature modules need not import it. Default `false`. */
  isGlobal?: boolean;
  /**
   * Mount the REST controller over the conversations (`true` for its defaults, or its options).
   * Without guards or `canAccess` it exposes every conversation to anyone who can reach it.
   * Default `false`.
   */
  controller?: boolean | ChatMemoryControllerOptions;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CHAT_MEMORY_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChatMemoryModuleOptions>({ moduleName: 'ChatMemory' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatMemoryOptions')
  .setExtras<ChatMemoryModuleExtras>({ isGlobal: false, controller: false }, (definition, extras) =>
    withChatMemoryController({ ...definition, global: extras.isGlobal }, extras.controller),
  )
  .build();
