import { Redis } from 'ioredis';
import {
  createFloor,
  createLangChain,
  createNodeRedisFloor,
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
import { ownersSection } from './owners.js';
import { telemetrySection } from './telemetry.js';
import { toolsSection } from './tools.js';
import { openRespConnections, sendOnIdle } from './resp-driver.js';
import { encodeText, skippedOf, windowAppendPrefix, windowsSection } from './windows.js';
import { windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';
import { floorMessageId } from './competitors.js';
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
    } else if (id === 'floor-node-redis') {
      competitors.push(await createNodeRedisFloor(url, workload, ours.appendScript()));
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
    competitor.prefillWith,
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

/**
 * The server's own limit: the same append script (ours' window append, with the store's KEYS and
 * ARGV and a new id per message) sent by the raw RESP driver with `c` connections, and
 * `redis-benchmark` running `LRANGE key 0 -1` for `getHistory`, on the same prefilled windows.
 * `redis-benchmark` cannot send the appends: it replaces each `__rand_int__` with its own random
 * number, so the list key and its window hash key would not match, nor the id argument and the
 * id inside the entry, and without it every call repeats an id that the script skips.
 */
export const redisBenchmarkSection: BenchSection = {
  name: 'redis-benchmark',
  async run(ctx) {
    const { settings, workload } = ctx;
    const ours = await createOurs(ctx.url, workload);
    const script = ours.appendScript();
    await ours.close();
    await ctx.admin.script('LOAD', script.source);
    const keyspace = workload.conversations;
    // redis-benchmark's __rand_int__ is a 12-digit, zero-padded number below -r.
    const keys = Array.from(
      { length: keyspace },
      (_, n) => `bench:rb:${String(n).padStart(12, '0')}`,
    );
    const ttlMs = workload.ttlSeconds * 1000;
    // Entries in ours' native format, as ours and the floor write them and are prefilled with.
    const users = workload.userTexts.map((text) => encodeText('user', text));
    const assistants = workload.assistantTexts.map((text) => encodeText('assistant', text));
    const one = keys.map((key) => windowAppendPrefix(key, workload.maxTurns, ttlMs, 1));
    const two = keys.map((key) => windowAppendPrefix(key, workload.maxTurns, ttlMs, 2));
    let written = 0;
    const encoded = (texts: ReturnType<typeof encodeText>[], t: number) => {
      const id = floorMessageId(written++);
      const text = texts[t % texts.length];
      return text.open + id + text.mid + id + text.close;
    };
    const commands = {
      // Per conversation, user and assistant alternate (as in the throughput workload).
      append: (i: number) => {
        const m = Math.floor(i / keyspace);
        return one[i % keyspace] + encoded(m % 2 === 0 ? users : assistants, m >> 1);
      },
      appendTurn: (i: number) => two[i % keyspace] + encoded(users, i) + encoded(assistants, i),
    };
    const shown = (count: number) =>
      `EVALSHA ${script.sha.slice(0, 8)}… 2 bench:rb:<n> bench:rb:<n>:w:{bench:rb:<n>} ${workload.maxTurns} 0 0 ${ttlMs} 0 ${count} <entry> <id> <role> <tokens> 0${count === 2 ? ' …' : ''}`;
    const prefillAll = async () => {
      await ctx.admin.flushdb('SYNC');
      await ctx.admin.script('LOAD', script.source);
      await prefill(
        ctx.admin,
        keys,
        workload.maxTurns * 2,
        (k) =>
          nativeEntry(
            k % 2 === 0 ? 'user' : 'assistant',
            k % 2 === 0 ? workload.userTexts[0] : workload.assistantTexts[0],
            k,
          ),
        'window',
        workload.ttlSeconds,
      );
    };
    for (const op of ['append', 'appendTurn'] as const) {
      for (const concurrency of settings.concurrencies) {
        const command = shown(op === 'append' ? 1 : 2);
        const connections = await openRespConnections(ctx.port, concurrency);
        try {
          await prefillAll();
          let skipped = 0;
          const build = commands[op];
          const send = async (i: number) => {
            const reply = await sendOnIdle(connections, build(i));
            if (skippedOf(reply) !== 0) skipped++;
          };
          await runClosedLoop(send, concurrency, settings.warmupMs, false);
          const stats = await runClosedLoop(send, concurrency, settings.durationMs);
          if (skipped > 0) throw new Error(`${skipped} calls had messages skipped as duplicates`);
          const lengths = await Promise.all(keys.map((key) => ctx.admin.llen(key)));
          if (Math.max(...lengths) > workload.maxTurns * 2) {
            throw new Error(`windows grew to ${Math.max(...lengths)} messages`);
          }
          ctx.results.redisBenchmark.push({ op, command, tool: 'driver', concurrency, stats });
          ctx.log(`raw RESP driver ${op} c=${concurrency}: ${fmt(stats)}`);
        } catch (error) {
          ctx.results.redisBenchmark.push({
            op,
            command,
            tool: 'driver',
            concurrency,
            error: message(error),
          });
        } finally {
          for (const connection of connections) await connection.close();
        }
      }
    }
    if (!hasRedisBenchmark()) {
      ctx.results.errors.push(
        'redis-benchmark not found (apt-get install redis-tools): getHistory rows skipped',
      );
      return;
    }
    const command = ['LRANGE', 'bench:rb:__rand_int__', '0', '-1'];
    for (const concurrency of settings.concurrencies) {
      try {
        await prefillAll();
        const stats = await redisBenchmark(
          ctx.port,
          concurrency,
          settings.redisBenchmarkRequests(concurrency),
          keyspace,
          command,
        );
        ctx.results.redisBenchmark.push({
          op: 'getHistory',
          command: command.join(' '),
          tool: 'redis-benchmark',
          concurrency,
          stats,
        });
        ctx.log(`redis-benchmark getHistory c=${concurrency}: ${fmt(stats)}`);
      } catch (error) {
        ctx.results.redisBenchmark.push({
          op: 'getHistory',
          command: command.join(' '),
          tool: 'redis-benchmark',
          concurrency,
          error: message(error),
        });
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
        // The conversation lists (ours keeps a window hash beside each, counted with it).
        const keys = (await ctx.admin.keys(`${competitor.keyPrefix}:*`)).filter(
          (key) => !key.includes(':w:{'),
        );
        let redisBytes = 0;
        let hashBytes = 0;
        let jsonBytes = 0;
        let messages = 0;
        for (const key of keys) {
          redisBytes += Number(await ctx.admin.memory('USAGE', key, 'SAMPLES', 0));
          hashBytes += Number(
            (await ctx.admin.memory('USAGE', windowKeyOf(key), 'SAMPLES', 0)) ?? 0,
          );
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
          redisBytesPerMessage: (redisBytes + hashBytes) / messages,
          windowHashBytesPerMessage: hashBytes / messages,
          ratio: (redisBytes + hashBytes) / jsonBytes,
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
  windows: windowsSection,
  owners: ownersSection,
  telemetry: telemetrySection,
};
