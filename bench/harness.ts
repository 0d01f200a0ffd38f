import { performance } from 'node:perf_hooks';

/** One operation of a competitor; `i` is the sequence number of the call within the run. */
export type Operation = (i: number) => Promise<unknown>;

/** Ops/s and latency of one closed-loop run. */
export interface RunStats {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** CPU time (user + system) of this whole Node.js process per operation, in microseconds: the client-side cost. */
  cpuUsPerOp: number;
}

class Samples {
  private data = new Float64Array(1 << 14);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** The value below which `q` (0..1) of the sorted samples lie (nearest rank). */
export function percentile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs `op` with `concurrency` calls in flight from this process (closed loop: each worker starts
 * its next call when its previous one settles) for `durationMs`, and measures every call. The
 * first error aborts the run and is thrown.
 */
export async function runClosedLoop(
  op: Operation,
  concurrency: number,
  durationMs: number,
  record = true,
): Promise<RunStats> {
  const samples = new Samples();
  let next = 0;
  let failure: unknown;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  const worker = async () => {
    while (failure === undefined) {
      const now = performance.now();
      if (now >= end) return;
      const i = next++;
      try {
        await op(i);
      } catch (error) {
        failure ??= error;
        return;
      }
      last = performance.now();
      if (record) samples.push(last - now);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  if (failure !== undefined) throw failure;
  const sorted = samples.sorted();
  const seconds = (last - start) / 1000;
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    ops: sorted.length,
    seconds,
    opsPerSec: sorted.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    cpuUsPerOp: (cpu.user + cpu.system) / Math.max(1, sorted.length),
  };
}

function med(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Combines several runs of the same case: the median round's ops/s, and the median of the
 * rounds' p50, p99 and mean (rounds last equally long).
 */
export function combineRounds(rounds: RunStats[]): RunStats {
  const ops = rounds.reduce((n, r) => n + r.ops, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return {
    ops,
    seconds,
    opsPerSec: med(rounds.map((r) => r.opsPerSec)),
    p50Ms: med(rounds.map((r) => r.p50Ms)),
    p99Ms: med(rounds.map((r) => r.p99Ms)),
    meanMs: med(rounds.map((r) => r.meanMs)),
    cpuUsPerOp: med(rounds.map((r) => r.cpuUsPerOp)),
  };
}

/** Runs `gc()` when node was started with `--expose-gc`, so one case's garbage is not billed to the next. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}
