import { Test, type TestingModule } from '@nestjs/testing';
import { ChatMemoryModule, type ChatMemoryModuleOptions } from 'nestjs-chat-memory';
import { afterEach, vi } from 'vitest';

/**
 * Returns `boot(options)`, which compiles and initialises a module importing
 * `ChatMemoryModule.forRoot({ ...defaults(), ...options })`. Every module booted is closed after
 * each test of the calling scope, and spies are restored.
 */
export function useChatMemoryModules(
  defaults: () => Partial<ChatMemoryModuleOptions> = () => ({}),
): (options?: Partial<ChatMemoryModuleOptions>) => Promise<TestingModule> {
  const modules: TestingModule[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(modules.splice(0).map((m) => m.close()));
  });
  return async (options = {}) => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ ...defaults(), ...options })],
    }).compile();
    await moduleRef.init();
    modules.push(moduleRef);
    return moduleRef;
  };
}
