import { Logger } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import {
  ChatMemoryModule,
  ChatMemoryService,
  InMemoryChatMemoryStore,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { ChatMemoryHealthIndicator } from 'nestjs-chat-memory/health';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules, useTestingModules } from './support/modules.js';

/** Calls (and failed calls) of a command since the last `CONFIG RESETSTAT` (`INFO commandstats`). */
async function callsOf(redis: Redis, command: string): Promise<{ calls: number; failed: number }> {
  const info = await redis.info('commandstats');
  const stats = new RegExp(`cmdstat_${command}:calls=(\\d+).*failed_calls=(\\d+)`).exec(info);
  return { calls: Number(stats?.[1] ?? 0), failed: Number(stats?.[2] ?? 0) };
}

/** What of a client the module could have changed: own keys, listeners, options, status. */
function snapshot(client: Redis) {
  return {
    keys: Object.keys(client).sort(),
    listeners: ['error', 'ready', 'end', 'close', 'connect', 'reconnecting'].map((event) =>
      client.listenerCount(event),
    ),
    options: JSON.stringify(client.options),
    status: client.status,
  };
}

describe('a client you pass in', () => {
  let server: TestRedisServer;
  let admin: Redis;
  const boot = useChatMemoryModules();

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin.quit();
    await server.stop();
  });

  it('is used as it is: no command defined, no listener added, no option changed, left open', async () => {
    const client = new Redis(server.url);
    await client.ping();
    const before = snapshot(client);
    const moduleRef = await boot({ client, config: { keyPrefix: uniquePrefix() } });
    const memory = moduleRef.get(ChatMemoryService);
    await memory.appendTurn('c', 'hi', 'hello');
    await memory.append('c', 'user', 'again');
    await expect(memory.getHistory('c')).resolves.toHaveLength(3);
    await moduleRef.close();
    expect(snapshot(client)).toEqual(before);
    await expect(client.ping()).resolves.toBe('PONG');
    await client.quit();
  });

  it('runs the script by EVALSHA, and sends it by EVAL once when the server lost it', async () => {
    const client = new Redis(server.url);
    const memory = (await boot({ client, config: { keyPrefix: uniquePrefix() } })).get(
      ChatMemoryService,
    );
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    await memory.append('c', 'user', 'first after the flush');
    await memory.append('c', 'user', 'second');
    await memory.appendTurn('c', 'q', 'a');
    await expect(callsOf(admin, 'eval')).resolves.toEqual({ calls: 1, failed: 0 });
    // The first EVALSHA was answered NOSCRIPT (a failed call); the two after it found the script.
    await expect(callsOf(admin, 'evalsha')).resolves.toEqual({ calls: 3, failed: 1 });
    await expect(memory.count('c')).resolves.toBe(4);
    await client.quit();
  });
});

describe('a client the module creates', () => {
  const boot = useChatMemoryModules();

  it('logs one line when its connection is ready', async () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const moduleRef = await boot({ url: redisUrl(), config: { keyPrefix: uniquePrefix() } });
    await moduleRef.get(ChatMemoryService).count('c');
    const lines = log.mock.calls.map((call) => String(call[0]));
    expect(lines.filter((line) => line.startsWith('Connected to Redis at '))).toEqual([
      `Connected to Redis at ${redisUrl()}`,
    ]);
  });
});

describe.each<[string, () => Partial<ChatMemoryModuleOptions>]>([
  ['Redis', () => ({ url: redisUrl() })],
  ['the in-memory store', () => ({ store: new InMemoryChatMemoryStore() })],
])('clear() on %s', (_name, options) => {
  const boot = useChatMemoryModules(() => ({
    ...options(),
    config: { keyPrefix: uniquePrefix() },
  }));

  it('resolves to whether the conversation existed', async () => {
    const memory = (await boot()).get(ChatMemoryService);
    await memory.append('c', 'user', 'x');
    await expect(memory.clear('c')).resolves.toBe(true);
    await expect(memory.clear('c')).resolves.toBe(false);
    await expect(memory.count('c')).resolves.toBe(0);
  });
});

describe('the health indicator without Redis', () => {
  const boot = useTestingModules();

  it('reports the in-memory store as store: "memory"', async () => {
    const moduleRef = await boot({
      imports: [
        TerminusModule,
        ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore(), isGlobal: true }),
      ],
      providers: [ChatMemoryHealthIndicator],
    });
    const result = await moduleRef.get(ChatMemoryHealthIndicator).isHealthy();
    expect(result).toEqual({ 'chat-memory': { status: 'up', store: 'memory' } });
  });
});
