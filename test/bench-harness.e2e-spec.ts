import { Redis } from 'ioredis';
import { ChatMemoryService } from 'nestjs-chat-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchMessageId, createOurs } from '../bench/competitors.js';
import type { BenchResults } from '../bench/results.js';
import { roundTripsSection, throughputSection, type BenchContext } from '../bench/sections.js';
import { readSettings } from '../bench/settings.js';
import { toolsSection, type ToolsResult } from '../bench/tools.js';
import { defaultWorkload, prefill } from '../bench/workload.js';
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
      extra: {},
      errors: [],
    } as unknown as BenchResults;
    const workload = defaultWorkload(settings.conversations);
    ctx = { url: server.url, port: server.port, admin, settings, workload, results, log };
  });
  afterAll(async () => {
    await admin.quit();
    await server.stop();
  });

  it("prefills windows that ours reads back whole (the floor's entries are ours' format)", async () => {
    const ours = await createOurs(server.url, ctx.workload, { id: 'harness-prefill' });
    try {
      await prefill(admin, ['bench:harness-prefill:p'], 20, ours.storedEntry, ours.pushCommand);
      const messages = await ours.app.get(ChatMemoryService).getHistory('p');
      expect(messages.map((m) => m.id)).toEqual(
        Array.from({ length: 20 }, (_, k) => benchMessageId(k)),
      );
      expect(messages[1]).toMatchObject({
        role: 'assistant',
        content: ctx.workload.assistantTexts[0],
      });
    } finally {
      await ours.close();
    }
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

  it('runs the tool-heavy workload: ours keeps every tool field, one round trip per turn', async () => {
    await toolsSection.run(ctx);
    const tools = ctx.results.extra.tools as ToolsResult;
    expect(ctx.results.errors).toEqual([]);
    expect(tools.checks.ours.lost).toEqual([]);
    expect(tools.checks.ours.kept).toEqual(
      expect.arrayContaining([
        'tool call id',
        'tool name',
        'tool call arguments, byte for byte',
        'toolCallId of the tool message',
      ]),
    );
    // LangChain.js keeps the arguments as a parsed object, not as the model's text.
    expect(tools.checks.langchain.lost).toEqual([
      expect.stringMatching(/^tool call arguments, byte for byte \(given back parsed/),
    ]);
    const trips = (competitor: string, op: string) =>
      tools.roundTrips.find((r) => r.competitor === competitor && r.op === op);
    expect(trips('ours', 'write turn')).toMatchObject({ roundTripsPerOp: 1, commands: 'EVALSHA' });
    expect(trips('ours', 'read window')?.roundTripsPerOp).toBe(1);
    expect(trips('langchain', 'write turn')?.roundTripsPerOp).toBe(8);
    expect(tools.rows).toHaveLength(2 * 2 * 2);
    for (const row of tools.rows) {
      expect(row.error).toBeUndefined();
      expect(row.stats?.ops).toBeGreaterThan(0);
    }
    expect(tools.memory.map((m) => [m.competitor, m.messages])).toEqual([
      ['ours', 20 * 20],
      ['langchain', 20 * 20],
    ]);
  });
});
