import { NestFactory } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import {
  ChatMemoryModule,
  ChatMemoryService,
  InMemoryChatMemoryStore,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { openTelemetry } from 'nestjs-chat-memory/opentelemetry';
import { appendedMessageOf } from './competitors.js';
import { collectGarbage, combineRounds, runClosedLoop, type RunStats } from './harness.js';
import type { BenchContext, BenchSection } from './sections.js';
import { conversationOf } from './workload.js';

/** One case: the same calls with the `telemetry` option off, and on with no OpenTelemetry SDK. */
export interface TelemetryRow {
  store: 'redis' | 'memory';
  op: 'append' | 'getHistory';
  concurrency: number;
  off?: RunStats;
  on?: RunStats;
  offRounds?: number[];
  onRounds?: number[];
  error?: string;
}

export interface TelemetryResult {
  rows: TelemetryRow[];
  rounds: number;
}

const STORES = ['redis', 'memory'] as const;
const OPS = ['append', 'getHistory'] as const;
const CONCURRENCIES = [1, 16];

/**
 * Telemetry off against on without an SDK: `ChatMemoryService` from the built package, once with
 * no `telemetry` option and once with `openTelemetry()` while no OpenTelemetry SDK is registered
 * (the API's no-op tracer and meter). On Redis, and on the in-memory store, where no network time
 * hides the client's own cost. The two take turns, round after round, on their own conversations.
 */
export const telemetrySection: BenchSection = {
  name: 'telemetry',
  async run(ctx) {
    const { settings } = ctx;
    if (trace.getTracer('bench').startSpan('probe').isRecording()) {
      throw new Error('an OpenTelemetry SDK is registered: this section measures the API alone');
    }
    // Short rounds, many of them, alternating: drift on a shared machine hits both alike.
    const rounds = Math.max(settings.rounds * 3, 3);
    const durationMs = Math.max(200, Math.round(settings.durationMs / 2));
    const result: TelemetryResult = { rows: [], rounds };
    ctx.results.extra.telemetry = result;
    for (const store of STORES) {
      if (store === 'redis') await ctx.admin.flushdb('SYNC');
      const off = await createService(ctx, store, false);
      const on = await createService(ctx, store, true);
      try {
        for (const op of OPS) {
          for (const concurrency of CONCURRENCIES) {
            const row: TelemetryRow = { store, op, concurrency };
            const offRuns: RunStats[] = [];
            const onRuns: RunStats[] = [];
            try {
              for (let round = 0; round < rounds; round++) {
                const order = round % 2 === 0 ? [off, on] : [on, off];
                for (const variant of order) {
                  collectGarbage();
                  const operation = variant.run[op];
                  await runClosedLoop(operation, concurrency, settings.warmupMs, false);
                  const stats = await runClosedLoop(operation, concurrency, durationMs);
                  (variant === off ? offRuns : onRuns).push(stats);
                }
              }
              Object.assign(row, {
                off: combineRounds(offRuns),
                on: combineRounds(onRuns),
                offRounds: offRuns.map((s) => s.opsPerSec),
                onRounds: onRuns.map((s) => s.opsPerSec),
              });
            } catch (error) {
              row.error = error instanceof Error ? error.message : String(error);
            }
            result.rows.push(row);
            ctx.log(
              `telemetry ${store} ${op} c=${concurrency}: ${row.error ?? `on/off ${ratio(row).toFixed(3)} (${Math.round(row.on!.opsPerSec)} / ${Math.round(row.off!.opsPerSec)} ops/s; CPU ${row.on!.cpuUsPerOp.toFixed(1)} / ${row.off!.cpuUsPerOp.toFixed(1)} µs per op)`}`,
            );
          }
        }
      } finally {
        await off.close();
        await on.close();
      }
    }
  },
};

interface Variant {
  run: Record<(typeof OPS)[number], (i: number) => Promise<unknown>>;
  close(): Promise<void>;
}

async function createService(
  ctx: BenchContext,
  store: 'redis' | 'memory',
  telemetry: boolean,
): Promise<Variant> {
  const { workload } = ctx;
  const options: ChatMemoryModuleOptions = {
    ...(store === 'redis' ? { url: ctx.url } : { store: new InMemoryChatMemoryStore() }),
    config: {
      maxTurns: workload.maxTurns,
      ttlSeconds: workload.ttlSeconds,
      keyPrefix: `bench:otel-${telemetry ? 'on' : 'off'}`,
    },
    ...(telemetry ? { telemetry: openTelemetry() } : {}),
  };
  const app = await NestFactory.createApplicationContext(ChatMemoryModule.forRoot(options), {
    logger: ['error', 'warn'],
  });
  const memory = app.get(ChatMemoryService);
  return {
    run: {
      append: (i) => {
        const { role, text } = appendedMessageOf(workload, i);
        return memory.append(conversationOf(workload, i), role, text);
      },
      getHistory: (i) => memory.getHistory(conversationOf(workload, i)),
    },
    close: () => app.close(),
  };
}

/** ops/s with telemetry on over off (1: no cost). */
export function ratio(row: TelemetryRow): number {
  return row.on && row.off ? row.on.opsPerSec / row.off.opsPerSec : Number.NaN;
}

const rounds = (values: number[] = []) => values.map((v) => Math.round(v)).join(' ');

export function renderTelemetryMarkdown(result: TelemetryResult): string {
  const lines = [
    `The same calls with no \`telemetry\` option (off) and with \`openTelemetry()\` while no OpenTelemetry SDK is registered (on), taking turns for ${result.rounds} rounds each. The in-memory store has no network time to hide the client's own cost. CPU is this process' user + system time per operation.`,
    '',
    '| store | operation | c | off ops/s | on ops/s | on / off | off CPU µs/op | on CPU µs/op | rounds on / off (ops/s) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of result.rows) {
    if (row.error || !row.on || !row.off) {
      lines.push(
        `| ${row.store} | ${row.op} | ${row.concurrency} | | | error: ${row.error ?? 'no data'} | | | |`,
      );
      continue;
    }
    lines.push(
      `| ${row.store} | ${row.op} | ${row.concurrency} | ${Math.round(row.off.opsPerSec)} | ${Math.round(row.on.opsPerSec)} | ${ratio(row).toFixed(3)} | ${row.off.cpuUsPerOp.toFixed(1)} | ${row.on.cpuUsPerOp.toFixed(1)} | ${rounds(row.onRounds)} / ${rounds(row.offRounds)} |`,
    );
  }
  return lines.join('\n');
}

/** The target of issue 13: append on Redis with telemetry on and no SDK within 2% of off. */
export function telemetryTargets(
  result: TelemetryResult,
): { target: string; measured: string; met: string }[] {
  const appends = result.rows.filter((r) => r.store === 'redis' && r.op === 'append');
  if (appends.length === 0) return [];
  const worst = Math.min(...appends.map(ratio));
  return [
    {
      target:
        'append with telemetry on and no OpenTelemetry SDK: within 2% of telemetry off (Redis)',
      measured: appends.map((r) => `c=${r.concurrency}: ${ratio(r).toFixed(3)}x`).join('; '),
      met: Number.isFinite(worst) ? (worst >= 0.98 ? 'yes' : 'no') : 'not measured',
    },
  ];
}
