import type { ModuleRef } from '@nestjs/core';
import { ChatMemoryService } from '../chat-memory.service.js';

/**
 * @internal The `ChatMemoryService` of the application, wherever `ChatMemoryModule` is imported
 * (global or not), so that `@RecordChatTurn()` works in any module without importing it there.
 */
export function findChatMemory(moduleRef: ModuleRef): ChatMemoryService {
  try {
    return moduleRef.get(ChatMemoryService, { strict: false });
  } catch (error) {
    throw new Error(
      '@RecordChatTurn() needs ChatMemoryModule.forRoot() or forRootAsync() imported in the application',
      { cause: error },
    );
  }
}
