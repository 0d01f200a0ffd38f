import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatMemoryModuleOptions } from './chat-memory.interfaces.js';

/** Extra options of `forRoot` / `forRootAsync` that shape the module itself. */
export interface ChatMemoryModuleExtras {
  /** Register the module globally, so feature modules need not import it. Default `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CHAT_MEMORY_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChatMemoryModuleOptions>({ moduleName: 'ChatMemory' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatMemoryOptions')
  .setExtras<ChatMemoryModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
