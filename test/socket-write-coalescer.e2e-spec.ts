import { Socket } from 'node:net';
import { CHAT_MEMORY_REDIS, ChatMemoryService } from 'nestjs-chat-memory';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasSocketFields } from '../libs/chat-memory/src/store/socket-write-coalescer.js';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';

/** The two fields of ioredis the coalescer reads (not documented by ioredis). */
interface SocketFields {
  stream?: unknown;
  commandQueue?: { length: number };
}

/** Socket writes (`_write` + `_writev` calls) made while `run` ran. */
async function socketWritesDuring(client: Redis, run: () => Promise<unknown>): Promise<number> {
  const { stream } = client as unknown as { stream: Socket };
  const write = vi.spyOn(stream, '_write');
  const writev = vi.spyOn(stream, '_writev');
  try {
    await run();
    return write.mock.calls.length + writev.mock.calls.length;
  } finally {
    write.mockRestore();
    writev.mockRestore();
  }
}

describe('merged socket writes, only on clients the module created', () => {
  let server: TestRedisServer;
  const boot = useChatMemoryModules(() => ({ config: { keyPrefix: uniquePrefix() } }));
  const calls = Array.from({ length: 50 }, (_, i) => i);

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());

  // If this fails, ioredis renamed or reshaped the fields the coalescer reads: it is then off
  // (slower at high concurrency, still correct). Update socket-write-coalescer.ts.
  it('finds the ioredis fields it relies on, with the shapes it expects', async () => {
    const client = new Redis(server.url);
    await client.ping();
    const fields = client as unknown as SocketFields;
    expect(hasSocketFields(client)).toBe(true);
    expect(fields.stream).toBeInstanceOf(Socket);
    const pending = Promise.all([client.ping(), client.ping()]);
    expect(fields.commandQueue?.length).toBe(2);
    await pending;
    expect(fields.commandQueue?.length).toBe(0);
    expect(hasSocketFields(new Cluster([], { lazyConnect: true }))).toBe(false);
    await client.quit();
  });

  it('sends the calls made in one tick in one socket write, still one command each', async () => {
    const moduleRef = await boot({ url: server.url });
    const memory = moduleRef.get(ChatMemoryService);
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await memory.append('warm', 'user', 'x');

    const appendWrites = await socketWritesDuring(client, () =>
      Promise.all(calls.map((i) => memory.append(`c${i % 5}`, 'user', `m${i}`))),
    );
    // ioredis alone writes each command on its own; here the first leaves at once, the rest together.
    expect(appendWrites).toBeLessThanOrEqual(2);
    await expect(memory.getHistory('c3')).resolves.toEqual(
      calls.filter((i) => i % 5 === 3).map((i) => ({ role: 'user', content: `m${i}` })),
    );
    const readWrites = await socketWritesDuring(client, async () => {
      const histories = await Promise.all(calls.map((i) => memory.getHistory(`c${i % 5}`)));
      expect(histories.map((h) => h.length)).toEqual(calls.map(() => 10));
    });
    expect(readWrites).toBeLessThanOrEqual(2);
  });

  it('leaves the socket of a client you pass in alone: one write per command, as ioredis does', async () => {
    const client = new Redis(server.url);
    const memory = (await boot({ client })).get(ChatMemoryService);
    await memory.append('warm', 'user', 'x');
    const writes = await socketWritesDuring(client, () =>
      Promise.all(calls.map((i) => memory.append(`c${i % 5}`, 'user', `m${i}`))),
    );
    expect(writes).toBe(calls.length);
    await client.quit();
  });
});
