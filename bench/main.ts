import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer } from '../support/redis-server.js';
import { renderMarkdown } from './report.js';
import type { BenchResults, MachineFacts } from './results.js';
import { SECTIONS } from './sections.js';
import { readSettings } from './settings.js';
import { averageEntryBytes, defaultWorkload } from './workload.js';

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'not installed';
  }
}

function gitRevision(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs', 'bench'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return 'unknown';
  }
}

function benchCommand(): string {
  const knobs = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  return [...knobs, 'npm run bench'].join(' ');
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = Date.now();
  const log = (text: string) =>
    console.log(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
  // Nothing on disk, never the machine's own Redis: a fresh server on a free loopback port.
  const server = await startRedisServer(['--save', '', '--appendonly', 'no']);
  const admin = new Redis(server.url);
  const workload = defaultWorkload(settings.conversations);
  const info = await admin.info('server');
  const field = (name: string) => new RegExp(`${name}:(\\S+)`).exec(info)?.[1] ?? '?';
  const machine: MachineFacts = {
    date: new Date().toISOString(),
    command: benchCommand(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    loadAverageAtStart: loadavg(),
    loadAverageAtEnd: [],
    os: `${type()} ${release()}`,
    node: process.version,
    redis: `${field('redis_version')} (${field('redis_mode')}, ${field('multiplexing_api')}, io-threads off)`,
    versions: {
      'nestjs-chat-memory': `${packageVersion('nestjs-chat-memory')} (git ${gitRevision()}, built dist)`,
      ioredis: packageVersion('ioredis'),
      '@nestjs/core': packageVersion('@nestjs/core'),
      '@langchain/redis': packageVersion('@langchain/redis'),
      '@langchain/core': packageVersion('@langchain/core'),
      'redis (node-redis: its floor, and @langchain/redis)': packageVersion('redis'),
    },
  };
  const results: BenchResults = {
    machine,
    settings: {
      quick: settings.quick,
      rounds: settings.rounds,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      concurrencies: settings.concurrencies,
      competitors: settings.competitors,
      sections: settings.sections,
    },
    workload: {
      conversations: workload.conversations,
      maxTurns: workload.maxTurns,
      ttlSeconds: workload.ttlSeconds,
      avgEntryBytes: averageEntryBytes(workload),
    },
    throughput: [],
    redisBenchmark: [],
    roundTrips: [],
    memory: [],
    growth: [],
    extra: {},
    errors: [],
  };
  log(
    `redis-server ${field('redis_version')} on ${server.url}; sections: ${settings.sections.join(', ')}`,
  );
  try {
    for (const name of settings.sections) {
      log(`section ${name}`);
      try {
        await SECTIONS[name].run({
          url: server.url,
          port: server.port,
          admin,
          settings,
          workload,
          results,
          log,
        });
      } catch (error) {
        results.errors.push(
          `section ${name} failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
        log(`section ${name} FAILED: ${String(error)}`);
      }
    }
  } finally {
    await admin.quit();
    await server.stop();
  }
  machine.loadAverageAtEnd = loadavg();
  const markdown = renderMarkdown(results);
  mkdirSync(settings.outDir, { recursive: true });
  const base = settings.quick ? 'quick' : 'latest';
  writeFileSync(join(settings.outDir, `${base}.md`), `${markdown}\n`);
  writeFileSync(join(settings.outDir, `${base}.raw.json`), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${markdown}`);
  log(`wrote ${join(settings.outDir, `${base}.md`)} and ${base}.raw.json`);
  if (results.errors.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
