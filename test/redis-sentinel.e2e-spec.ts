import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  CHAT_MEMORY_REDIS,
  ChatMemoryService,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { describeChatMemoryConformance } from './conformance/chat-memory.conformance.js';
import { roleContent, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';
import { watchProcess } from './support/process-watch.js';
import { startRedisSentinel, type TestRedisSentinel } from './support/redis-sentinel.js';
import { waitForReplicaSync, writeTraffic } from './support/traffic.js';

// One master, two replicas and three sentinels for the whole file; the failover test runs last.
let setup: TestRedisSentinel;
beforeAll(async () => {
  setup = await startRedisSentinel({ replicas: 2, sentinels: 3, downAfterMs: 1000 });
}, 60_000);
afterAll(async () => {
  await setup?.stop();
});

const sentinelOptions = (): ChatMemoryModuleOptions['sentinel'] => ({
  sentinels: setup.sentinels,
  name: setup.name,
});

describeChatMemoryConformance('Redis Sentinel (1 master + 2 replicas, 3 sentinels)', (config) => ({
  sentinel: sentinelOptions(),
  config,
}));

describe('through Redis Sentinel', () => {
  const boot = useChatMemoryModules(() => ({ sentinel: sentinelOptions() }));

  it('connects to the master the sentinels name, and writes reach the replicas', async () => {
    const keyPrefix = uniquePrefix('sentinel');
    const moduleRef = await boot({ config: { keyPrefix } });
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    const memory = moduleRef.get(ChatMemoryService);
    await memory.appendTurn('c', 'q', 'a');
    expect(client.options.sentinels).toEqual(setup.sentinels);
    expect(client.options.name).toBe(setup.name);
    const masterPort = await setup.masterPort();
    await expect(setup.connect(masterPort).llen(`${keyPrefix}:c`)).resolves.toBe(2);
    for (const replica of setup.servers.filter((s) => s.port !== masterPort)) {
      await expect
        .poll(() => setup.connect(replica.port).llen(`${keyPrefix}:c`), { timeout: 5000 })
        .toBe(2);
    }
  });

  it('reloads the Lua script by itself when the master lost it (NOSCRIPT falls back to EVAL)', async () => {
    const memory = (await boot({ config: { keyPrefix: uniquePrefix('noscript') } })).get(
      ChatMemoryService,
    );
    await memory.append('c', 'user', 'first');
    const master = setup.connect(await setup.masterPort());
    await master.call('SCRIPT', 'FLUSH');
    await master.config('RESETSTAT');
    await memory.appendTurn('c', 'q', 'a');
    expect(roleContent(await memory.getHistory('c'))).toEqual([
      { role: 'user', content: 'first' },
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
    const stats = await master.info('commandstats');
    expect(stats).toMatch(/cmdstat_evalsha:calls=1,.*failed_calls=1/);
    expect(stats).toMatch(/cmdstat_eval:calls=1,/);
  });

  // Last: it stops the master for good (the sentinels promote a replica).
  it('survives the master failing during traffic: recovers by itself and keeps acknowledged writes', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const watcher = watchProcess();
    onTestFinished(() => watcher.dispose());
    const keyPrefix = uniquePrefix('failover');
    const memory = (
      await boot({
        config: { keyPrefix, maxTurns: 10_000 },
        connection: { commandTimeoutMs: 1000 },
      })
    ).get(ChatMemoryService);
    const ids = Array.from({ length: 8 }, (_, i) => `conv-${i}`);
    const oldMasterPort = await setup.masterPort();
    const oldMaster = setup.servers.find((s) => s.port === oldMasterPort)!;

    const traffic = writeTraffic(memory, ids);
    await traffic.until((acked) => acked >= ids.length * 5);
    const before = traffic.snapshot();
    await waitForReplicaSync(
      setup.connect(oldMasterPort),
      setup.servers.filter((s) => s !== oldMaster).map((s) => setup.connect(s.port)),
    );

    await oldMaster.stop();
    const stoppedAt = Date.now();
    await expect
      .poll(() => setup.masterPort(), { timeout: 30_000, interval: 200 })
      .not.toBe(oldMasterPort);
    await traffic.untilAllSucceedAfter(stoppedAt, 30_000);
    await traffic.stop();
    expect(traffic.failuresAfter(stoppedAt)).toBeGreaterThan(0);
    await traffic.verify(before);
    expect(watcher.problems).toEqual([]);
  }, 60_000);
});
