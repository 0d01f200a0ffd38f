import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { RunStats } from './harness.js';

const run = promisify(execFile);

/** Whether `redis-benchmark` is on the PATH (it ships with Debian's `redis-tools`). */
export function hasRedisBenchmark(): boolean {
  try {
    execFileSync('redis-benchmark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `redis-benchmark` for one command at `concurrency` connections, `requests` requests,
 * `__rand_int__` in the arguments taking values below `keyspace`; returns its ops/s and latency.
 */
export async function redisBenchmark(
  port: number,
  concurrency: number,
  requests: number,
  keyspace: number,
  command: string[],
): Promise<RunStats> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(concurrency)];
  args.push('-n', String(requests), '-r', String(keyspace), '--csv', ...command);
  const started = Date.now();
  const { stdout } = await run('redis-benchmark', args, { maxBuffer: 1 << 20 });
  const seconds = (Date.now() - started) / 1000;
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  // The test name (first cell) repeats the command and may hold commas: read the last 7 cells.
  const lines = stdout.trim().split('\n');
  const header = lines[0].split(',').map((cell) => cell.replaceAll('"', ''));
  const values = lines[lines.length - 1].split(',').map((cell) => cell.replaceAll('"', ''));
  const get = (name: string) =>
    Number(values[values.length - (header.length - header.indexOf(name))]);
  const opsPerSec = get('rps');
  if (!Number.isFinite(opsPerSec)) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  return {
    ops: requests,
    seconds,
    opsPerSec,
    p50Ms: get('p50_latency_ms'),
    p99Ms: get('p99_latency_ms'),
    meanMs: get('avg_latency_ms'),
    cpuUsPerOp: Number.NaN,
  };
}
