import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../bench/results.js';
import { roundTripsSection, throughputSection, type BenchContext } from '../bench/sections.js';
import { readSettings } from '../bench/settings.js';
import { defaultWorkload } from '../bench/workload.js';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';

const log = (): void => undefined;

// Smoke check of the bench harness (`npm run bench`), with tiny runs on a server of its own
// (the bench flushes its database). It proves the harness runs and counts; it measures nothing.
describe('bench harness (smoke)', () => {
  let server: TestRedisServer;
  let admin: Redis;
  let ctx: BenchContext;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    const settings = readSettings({
      BENCH_QUICK: '1',
      BENCH_COMPETITORS: 'ours,floor,langchain',
      BENCH_CONCURRENCY: '1,4',
      BENCH_ROUNDS: '1',
      BENCH_DURATION_MS: '40',
      BENCH_WARMUP_MS: '10',
      BENCH_CONVERSATIONS: '20',
      BENCH_RT_OPS: '10',
    });
    const results = {
      throughput: [],
      roundTrips: [],
      errors: [],
    } as unknown as BenchResults;
    const workload = defaultWorkload(settings.conversations);
    ctx = { url: server.url, port: server.port, admin, settings, workload, results, log };
  });
  afterAll(async () => {
    await admin.quit();
    await server.stop();
  });

  it('measures every competitor, operation and concurrency without errors', async () => {
    await throughputSection.run(ctx);
    const rows = ctx.results.throughput;
    expect(rows).toHaveLength(3 * 3 * 2);
    for (const row of rows) {
      expect(row.error).toBeUndefined();
      expect(row.stats?.ops).toBeGreaterThan(0);
      expect(row.stats?.p99Ms).toBeGreaterThanOrEqual(row.stats?.p50Ms ?? Infinity);
    }
  });

  it('counts one round trip per call for ours, two per LangChain.js addMessage', async () => {
    await roundTripsSection.run(ctx);
    const trips = (competitor: string, op: string) =>
      ctx.results.roundTrips.find((r) => r.competitor === competitor && r.op === op);
    for (const op of ['append', 'appendTurn', 'getHistory']) {
      expect(trips('ours', op)?.roundTripsPerOp).toBe(1);
    }
    expect(trips('ours', 'append')?.commands).toBe('EVALSHA');
    expect(trips('ours', 'append')?.scriptCommands).toBe('RPUSH, LTRIM, PEXPIRE');
    expect(trips('langchain', 'append')).toMatchObject({
      roundTripsPerOp: 2,
      commands: 'LPUSH, EXPIRE',
    });
    expect(trips('langchain', 'appendTurn')?.roundTripsPerOp).toBe(4);
  });
});
