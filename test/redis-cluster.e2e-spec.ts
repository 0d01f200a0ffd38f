import { Logger } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import { CHAT_MEMORY_REDIS, ChatMemoryModule, ChatMemoryService } from 'nestjs-chat-memory';
import { ChatMemoryHealthIndicator } from 'nestjs-chat-memory/health';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { describeChatMemoryConformance } from './conformance/chat-memory.conformance.js';
import { roleContent, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules, useTestingModules } from './support/modules.js';
import { watchProcess } from './support/process-watch.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
import { writeTraffic, waitForReplicaSync } from './support/traffic.js';

// One cluster (3 masters, 3 replicas) for the whole file; the failover test runs last.
let cluster: TestRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describeChatMemoryConformance('Redis Cluster (3 masters + 3 replicas)', (config) => ({
  cluster: { nodes: cluster.startupNodes },
  config,
}));

describe('on a Redis Cluster', () => {
  const boot = useChatMemoryModules(() => ({ cluster: { nodes: cluster.startupNodes } }));
  const bootModule = useTestingModules();

  it('creates a Cluster client, and spreads the keys of many conversations over every master', async () => {
    const keyPrefix = uniquePrefix('spread');
    const moduleRef = await boot({ config: { keyPrefix } });
    const client = moduleRef.get<Cluster>(CHAT_MEMORY_REDIS);
    expect(client).toBeInstanceOf(Cluster);
    expect(client.options.redisOptions?.commandTimeout).toBe(2000);
    const memory = moduleRef.get(ChatMemoryService);
    const ids = Array.from({ length: 60 }, (_, i) => `conv-${i}`);
    await Promise.all(ids.map((id) => memory.appendTurn(id, `q ${id}`, `a ${id}`)));

    // Each conversation is a List and its window hash, always on the same master.
    const perMaster: number[] = [];
    for (const { port } of await cluster.masters()) {
      const keys = await cluster.connect(port).keys(`${keyPrefix}:*`);
      const lists = keys.filter((key) => !key.includes('{'));
      expect(keys.filter((key) => key.includes('{')).sort()).toEqual(
        lists.map((list) => `${list}:w:{${list}}`).sort(),
      );
      perMaster.push(lists.length);
    }
    expect(perMaster).toHaveLength(3);
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(ids.length);
    for (const id of ids) {
      expect(roleContent(await memory.getHistory(id))).toEqual([
        { role: 'user', content: `q ${id}` },
        { role: 'assistant', content: `a ${id}` },
      ]);
    }
  });

  it('reloads the Lua script by itself when a node lost it (NOSCRIPT falls back to EVAL)', async () => {
    const keyPrefix = uniquePrefix('noscript');
    const memory = (await boot({ config: { keyPrefix, maxTurns: 2 } })).get(ChatMemoryService);
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    for (const id of ids) await memory.append(id, 'user', 'first'); // script cached on every master
    const masters = (await cluster.masters()).map(({ port }) => cluster.connect(port));
    for (const node of masters) {
      await expect(node.call('SCRIPT', 'FLUSH')).resolves.toBe('OK');
      await node.config('RESETSTAT');
    }
    for (const id of ids) await memory.appendTurn(id, 'q', 'a');
    for (const id of ids) {
      expect(roleContent(await memory.getHistory(id))).toEqual([
        { role: 'user', content: 'first' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ]);
    }
    // Each master answered EVALSHA with NOSCRIPT once, and the client fell back to EVAL.
    let noscript = 0;
    let evals = 0;
    for (const node of masters) {
      const stats = await node.info('commandstats');
      noscript += Number(/cmdstat_evalsha:.*failed_calls=(\d+)/.exec(stats)?.[1] ?? 0);
      evals += Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    }
    expect(noscript).toBeGreaterThanOrEqual(1);
    expect(evals).toBeGreaterThanOrEqual(1);
  });

  it('reports up with latency in the health indicator, and boots with connection.failFast', async () => {
    const moduleRef = await bootModule({
      imports: [
        ChatMemoryModule.forRoot({
          cluster: { nodes: cluster.startupNodes },
          connection: { failFast: true, readyTimeoutMs: 5000 },
        }),
        TerminusModule,
      ],
      providers: [ChatMemoryHealthIndicator],
    });
    const result = await moduleRef.get(ChatMemoryHealthIndicator).isHealthy('redis-cluster');
    expect(result).toEqual({ 'redis-cluster': { status: 'up', latencyMs: expect.any(Number) } });
  });

  it('uses a Cluster client passed as `client`, and leaves it open on shutdown', async () => {
    const client = new Cluster(cluster.startupNodes);
    try {
      const moduleRef = await bootModule({
        imports: [ChatMemoryModule.forRoot({ client, config: { keyPrefix: uniquePrefix() } })],
      });
      const memory = moduleRef.get(ChatMemoryService);
      await memory.appendTurn('given', 'q', 'a');
      await expect(memory.count('given')).resolves.toBe(2);
      await moduleRef.close();
      expect(client.status).toBe('ready');
    } finally {
      await client.quit();
    }
  });

  // Last: it stops a master for good (its replica takes over).
  it('survives a master failing during traffic: recovers by itself and keeps acknowledged writes', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const watcher = watchProcess();
    onTestFinished(() => watcher.dispose());
    const keyPrefix = uniquePrefix('failover');
    const memory = (
      await boot({
        config: { keyPrefix, maxTurns: 10_000 },
        connection: { commandTimeoutMs: 1000 },
      })
    ).get(ChatMemoryService);
    const ids = Array.from({ length: 24 }, (_, i) => `conv-${i}`);

    const traffic = writeTraffic(memory, ids);
    await traffic.until((acked) => acked >= ids.length * 5);
    // Every write acknowledged so far is on the replicas before the master is stopped.
    const [victim] = (await cluster.masters()).filter((master) => master.replicas.length > 0);
    const before = traffic.snapshot();
    await waitForReplicaSync(
      cluster.connect(victim.port),
      victim.replicas.map((p) => cluster.connect(p)),
    );
    const onVictim = await cluster.connect(victim.port).keys(`${keyPrefix}:*`);
    expect(onVictim.length).toBeGreaterThan(0);

    await cluster.nodes.find((node) => node.port === victim.port)!.server.stop();
    const stoppedAt = Date.now();
    // The library recovers by itself: writes to every conversation succeed again.
    await traffic.untilAllSucceedAfter(stoppedAt, 30_000);
    const recoveredMs = Date.now() - stoppedAt;
    await traffic.stop();

    expect(recoveredMs).toBeLessThan(15_000);
    await traffic.verify(before);
    expect(watcher.problems).toEqual([]);
  }, 60_000);
});
