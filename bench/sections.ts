import { Redis } from 'ioredis';
import {
  createFloor,
  createLangChain,
  createOurs,
  createSeed,
  OPERATIONS,
  type Competitor,
} from './competitors.js';
import { collectGarbage, combineRounds, runClosedLoop, type RunStats } from './harness.js';
import { redisBenchmark, hasRedisBenchmark } from './redis-benchmark.js';
import type { BenchResults } from './results.js';
import { describeCommands, startCommandLog, startRoundTripProxy } from './round-trips.js';
import type { BenchSettings } from './settings.js';
import { runHttpBench } from './http.js';
import { toolsSection } from './tools.js';
import {
  conversationOf,
  defaultWorkload,
  makeText,
  nativeEntry,
  prefill,
  type Workload,
} from './workload.js';

/** What every section gets: the bench's own Redis, an admin client on it, the settings, the results. */
export interface BenchContext {
  url: string;
  port: number;
  admin: Redis;
  settings: BenchSettings;
  workload: Workload;
  results: BenchResults;
  log(message: string): void;
}

/** The HTTP level: the example chat handler with and without `@RecordChatTurn()` (bench/http.ts). */
export const httpSection: BenchSection = {
  name: 'http',
  async run(ctx) {
    const quick = ctx.settings.quick;
    ctx.results.extra.http = await runHttpBench(
      ctx.url,
      {
        connections: 16,
        durationSeconds: quick ? 1 : 4,
        rounds: quick ? 1 : 3,
        conversations: 200,
      },
      ctx.log,
    );
  },
};

/** A part of the bench; `main.ts` runs the ones named in `BENCH_SECTIONS`, in order. */
export interface BenchSection {
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

const fmt = (stats: RunStats) =>
  `${Math.round(stats.opsPerSec)} ops/s p50 ${stats.p50Ms.toFixed(3)} ms p99 ${stats.p99Ms.toFixed(3)} ms`;

/** Creates the competitors named in the settings, all on `url`. */
export async function createCompetitors(
  url: string,
  workload: Workload,
  ids: string[],
): Promise<Competitor[]> {
  const ours = await createOurs(url, workload);
  const competitors: Competitor[] = [];
  for (const id of ids) {
    if (id === 'ours') competitors.push(ours);
    else if (id === 'ours-autopipe') {
      competitors.push(
        await createOurs(url, workload, {
          id: 'ours-autopipe',
          label: 'ours + enableAutoPipelining',
          redisOptions: { enableAutoPipelining: true },
        }),
      );
    } else if (id === 'seed') competitors.push(createSeed(url, workload));
    else if (id === 'floor') {
      const commandTimeout = ours.commandTimeout();
      competitors.push(
        await createFloor(url, workload, ours.appendScript(), {
          id,
          label: `floor (raw EVALSHA, pre-serialized; commandTimeout ${commandTimeout} ms like ours)`,
          redisOptions: { commandTimeout },
        }),
      );
    } else if (id === 'floor-bare') {
      competitors.push(
        await createFloor(url, workload, ours.appendScript(), {
          id,
          label: 'floor with ioredis defaults (no commandTimeout)',
          redisOptions: {},
        }),
      );
    } else if (id === 'langchain') competitors.push(await createLangChain(url, workload));
  }
  if (!ids.includes('ours')) await ours.close();
  return competitors;
}

function conversationKeys(competitor: { keyPrefix: string }, workload: Workload): string[] {
  return Array.from(
    { length: workload.conversations },
    (_, c) => `${competitor.keyPrefix}:${conversationOf(workload, c)}`,
  );
}

/** Empties the bench Redis and fills every conversation of `competitor` with a full window. */
async function resetAndPrefill(ctx: BenchContext, competitor: Competitor): Promise<void> {
  await ctx.admin.flushdb('SYNC');
  await prefill(
    ctx.admin,
    conversationKeys(competitor, ctx.workload),
    ctx.workload.maxTurns * 2,
    (k) => competitor.storedEntry(k),
    competitor.pushCommand,
    ctx.workload.ttlSeconds,
  );
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** 1. ops/s, p50 and p99 of append, appendTurn and getHistory for every competitor and concurrency. */
export const throughputSection: BenchSection = {
  name: 'throughput',
  async run(ctx) {
    const { settings, workload } = ctx;
    const competitors = await createCompetitors(ctx.url, workload, settings.competitors);
    try {
      for (const op of OPERATIONS.filter((name) => settings.operations.includes(name))) {
        for (const concurrency of settings.concurrencies) {
          const rounds = new Map<string, RunStats[]>();
          const failed = new Map<string, string>();
          for (let round = 0; round < settings.rounds; round++) {
            // Competitors take turns, starting one further each round, so drift hits all alike.
            for (let k = 0; k < competitors.length; k++) {
              const competitor = competitors[(k + round) % competitors.length];
              if (failed.has(competitor.id)) continue;
              try {
                await resetAndPrefill(ctx, competitor);
                collectGarbage();
                const operation = competitor.run[op];
                await runClosedLoop(operation, concurrency, settings.warmupMs, false);
                const stats = await runClosedLoop(operation, concurrency, settings.durationMs);
                rounds.set(competitor.id, [...(rounds.get(competitor.id) ?? []), stats]);
              } catch (error) {
                failed.set(competitor.id, message(error));
              }
            }
          }
          for (const competitor of competitors) {
            const error = failed.get(competitor.id);
            const stats = rounds.get(competitor.id);
            const row = {
              op,
              concurrency,
              competitor: competitor.id,
              label: competitor.label,
              ...(error ? { error } : {}),
              ...(stats
                ? { stats: combineRounds(stats), rounds: stats.map((s) => s.opsPerSec) }
                : {}),
            };
            ctx.results.throughput.push(row);
            ctx.log(
              `${op} c=${concurrency} ${competitor.id}: ${row.stats ? fmt(row.stats) : ''}${error ? ` ERROR ${error}` : ''}`,
            );
          }
        }
      }
    } finally {
      for (const competitor of competitors) await competitor.close();
    }
  },
};

/** The server's own limit: redis-benchmark running the same append script (and LRANGE) at the same concurrency. */
export const redisBenchmarkSection: BenchSection = {
  name: 'redis-benchmark',
  async run(ctx) {
    if (!hasRedisBenchmark()) {
      ctx.results.errors.push(
        'redis-benchmark not found (apt-get install redis-tools): section skipped',
      );
      return;
    }
    const { settings, workload } = ctx;
    const ours = await createOurs(ctx.url, workload);
    const script = ours.appendScript();
    await ours.close();
    await ctx.admin.script('LOAD', script.lua);
    const keyspace = workload.conversations;
    // redis-benchmark's __rand_int__ is a 12-digit, zero-padded number below -r.
    const keys = Array.from(
      { length: keyspace },
      (_, n) => `bench:rb:${String(n).padStart(12, '0')}`,
    );
    const max = String(workload.maxTurns * 2);
    const ttlMs = String(workload.ttlSeconds * 1000);
    // Entries in ours' native format, as ours and the floor write them and are prefilled with.
    const user = nativeEntry('user', workload.userTexts[0], 0);
    const assistant = nativeEntry('assistant', workload.assistantTexts[0], 1);
    const cases = [
      {
        op: 'append',
        command: ['EVALSHA', script.sha, '1', 'bench:rb:__rand_int__', max, ttlMs, user],
      },
      {
        op: 'appendTurn',
        command: ['EVALSHA', script.sha, '1', 'bench:rb:__rand_int__', max, ttlMs, user, assistant],
      },
      { op: 'getHistory', command: ['LRANGE', 'bench:rb:__rand_int__', '0', '-1'] },
    ] as const;
    for (const { op, command } of cases) {
      for (const concurrency of settings.concurrencies) {
        const shown = command
          .map((arg) => (arg.length > 20 ? `${arg.slice(0, 8)}…` : arg))
          .join(' ');
        try {
          await ctx.admin.flushdb('SYNC');
          await prefill(ctx.admin, keys, workload.maxTurns * 2, (k) =>
            k % 2 === 0 ? user : assistant,
          );
          const stats = await redisBenchmark(
            ctx.port,
            concurrency,
            settings.redisBenchmarkRequests(concurrency),
            keyspace,
            [...command],
          );
          ctx.results.redisBenchmark.push({ op, command: shown, concurrency, stats });
          ctx.log(`redis-benchmark ${op} c=${concurrency}: ${fmt(stats)}`);
        } catch (error) {
          ctx.results.redisBenchmark.push({
            op,
            command: shown,
            concurrency,
            error: message(error),
          });
        }
      }
    }
  },
};

/** 2. Round trips per operation, counted by a proxy, and the commands Redis ran, seen by MONITOR. */
export const roundTripsSection: BenchSection = {
  name: 'round-trips',
  async run(ctx) {
    const { settings, workload } = ctx;
    const proxy = await startRoundTripProxy(ctx.port);
    const competitors = await createCompetitors(proxy.url, workload, settings.competitors);
    try {
      for (const competitor of competitors) {
        for (const op of OPERATIONS) {
          try {
            await resetAndPrefill(ctx, competitor);
            const run = competitor.run[op];
            for (let i = 0; i < 20; i++) await run(i);
            const log = await startCommandLog(ctx.url);
            proxy.reset();
            const n = settings.roundTripOps;
            for (let i = 0; i < n; i++) await run(i);
            const roundTrips = proxy.roundTrips();
            const { topLevel, inScripts } = await log.stop();
            const row = {
              competitor: competitor.id,
              label: competitor.label,
              op,
              ops: n,
              roundTripsPerOp: roundTrips / n,
              commands: describeCommands(topLevel, n),
              scriptCommands: describeCommands(inScripts, n),
            };
            ctx.results.roundTrips.push(row);
            ctx.log(
              `round trips ${competitor.id} ${op}: ${row.roundTripsPerOp} (${row.commands}; in script: ${row.scriptCommands})`,
            );
          } catch (error) {
            ctx.results.roundTrips.push({
              competitor: competitor.id,
              label: competitor.label,
              op,
              ops: 0,
              roundTripsPerOp: Number.NaN,
              commands: '',
              scriptCommands: '',
              error: message(error),
            });
          }
        }
      }
    } finally {
      for (const competitor of competitors) await competitor.close();
      await proxy.close();
    }
  },
};

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** 4. Redis bytes per stored message (MEMORY USAGE of every key) against the JSON entry size. */
export const memorySection: BenchSection = {
  name: 'memory',
  async run(ctx) {
    const { settings } = ctx;
    const conversations = settings.memoryConversations;
    const variants = [
      { label: 'ours, short messages (~20 chars)', user: 20, assistant: 20, langchain: false },
      {
        label: 'ours, bench workload (~100/400 chars)',
        user: 100,
        assistant: 400,
        langchain: false,
      },
      { label: 'ours, long messages (~2000 chars)', user: 2000, assistant: 2000, langchain: false },
      { label: 'LangChain.js, bench workload', user: 100, assistant: 400, langchain: true },
    ];
    for (const variant of variants) {
      const workload: Workload = {
        ...defaultWorkload(conversations),
        userTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 1, variant.user)),
        assistantTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 101, variant.assistant)),
      };
      await ctx.admin.flushdb('SYNC');
      const before = await usedMemory(ctx.admin);
      const competitor = variant.langchain
        ? await createLangChain(ctx.url, workload)
        : await createOurs(ctx.url, workload);
      try {
        // Written through the competitor itself: a full window (maxTurns turns) per conversation.
        const turns = workload.maxTurns * conversations;
        await runTurns(competitor, turns, 16);
        const keys = await ctx.admin.keys(`${competitor.keyPrefix}:*`);
        let redisBytes = 0;
        let jsonBytes = 0;
        let messages = 0;
        for (const key of keys) {
          redisBytes += Number(await ctx.admin.memory('USAGE', key, 'SAMPLES', 0));
          const entries = await ctx.admin.lrange(key, 0, -1);
          messages += entries.length;
          for (const entry of entries) jsonBytes += Buffer.byteLength(entry);
        }
        const used = (await usedMemory(ctx.admin)) - before;
        const row = {
          label: variant.label,
          conversations: keys.length,
          messages,
          jsonBytesPerMessage: jsonBytes / messages,
          redisBytesPerMessage: redisBytes / messages,
          ratio: redisBytes / jsonBytes,
          usedMemoryPerMessage: used / messages,
        };
        ctx.results.memory.push(row);
        ctx.log(
          `memory ${row.label}: ${row.redisBytesPerMessage.toFixed(1)} B/msg in Redis vs ${row.jsonBytesPerMessage.toFixed(1)} B JSON (x${row.ratio.toFixed(3)})`,
        );
      } finally {
        await competitor.close();
      }
    }
  },
};

/** Writes `turns` turns spread over the competitor's conversations, `concurrency` at a time, through `appendTurn`. */
async function runTurns(competitor: Competitor, turns: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < turns) await competitor.run.appendTurn(next++);
    }),
  );
}

/** 5. append and getHistory latency of ours at c=1 as the window grows (maxTurns 10, 100, 1000). */
export const growthSection: BenchSection = {
  name: 'growth',
  async run(ctx) {
    const { settings } = ctx;
    for (const maxTurns of settings.growthMaxTurns) {
      const workload = defaultWorkload(settings.growthConversations, maxTurns);
      const window = maxTurns * 2;
      const ours = await createOurs(ctx.url, workload, { id: `ours-growth-${maxTurns}` });
      try {
        await resetAndPrefill({ ...ctx, workload }, ours);
        await runClosedLoop(ours.run.append, 1, settings.warmupMs, false);
        const append = await runClosedLoop(ours.run.append, 1, settings.durationMs * 2);
        const written = window + Math.round(append.ops / workload.conversations);
        await runClosedLoop(ours.run.getHistory, 1, settings.warmupMs, false);
        const getHistory = await runClosedLoop(ours.run.getHistory, 1, settings.durationMs * 2);
        const lengths = await Promise.all(
          conversationKeys(ours, workload).map((key) => ctx.admin.llen(key)),
        );
        const stored = Math.max(...lengths);
        ctx.results.growth.push({
          maxTurns,
          window,
          conversations: workload.conversations,
          writtenPerConversation: written,
          storedPerConversation: stored,
          append,
          getHistory,
        });
        ctx.log(
          `growth maxTurns=${maxTurns}: append ${fmt(append)}; getHistory ${fmt(getHistory)}`,
        );
      } catch (error) {
        ctx.results.growth.push({
          maxTurns,
          window,
          conversations: workload.conversations,
          writtenPerConversation: 0,
          storedPerConversation: 0,
          error: message(error),
        });
      } finally {
        await ours.close();
      }
    }
  },
};

/**
 * All sections by name. To add one, write a `BenchSection`, register it here and in
 * `ALL_SECTIONS` (settings.ts), store its rows in `results.extra[name]` and render them in report.ts.
 */
export const SECTIONS: Record<string, BenchSection> = {
  throughput: throughputSection,
  'redis-benchmark': redisBenchmarkSection,
  'round-trips': roundTripsSection,
  memory: memorySection,
  growth: growthSection,
  http: httpSection,
  tools: toolsSection,
};
