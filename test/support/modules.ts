import type { ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ChatMemoryConfigError,
  ChatMemoryModule,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { afterAll, afterEach, expect, vi } from 'vitest';

/** When the modules booted by a `use…Modules` helper are closed. */
export interface ModuleLifetime {
  /** After each test of the calling scope (the default), or once after all of them. */
  closeAfter?: 'each' | 'all';
}

/**
 * Returns `boot(metadata)`, which compiles and initialises a testing module from
 * `{ imports, controllers, providers }`. Every module booted is closed after each test of the
 * calling scope (or after all of them, with `closeAfter: 'all'`), and spies are restored then.
 * A test may close a module itself, to check what shutdown does: it is closed only once.
 */
export function useTestingModules({ closeAfter = 'each' }: ModuleLifetime = {}): (
  metadata: ModuleMetadata,
) => Promise<TestingModule> {
  const modules: TestingModule[] = [];
  (closeAfter === 'all' ? afterAll : afterEach)(async () => {
    vi.restoreAllMocks();
    await Promise.all(modules.splice(0).map((m) => m.close()));
  });
  return async (metadata) => {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    await moduleRef.init();
    // Nest runs the shutdown hooks again on a second close(): make it close once.
    const close = moduleRef.close.bind(moduleRef);
    let closed: Promise<void> | undefined;
    moduleRef.close = () => (closed ??= close());
    modules.push(moduleRef);
    return moduleRef;
  };
}

/**
 * Returns `boot(options)`, which boots (as `useTestingModules` does, and closed as it says) a module
 * importing `ChatMemoryModule.forRoot({ ...defaults(), ...options })`.
 */
export function useChatMemoryModules(
  defaults: () => Partial<ChatMemoryModuleOptions> = () => ({}),
  lifetime: ModuleLifetime = {},
): (options?: Partial<ChatMemoryModuleOptions>) => Promise<TestingModule> {
  const boot = useTestingModules(lifetime);
  return (options = {}) =>
    boot({ imports: [ChatMemoryModule.forRoot({ ...defaults(), ...options })] });
}

/**
 * Compiles and initialises a testing module from `metadata`, expecting it to fail; resolves to
 * what compiling or initialising threw, or to `new Error('booted')`. A compiled module is closed.
 */
export async function bootModuleError(metadata: ModuleMetadata): Promise<unknown> {
  let moduleRef: TestingModule | undefined;
  try {
    moduleRef = await Test.createTestingModule(metadata).compile();
    await moduleRef.init();
    return new Error('booted');
  } catch (error) {
    return error;
  } finally {
    await moduleRef?.close().catch(() => undefined);
  }
}

/** Boots `ChatMemoryModule.forRoot(options)` expecting it to fail; resolves to what it threw. */
export function bootError(options: unknown): Promise<unknown> {
  return bootModuleError({
    imports: [ChatMemoryModule.forRoot(options as ChatMemoryModuleOptions)],
  });
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
