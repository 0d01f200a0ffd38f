import { Logger } from '@nestjs/common';
import {
  ChatMemoryConnectionError,
  ChatMemoryService,
  ChatMemoryStoreError,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { uniquePrefix } from './support/helpers.js';
import { startExampleApp } from './support/http-apps.js';
import { useChatMemoryModules } from './support/modules.js';
import { watchProcess } from './support/process-watch.js';

const boot = useChatMemoryModules();

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof ChatMemoryStoreError ? 'store-error' : error),
  );

describe('starting while Redis is down', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('starts by default, says so in a warning, and serves once Redis is up', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await server.stop();
    const started = Date.now();
    const memory = (
      await boot({
        url: server.url,
        connection: { commandTimeoutMs: 300 },
        redisOptions: { retryStrategy: () => 100 },
        config: { keyPrefix: uniquePrefix('late') },
      })
    ).get(ChatMemoryService);
    expect(Date.now() - started).toBeLessThan(1000); // boot does not wait for Redis
    await expect
      .poll(() => warn.mock.calls.map((call) => String(call[0])).join('\n'), { timeout: 5000 })
      .toMatch(/not reachable at startup .*starting anyway.*connection\.failFast/);
    await expect(memory.count('c')).rejects.toBeInstanceOf(ChatMemoryStoreError);

    await server.restart();
    await expect.poll(() => outcome(memory.count('c')), { timeout: 5000 }).toBe('ok');
    await memory.appendTurn('c', 'q', 'a');
    await expect(memory.count('c')).resolves.toBe(2);
  });

  it('with connection.failFast, refuses to start within readyTimeoutMs with a clear error', async () => {
    await server.stop();
    const started = Date.now();
    const error = await boot({
      url: server.url,
      connection: { failFast: true, readyTimeoutMs: 500 },
    }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(ChatMemoryConnectionError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `Redis at redis://127\\.0\\.0\\.1:${server.port} was not ready within 500 ms \\(.*ECONNREFUSED.*\\); not starting because connection\\.failFast is set`,
      ),
    );
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
  });

  it('with connection.failFast through Sentinel, names the master group when no sentinel answers', async () => {
    const error = await boot({
      sentinel: { sentinels: [{ host: '127.0.0.1', port: server.port }], name: 'nobody' },
      connection: { failFast: true, readyTimeoutMs: 500 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatMemoryConnectionError);
    expect((error as Error).message).toMatch(
      /^Redis Sentinel master "nobody" was not ready within 500 ms \(.+\); not starting/,
    );
  });

  it('with connection.failFast, starts normally when Redis is up', async () => {
    await server.restart();
    const memory = (
      await boot({
        url: server.url,
        connection: { failFast: true },
        config: { keyPrefix: uniquePrefix() },
      })
    ).get(ChatMemoryService);
    await memory.append('c', 'user', 'x');
    await expect(memory.count('c')).resolves.toBe(1);
  });
});

describe('Redis stopped and started again during traffic', () => {
  it('fails each call within commandTimeoutMs, with no unhandled rejection, and resumes by itself', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const server = await startRedisServer();
    const watcher = watchProcess();
    try {
      const memory = (
        await boot({
          url: server.url,
          connection: { commandTimeoutMs: 400 },
          redisOptions: { retryStrategy: () => 100 },
          config: { keyPrefix: uniquePrefix('outage') },
        })
      ).get(ChatMemoryService);

      // Four clients keep calling every method, timing each call.
      const calls: { ms: number; result: unknown; at: number }[] = [];
      const state = { running: true };
      const methods = [
        (i: number) => memory.appendTurn(`c${i % 4}`, 'q', 'a'),
        (i: number) => memory.append(`c${i % 4}`, 'user', 'x'),
        (i: number) => memory.getHistory(`c${i % 4}`),
        (i: number) => memory.count(`c${i % 4}`),
      ];
      const loops = [0, 1, 2, 3].map(async (worker) => {
        for (let i = 0; state.running; i++) {
          const at = Date.now();
          const result = await outcome(methods[(i + worker) % methods.length](i));
          calls.push({ ms: Date.now() - at, result, at });
          if (result !== 'ok') await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });

      await expect.poll(() => calls.length, { timeout: 5000 }).toBeGreaterThan(20);
      await server.stop();
      const stoppedAt = Date.now();
      await expect
        .poll(() => calls.filter((c) => c.at > stoppedAt && c.result !== 'ok').length, {
          timeout: 5000,
        })
        .toBeGreaterThan(8);
      await server.restart();
      const restartedAt = Date.now();
      await expect
        .poll(() => calls.filter((c) => c.at > restartedAt && c.result === 'ok').length, {
          timeout: 5000,
          interval: 50,
        })
        .toBeGreaterThan(8);
      const resumedMs =
        Math.min(...calls.filter((c) => c.at > restartedAt && c.result === 'ok').map((c) => c.at)) -
        restartedAt;
      state.running = false;
      await Promise.all(loops);

      // Every failure is a ChatMemoryStoreError, and none took much longer than the timeout.
      const failures = calls.filter((c) => c.result !== 'ok');
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(failure.result).toBe('store-error');
        expect(failure.ms).toBeLessThan(400 + 600);
      }
      expect(resumedMs).toBeLessThan(3000);
      expect(watcher.problems).toEqual([]);
    } finally {
      watcher.dispose();
      await server.stop();
    }
  });
});

describe('the example app while Redis is stopped and started again', () => {
  it('answers 200 or 503 (within the 2 s default timeout), never crashes, and serves again', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const server = await startRedisServer();
    const { app } = await startExampleApp({
      REDIS_URL: server.url,
      CHAT_KEY_PREFIX: uniquePrefix('app-outage'),
    });
    const watcher = watchProcess();
    try {
      const http = app.getHttpServer();
      const responses: { status: number; ms: number; at: number }[] = [];
      const state = { running: true };
      const loops = [0, 1, 2].map(async (client) => {
        for (let i = 0; state.running; i++) {
          const at = Date.now();
          // Signed in (the example's `chat_user` cookie): the chat routes need a user.
          const res =
            i % 2
              ? await request(http).get(`/chat/c${client}/history`).set('Cookie', 'chat_user=u')
              : await request(http)
                  .post(`/chat/c${client}`)
                  .set('Cookie', 'chat_user=u')
                  .send({ message: `m${i}` });
          responses.push({ status: res.status, ms: Date.now() - at, at });
        }
      });
      await expect.poll(() => responses.length, { timeout: 5000 }).toBeGreaterThan(10);
      await server.stop();
      const stoppedAt = Date.now();
      await expect
        .poll(() => responses.filter((r) => r.at > stoppedAt && r.status === 503).length, {
          timeout: 10_000,
        })
        .toBeGreaterThanOrEqual(3);
      await server.restart();
      const restartedAt = Date.now();
      await expect
        .poll(() => responses.filter((r) => r.at > restartedAt && r.status === 200).length, {
          timeout: 10_000,
          interval: 50,
        })
        .toBeGreaterThan(6);
      state.running = false;
      await Promise.all(loops);

      expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200, 503]));
      // A request may wait for one timeout per Redis call (history, then append).
      expect(Math.max(...responses.map((r) => r.ms))).toBeLessThan(2 * 2000 + 1500);
      expect(watcher.problems).toEqual([]);
    } finally {
      watcher.dispose();
      await app.close();
      await server.stop();
    }
  }, 40_000);
});

describe('Redis at maxmemory with noeviction', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await startRedisServer(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('writes fail with a clear ChatMemoryStoreError (OOM); reads, count and clear still work', async () => {
    const memory = (
      await boot({ url: server.url, config: { keyPrefix: uniquePrefix('oom'), maxTurns: 1000 } })
    ).get(ChatMemoryService);
    const chunk = 'x'.repeat(60_000);
    let written = 0;
    let failure: unknown;
    for (let i = 0; i < 200; i++) {
      failure = await memory.append(`c${i % 3}`, 'user', chunk).then(
        () => void written++,
        (error: unknown) => error,
      );
      if (failure !== undefined) break;
    }
    expect(written).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(ChatMemoryStoreError);
    expect((failure as Error).message).toMatch(
      /Chat memory append failed for conversation "c\d": OOM command not allowed when used memory > 'maxmemory'/,
    );
    // appendTurn is refused whole: nothing half-written.
    const before = await memory.count('c0');
    await expect(memory.appendTurn('c0', 'q', chunk)).rejects.toThrow(/OOM/);
    await expect(memory.count('c0')).resolves.toBe(before);

    const histories = await Promise.all(['c0', 'c1', 'c2'].map((id) => memory.getHistory(id)));
    expect(histories.reduce((n, h) => n + h.length, 0)).toBe(written);
    for (const history of histories) for (const m of history) expect(m.content).toBe(chunk);

    // Freeing memory makes writes work again.
    await memory.clear('c0');
    await memory.clear('c1');
    await memory.appendTurn('c0', 'q', 'a');
    await expect(memory.count('c0')).resolves.toBe(2);
  });
});
