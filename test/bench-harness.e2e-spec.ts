import { Redis } from 'ioredis';
import { ChatMemoryService, type ChatMessage } from 'nestjs-chat-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  benchMessageId,
  createNodeRedisFloor,
  createOurs,
  floorMessageId,
} from '../bench/competitors.js';
import type { BenchResults } from '../bench/results.js';
import { targets } from '../bench/report.js';
import {
  redisBenchmarkSection,
  roundTripsSection,
  throughputSection,
  type BenchContext,
} from '../bench/sections.js';
import { ownersSection, type OwnersResult } from '../bench/owners.js';
import { readSettings } from '../bench/settings.js';
import { toolsSection, type ToolsResult } from '../bench/tools.js';
import { windowsSection, type WindowsResult } from '../bench/windows.js';
import { defaultWorkload, prefill } from '../bench/workload.js';
import { windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';
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
      BENCH_COMPETITORS: 'ours,floor,floor-node-redis,langchain',
      BENCH_CONCURRENCY: '1,4',
      BENCH_ROUNDS: '1',
      BENCH_DURATION_MS: '40',
      BENCH_WARMUP_MS: '10',
      BENCH_CONVERSATIONS: '20',
      BENCH_RT_OPS: '10',
      BENCH_WINDOW_SIZES: '4,10',
      BENCH_WINDOW_CONVERSATIONS: '3',
      BENCH_WINDOW_CONCURRENCY: '2',
      BENCH_TOKENS_MESSAGES: '60',
      BENCH_TOKENS_BUDGET: '600',
      BENCH_TOKENS_CONVERSATIONS: '2',
      BENCH_TOKENS_CONCURRENCY: '1',
      BENCH_TOKENS_BYTE_CALLS: '3',
      BENCH_OWNERS_CONVERSATIONS: '40,120',
      BENCH_OWNERS_PER_OWNER: '10',
      BENCH_OWNERS_LIMIT: '5',
      BENCH_OWNERS_SCAN_COUNT: '50',
      BENCH_OWNERS_LIST_MS: '30',
    });
    const results = {
      throughput: [],
      redisBenchmark: [],
      roundTrips: [],
      memory: [],
      growth: [],
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
      const key = 'bench:harness-prefill:p';
      await prefill(admin, [key], 20, ours.storedEntry, ours.prefillWith);
      const memory = ours.app.get(ChatMemoryService);
      const ids = Array.from({ length: 20 }, (_, k) => benchMessageId(k));
      const messages = await memory.getHistory('p');
      expect(messages.map((m) => m.id)).toEqual(ids);
      expect(messages[1]).toMatchObject({
        role: 'assistant',
        content: ctx.workload.assistantTexts[0],
      });
      // Written through ours' own script: the window hash is there and matches the list, so a
      // windowed read selects inside Redis and an append trims one whole turn.
      expect(await admin.exists(windowKeyOf(key))).toBe(1);
      const last = await memory.getHistory('p', { maxTokens: 1000 });
      expect(last.map((m) => m.id)).toEqual(ids.slice(-last.length));
      expect(last.length % 2).toBe(0);
      await memory.append('p', 'user', 'one more');
      expect(await admin.llen(key)).toBe(19);
    } finally {
      await ours.close();
    }
  });

  it('the node-redis floor reads the window ours reads, and writes entries ours reads back', async () => {
    const ours = await createOurs(server.url, ctx.workload, { id: 'floor-node-redis' });
    // Ours on the floor's key prefix, so that each reads back what the other wrote.
    const floor = await createNodeRedisFloor(server.url, ctx.workload, ours.appendScript());
    try {
      expect(floor.keyPrefix).toBe(ours.keyPrefix);
      const key = `${floor.keyPrefix}:c0`;
      await admin.del(key, windowKeyOf(key));
      await prefill(admin, [key], 20, floor.storedEntry, floor.prefillWith, 3600);
      // Call 0 reads conversation c0: the same 20 messages, as raw entries and as ours' messages.
      const entries = (await floor.run.getHistory(0)) as { i: string; r: string; c: string }[];
      const messages = (await ours.run.getHistory(0)) as ChatMessage[];
      expect(entries).toHaveLength(20);
      expect(entries.map((e) => [e.i, e.r, e.c])).toEqual(
        messages.map((m) => [m.id, m.role, m.content]),
      );
      // Its append (call 0: a user message to c0) goes through ours' script: a new turn on a full
      // window trims the oldest one, and ours reads the message back.
      await floor.run.append(0);
      expect(await admin.llen(key)).toBe(19);
      const after = (await ours.run.getHistory(0)) as ChatMessage[];
      expect(after.at(-1)).toMatchObject({
        id: floorMessageId(0),
        role: 'user',
        content: ctx.workload.userTexts[0],
      });
    } finally {
      await floor.close();
      await ours.close();
    }
  });

  it('measures every competitor, operation and concurrency without errors', async () => {
    await throughputSection.run(ctx);
    const rows = ctx.results.throughput;
    expect(rows).toHaveLength(4 * 3 * 2);
    for (const row of rows) {
      expect(row.error).toBeUndefined();
      expect(row.stats?.ops).toBeGreaterThan(0);
      expect(row.stats?.p99Ms).toBeGreaterThanOrEqual(row.stats?.p50Ms ?? Infinity);
    }
    // The report states ours' read against the node-redis floor at every concurrency.
    const reads = targets(ctx.results).filter((t) => t.target.includes('node-redis floor'));
    expect(reads.map((t) => t.target)).toEqual([
      'getHistory: ours / node-redis floor >= 1.00x, c=1',
      'getHistory: ours / node-redis floor >= 1.00x, c=4',
    ]);
    for (const t of reads) {
      expect(t.measured).toMatch(/^\d+\.\d\dx \([\d,]+ vs [\d,]+ ops\/s; client CPU /);
      expect(['yes', 'NO']).toContain(t.met);
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
    // The window script: reads its hash, pushes, trims a whole turn (full windows), refreshes TTLs.
    expect(trips('ours', 'append')?.scriptCommands).toMatch(/^HMGET, .*RPUSH, .*LPOP.*PEXPIRE x2$/);
    expect(trips('floor', 'append')?.scriptCommands).toBe(trips('ours', 'append')?.scriptCommands);
    expect(trips('floor', 'appendTurn')?.scriptCommands).toBe(
      trips('ours', 'appendTurn')?.scriptCommands,
    );
    // The node-redis floor: the same script run the same way, and one LRANGE per read.
    for (const op of ['append', 'appendTurn'] as const) {
      expect(trips('floor-node-redis', op)).toMatchObject({
        roundTripsPerOp: 1,
        commands: 'EVALSHA',
        scriptCommands: trips('floor', op)?.scriptCommands,
      });
    }
    expect(trips('floor-node-redis', 'getHistory')).toMatchObject({
      roundTripsPerOp: 1,
      commands: 'LRANGE',
    });
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
    // Full windows: maxTurns (10) tool turns of 4 messages in each of the 20 conversations.
    expect(tools.memory.map((m) => [m.competitor, m.messages])).toEqual([
      ['ours', 20 * 40],
      ['langchain', 20 * 40],
    ]);
  });

  it('drives the window append script raw at the server (store KEYS and ARGV, fresh ids)', async () => {
    await redisBenchmarkSection.run(ctx);
    const rows = ctx.results.redisBenchmark;
    for (const op of ['append', 'appendTurn'] as const) {
      const mine = rows.filter((r) => r.op === op);
      expect(mine.map((r) => [r.tool, r.concurrency])).toEqual([
        ['driver', 1],
        ['driver', 4],
      ]);
      for (const row of mine) {
        expect(row.error).toBeUndefined();
        expect(row.stats?.ops).toBeGreaterThan(0);
      }
    }
    expect(ctx.results.errors).toEqual([]);
  });

  it('measures the old append script against the new one and the last-tokens read', async () => {
    await windowsSection.run(ctx);
    const windows = ctx.results.extra.windows as WindowsResult;
    expect(ctx.results.errors).toEqual([]);
    expect(windows.appends.map((r) => [r.window, r.script])).toEqual([
      [4, 'old'],
      [4, 'new'],
      [10, 'old'],
      [10, 'new'],
    ]);
    for (const row of windows.appends) {
      expect(row.error).toBeUndefined();
      expect(row.stats?.ops).toBeGreaterThan(0);
      expect(row.scriptUsPerCall).toBeGreaterThan(0);
    }
    for (const row of windows.appends.filter((r) => r.script === 'old')) {
      expect(row.inScript).toBe('RPUSH, LTRIM, PEXPIRE');
      expect(row.llen).toEqual([row.window, row.window]);
    }
    // Every call wrote (a fresh id each), the window stayed at its size, the hash did not grow.
    for (const row of windows.appends.filter((r) => r.script === 'new')) {
      expect(row.skipped).toBe(0);
      expect(row.inScript).toMatch(/^HMGET, .*RPUSH, .*LPOP x0\.50/);
      expect(row.llen?.[0]).toBeGreaterThanOrEqual(row.window - 1);
      expect(row.llen?.[1]).toBeLessThanOrEqual(row.window);
      expect(row.hlen?.[1]).toBeLessThanOrEqual(row.window + row.window / 2 + 9);
    }
    const tokens = windows.tokens!;
    expect(tokens.selected.same).toBe(true);
    expect(tokens.selected.ours).toBeGreaterThan(0);
    expect(tokens.selected.ours).toBeLessThan(60);
    const bytes = (id: string) => tokens.bytes.find((b) => b.competitor === id);
    expect(bytes('tokens-ours')?.roundTripsPerCall).toBe(1);
    expect(bytes('langchain')?.roundTripsPerCall).toBe(1);
    expect(bytes('tokens-ours')!.bytesFromRedisPerCall).toBeLessThan(
      bytes('langchain')!.bytesFromRedisPerCall / 2,
    );
    expect(tokens.rows.map((r) => [r.competitor, r.concurrency, r.error])).toEqual([
      ['tokens-ours', 1, undefined],
      ['langchain', 1, undefined],
    ]);
  });

  it("lists an owner's newest conversations both ways (same ids) and appends owned at the floor", async () => {
    await ownersSection.run(ctx);
    const owners = ctx.results.extra.owners as OwnersResult;
    expect(ctx.results.errors).toEqual([]);
    // Written raw, read back by the library exactly as if it had written them.
    expect(owners.fills.map((f) => [f.total, f.error])).toEqual([
      [40, undefined],
      [120, undefined],
    ]);
    expect(owners.fills[1].written).toBe(2 * 80);
    for (const fill of owners.fills) expect(fill.checks).toHaveLength(2);
    expect(owners.same.map((s) => s.same)).toEqual([true, true]);
    expect(owners.lists.map((r) => [r.total, r.owners, r.keys, r.method])).toEqual([
      [40, 4, 2 * 40 + 4, 'ours'],
      [40, 4, 2 * 40 + 4, 'scan'],
      [120, 12, 2 * 120 + 12, 'ours'],
      [120, 12, 2 * 120 + 12, 'scan'],
    ]);
    for (const row of owners.lists) {
      expect(row.error).toBeUndefined();
      expect(row.stats?.ops).toBeGreaterThan(0);
    }
    // SCAN walks the whole keyspace: more calls as it grows.
    const scans = owners.lists.filter((r) => r.method === 'scan').map((r) => r.roundTripsPerCall!);
    expect(scans[1]).toBeGreaterThan(scans[0]);
    expect(owners.appends.map((r) => [r.concurrency, r.competitor, r.error])).toEqual(
      [1, 4].flatMap((c) =>
        ['ours', 'floor', 'ours-owned', 'floor-owned'].map((id) => [c, id, undefined]),
      ),
    );
    expect(owners.appendChecks).toEqual([
      expect.stringMatching(/^ours-owned: 2 owners' indexes of 10-10 conversations/),
      expect.stringMatching(/^floor-owned: 2 owners' indexes of 10-10 conversations/),
    ]);
  });
});
