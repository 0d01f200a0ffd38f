import { Test, type TestingModule } from '@nestjs/testing';
import {
  ChatMemoryConfigError,
  ChatMemoryModule,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { afterEach, expect, vi } from 'vitest';

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

/** Boots `ChatMemoryModule.forRoot(options)` expecting it to fail; resolves to what it threw. */
export async function bootError(options: unknown): Promise<unknown> {
  return Test.createTestingModule({
    imports: [ChatMemoryModule.forRoot(options as ChatMemoryModuleOptions)],
  })
    .compile()
    .then(
      (m) => m.close().then(() => new Error('booted')),
      (error: unknown) => error,
    );
}

/** Asserts that booting with `options` fails with a `ChatMemoryConfigError` naming `option`. */
export async function expectConfigError(
  options: unknown,
  option: string,
  message: RegExp,
): Promise<void> {
  const error = await bootError(options);
  expect(error).toBeInstanceOf(ChatMemoryConfigError);
  expect((error as ChatMemoryConfigError).option).toBe(option);
  expect((error as Error).message).toContain(`Invalid ChatMemoryModule option "${option}"`);
  expect((error as Error).message).toMatch(message);
}
