import { execFileSync } from 'node:child_process';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  CHAT_MEMORY_REDIS,
  ChatMemoryService,
  ChatMemoryStoreError,
  InvalidRoleError,
} from 'nestjs-chat-memory';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { redisUrl, roleContent, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';

const boot = useChatMemoryModules();

describe('Redis store: keys, TTL and round trips', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('keeps one List per conversation at `${keyPrefix}:${conversationId}`, and its window hash beside it (same Cluster slot: see the Cluster tests)', async () => {
    const keyPrefix = uniquePrefix();
    const memory = (await boot({ url: redisUrl(), config: { keyPrefix } })).get(ChatMemoryService);
    const [user, assistant] = await memory.appendTurn('conv-1', 'hi', 'hello');
    const list = `${keyPrefix}:conv-1`;
    const window = `${list}:w:{${list}}`;
    await expect(redis.type(list)).resolves.toBe('list');
    await expect(redis.type(window)).resolves.toBe('hash');
    expect((await redis.keys(`${keyPrefix}*`)).sort()).toEqual([list, window]);
    await expect(redis.lrange(list, 0, -1)).resolves.toEqual([
      `{"v":1,"i":"${user.id}","k":5,"r":"user","c":"hi"}`,
      `{"v":1,"i":"${assistant.id}","k":6,"r":"assistant","c":"hello"}`,
    ]);
    // clear() removes both.
    await memory.clear('conv-1');
    await expect(redis.keys(`${keyPrefix}*`)).resolves.toEqual([]);
  });

  it('uses the prefix "chat-memory" by default', async () => {
    const memory = (await boot({ url: redisUrl() })).get(ChatMemoryService);
    const id = uniquePrefix('default-prefix').replaceAll('.', '-');
    await memory.append(id, 'user', 'x');
    await expect(redis.llen(`chat-memory:${id}`)).resolves.toBe(1);
    await memory.clear(id);
    await expect(redis.exists(`chat-memory:${id}`)).resolves.toBe(0);
  });

  it('sets a sub-second TTL in milliseconds (0.5 s is PEXPIRE 500, never EXPIRE 0)', async () => {
    const keyPrefix = uniquePrefix();
    const memory = (await boot({ url: redisUrl(), config: { keyPrefix, ttlSeconds: 0.5 } })).get(
      ChatMemoryService,
    );
    await memory.append('c', 'user', 'x');
    const pttl = await redis.pttl(`${keyPrefix}:c`);
    expect(pttl).toBeGreaterThan(300);
    expect(pttl).toBeLessThanOrEqual(500);
  });

  it('sets no expiry when ttlSeconds is null', async () => {
    const keyPrefix = uniquePrefix();
    const memory = (await boot({ url: redisUrl(), config: { keyPrefix, ttlSeconds: null } })).get(
      ChatMemoryService,
    );
    await memory.append('c', 'user', 'x');
    await expect(redis.pttl(`${keyPrefix}:c`)).resolves.toBe(-1);
  });

  describe('round trips (counted with MONITOR on a server of its own)', () => {
    let server: TestRedisServer;
    let monitor: Awaited<ReturnType<Redis['monitor']>>;
    let admin: Redis;
    const seen: string[] = [];
    beforeAll(async () => {
      server = await startRedisServer();
      admin = new Redis(server.url);
      // monitor() opens a connection of its own (a copy of admin's); admin's is closed below.
      monitor = await admin.monitor();
      // MONITOR reports what clients send, and separately (source "lua") what scripts run.
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua' && args[0].toLowerCase() !== 'echo') seen.push(args[0].toLowerCase());
      });
    });
    afterAll(async () => {
      monitor.disconnect();
      await admin.quit();
      await server.stop();
    });

    /** Lets the monitor catch up with every command sent so far. */
    async function settle(): Promise<void> {
      await admin.echo('settle'); // ECHO is left out of `seen`
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    /** Commands sent by clients while `run` ran, by name. */
    async function commandsDuring(run: () => Promise<unknown>): Promise<Record<string, number>> {
      await settle();
      seen.length = 0;
      await run();
      await settle();
      const counts: Record<string, number> = {};
      for (const name of seen) counts[name] = (counts[name] ?? 0) + 1;
      return counts;
    }

    it('append, appendTurn, getHistory, count and clear each send one command', async () => {
      const memory = (
        await boot({ url: server.url, config: { keyPrefix: uniquePrefix(), ttlSeconds: 60 } })
      ).get(ChatMemoryService);
      await memory.append('warm', 'user', 'load the script once');

      await expect(commandsDuring(() => memory.append('c', 'user', 'x'))).resolves.toEqual({
        evalsha: 1,
      });
      await expect(commandsDuring(() => memory.appendTurn('c', 'q', 'a'))).resolves.toEqual({
        evalsha: 1,
      });
      await expect(commandsDuring(() => memory.getHistory('c'))).resolves.toEqual({ lrange: 1 });
      await expect(commandsDuring(() => memory.count('c'))).resolves.toEqual({ llen: 1 });
      await expect(commandsDuring(() => memory.clear('c'))).resolves.toEqual({ del: 1 });

      // 100 appends: 100 EVALSHA and nothing else (no re-loading of the script, no extra reads).
      await expect(
        commandsDuring(async () => {
          for (let i = 0; i < 100; i++) await memory.append('many', 'user', `m${i}`);
        }),
      ).resolves.toEqual({ evalsha: 100 });
    });

    it('reloads the script once when the server lost it (SCRIPT FLUSH), then is one EVALSHA again', async () => {
      const keyPrefix = uniquePrefix();
      const memory = (await boot({ url: server.url, config: { keyPrefix } })).get(
        ChatMemoryService,
      );
      await memory.append('c', 'user', 'before');
      await admin.script('FLUSH');
      await expect(commandsDuring(() => memory.append('c', 'user', 'after'))).resolves.toEqual({
        evalsha: 1,
        eval: 1,
      });
      await expect(commandsDuring(() => memory.appendTurn('c', 'q', 'a'))).resolves.toEqual({
        evalsha: 1,
      });
      expect(roleContent(await memory.getHistory('c'))).toEqual([
        { role: 'user', content: 'before' },
        { role: 'user', content: 'after' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ]);
    });

    it('invalid input sends nothing to Redis', async () => {
      const memory = (await boot({ url: server.url, config: { keyPrefix: uniquePrefix() } })).get(
        ChatMemoryService,
      );
      await memory.append('warm', 'user', 'x');
      await expect(
        commandsDuring(() => memory.append('c', 'bogus' as 'user', 'x').catch((e: unknown) => e)),
      ).resolves.toEqual({});
    });
  });
});

describe("wire compatibility with the Python RedisChatMemory (wireFormat 'ractogateway')", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  // Entries exactly as Python's json.dumps({"role": ..., "content": ...}) writes them:
  // ", " and ": " separators, non-ASCII escaped as \uXXXX (surrogate pairs for astral characters).
  const pythonEntries = [
    '{"role": "system", "content": "You are helpful."}',
    '{"role": "user", "content": "What is the capital of France?"}',
    '{"role": "assistant", "content": "Paris."}',
    '{"role": "user", "content": "Caf\\u00e9 \\u00e0 Z\\u00fcrich, \\u65e5\\u672c \\ud83d\\ude00"}',
    '{"role": "assistant", "content": "Tab\\there, \\"quoted\\", back\\\\slash\\nnew line"}',
  ];
  const expected = [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'What is the capital of France?' },
    { role: 'assistant', content: 'Paris.' },
    { role: 'user', content: 'Café à Zürich, 日本 😀' },
    { role: 'assistant', content: 'Tab\there, "quoted", back\\slash\nnew line' },
  ];

  it('reads what Python json.dumps wrote', async () => {
    const id = uniquePrefix('py').replaceAll('.', '_');
    const key = `ractogateway:memory:${id}`;
    await redis.rpush(key, ...pythonEntries);
    const memory = (
      await boot({
        url: redisUrl(),
        config: { keyPrefix: 'ractogateway:memory', wireFormat: 'ractogateway' },
      })
    ).get(ChatMemoryService);
    await expect(memory.getHistory(id)).resolves.toStrictEqual(expected);
    // Appending to a Python-written conversation keeps its entries and the shared window.
    await memory.appendTurn(id, 'And of Italy?', 'Rome.');
    await expect(memory.getHistory(id)).resolves.toStrictEqual([
      ...expected,
      { role: 'user', content: 'And of Italy?' },
      { role: 'assistant', content: 'Rome.' },
    ]);
    await redis.del(key);
  });

  it('writes what Python json.loads reads back as {"role", "content"} dicts', async (context) => {
    let python = true;
    try {
      execFileSync('python3', ['-c', 'print(1)']);
    } catch {
      python = false;
    }
    const id = uniquePrefix('py').replaceAll('.', '_');
    const memory = (
      await boot({
        url: redisUrl(),
        config: { keyPrefix: 'ractogateway:memory', wireFormat: 'ractogateway' },
      })
    ).get(ChatMemoryService);
    for (const message of expected)
      await memory.append(id, message.role as 'user', message.content);
    const stored = await redis.lrange(`ractogateway:memory:${id}`, 0, -1);
    await redis.del(`ractogateway:memory:${id}`);
    // Without python3 on the machine, check the same contract with JSON.parse.
    expect(stored.map((entry) => JSON.parse(entry))).toStrictEqual(expected);
    if (!python) return context.skip('python3 is not installed');
    const script =
      'import json, sys\n' +
      'entries = json.load(sys.stdin)\n' +
      'msgs = [json.loads(e) for e in entries]\n' +
      'assert all(isinstance(m, dict) and sorted(m) == ["content", "role"] for m in msgs)\n' +
      'print(json.dumps(msgs))\n';
    const output = execFileSync('python3', ['-c', script], {
      input: JSON.stringify(stored),
    }).toString();
    expect(JSON.parse(output)).toStrictEqual(expected);
  });
});

describe('entries that are not messages', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('are skipped with a logged warning, never returned, never a crash', async () => {
    const keyPrefix = uniquePrefix();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await redis.rpush(
      `${keyPrefix}:mixed`,
      '{"role": "user", "content": "first"}',
      'not json at all',
      '{"role": "user"}',
      '{"role": "hacker", "content": "x"}',
      '{"role": "user", "content": 42}',
      '[1, 2]',
      'null',
      '"a string"',
      '{"role": "assistant", "content": "second", "extra": "dropped"}',
      '{"role":"user","content":"a"},{"role":"user","content":"smuggled"}',
      '{"__proto__": {"polluted": true}, "role": "user", "content": "third"}',
    );
    const memory = (await boot({ url: redisUrl(), config: { keyPrefix } })).get(ChatMemoryService);
    const history = await memory.getHistory('mixed');
    expect(history).toStrictEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'second' },
      { role: 'user', content: 'third' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      new RegExp(`Skipped 8 stored entries of "${keyPrefix}:mixed".*index 1, 2, 3, 4, 5, 6, 7, 9`),
    );
  });

  it('a key of another type fails with ChatMemoryStoreError, not a crash', async () => {
    const keyPrefix = uniquePrefix();
    await redis.set(`${keyPrefix}:string-key`, 'not a list');
    const memory = (await boot({ url: redisUrl(), config: { keyPrefix } })).get(ChatMemoryService);
    await expect(memory.getHistory('string-key')).rejects.toThrow(ChatMemoryStoreError);
    await expect(memory.append('string-key', 'user', 'x')).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.get(`${keyPrefix}:string-key`)).resolves.toBe('not a list');
  });
});

describe('when Redis is unreachable', () => {
  it('every call fails with ChatMemoryStoreError within the command timeout, without hanging', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const port = await freePort(); // nothing listens here
    const memory = (
      await boot({ url: `redis://127.0.0.1:${port}`, redisOptions: { commandTimeout: 300 } })
    ).get(ChatMemoryService);
    for (const call of [
      () => memory.append('c', 'user', 'x'),
      () => memory.appendTurn('c', 'q', 'a'),
      () => memory.getHistory('c'),
      () => memory.count('c'),
      () => memory.clear('c'),
    ]) {
      const started = Date.now();
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChatMemoryStoreError);
      expect((error as Error).message).toMatch(
        /Chat memory \w+ failed for conversation "c": .*timed out/i,
      );
      expect(Date.now() - started).toBeLessThan(2000);
    }
    // Validation still comes first and is not reported as an outage.
    await expect(memory.append('c', 'nobody' as 'user', 'x')).rejects.toBeInstanceOf(
      InvalidRoleError,
    );
  });

  it('uses a default command timeout of 2 s for clients it creates', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const port = await freePort();
    const moduleRef = await boot({ url: `redis://127.0.0.1:${port}` });
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    expect(client.options.commandTimeout).toBe(2000);
    const started = Date.now();
    await expect(moduleRef.get(ChatMemoryService).count('c')).rejects.toBeInstanceOf(
      ChatMemoryStoreError,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
  });

  it('recovers by itself once Redis is back', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const server = await startRedisServer();
    try {
      const memory = (
        await boot({
          url: server.url,
          redisOptions: { commandTimeout: 300, retryStrategy: () => 50 },
        })
      ).get(ChatMemoryService);
      await memory.append('c', 'user', 'before');
      await server.stop();
      await expect(memory.append('c', 'user', 'during')).rejects.toBeInstanceOf(
        ChatMemoryStoreError,
      );
      await server.restart();
      await expect
        .poll(
          () =>
            memory.count('c').then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 5000, interval: 100 },
        )
        .toBe('up');
      await memory.append('c', 'user', 'after');
      // The restarted server kept nothing on disk. The write that timed out during the outage
      // stayed in ioredis' offline queue and may be applied on reconnect (documented in the README).
      const history = await memory.getHistory('c');
      expect(history.at(-1)).toMatchObject({ role: 'user', content: 'after' });
      expect(history.map((m) => m.content)).not.toContain('before');
    } finally {
      await server.stop();
    }
  });
});
