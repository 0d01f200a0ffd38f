import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC emits the decorator metadata that Nest's dependency injection reads.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    // Tests import the library by its package name, as users do, but run its TypeScript source.
    // The subpath comes first: the first matching alias wins.
    alias: [
      {
        find: /^nestjs-chat-memory\/health$/,
        replacement: fileURLToPath(
          new URL('./libs/chat-memory/src/health/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-chat-memory\/(openai|anthropic|google|ai-sdk)$/,
        replacement: fileURLToPath(
          new URL('./libs/chat-memory/src/adapters/$1/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-chat-memory\/tokenizer$/,
        replacement: fileURLToPath(
          new URL('./libs/chat-memory/src/tokenizer/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-chat-memory\/opentelemetry$/,
        replacement: fileURLToPath(
          new URL('./libs/chat-memory/src/telemetry/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-chat-memory$/,
        replacement: fileURLToPath(new URL('./libs/chat-memory/src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['libs/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['libs/chat-memory/src/**/*.ts'],
      exclude: ['**/*.spec.ts', '**/index.ts'],
    },
  },
});
