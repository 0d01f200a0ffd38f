/**
 * HTTP-level benchmark (issue item 3): the example chat handler with `@RecordChatTurn()` against
 * the same handler without memory, and against the same work written by hand, on Express and
 * Fastify, measured with autocannon from this process against the app in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

export const HTTP_VARIANTS = ['plain', 'recorded', 'manual'] as const;
export type HttpVariant = (typeof HTTP_VARIANTS)[number];
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapter = (typeof HTTP_ADAPTERS)[number];

export interface HttpBenchSettings {
  connections: number;
  durationSeconds: number;
  rounds: number;
  conversations: number;
}

export interface HttpCaseResult {
  adapter: HttpAdapter;
  variant: HttpVariant;
  /** Requests per second of each round, in order. */
  rounds: number[];
  /** The median round. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface HttpBenchResult {
  settings: HttpBenchSettings;
  cases: HttpCaseResult[];
  /** Stored entries per conversation after the run, checked: recording really happened. */
  storedPerConversation: { min: number; max: number };
}

const MESSAGE = JSON.stringify({
  message: 'Remind me what we said about the quarterly report and the three action items?',
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startApp(
  adapter: HttpAdapter,
  redisUrl: string,
): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./http-app.js', import.meta.url));
  const child = spawn(process.execPath, [script, adapter, redisUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`http-app exited with ${code}`)));
  });
  return { port, child };
}

async function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function load(port: number, variant: HttpVariant, settings: HttpBenchSettings, seconds: number) {
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: settings.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: MESSAGE,
        setupRequest: (request) => ({
          ...request,
          path: `/${variant}/http-${next++ % settings.conversations}`,
        }),
      },
    ],
  });
}

/** Runs every adapter and variant; variants take turns within each round. */
export async function runHttpBench(
  redisUrl: string,
  settings: HttpBenchSettings,
  log: (text: string) => void = () => undefined,
): Promise<HttpBenchResult> {
  const cases: HttpCaseResult[] = [];
  const redis = new Redis(redisUrl);
  try {
    for (const adapter of HTTP_ADAPTERS) {
      await redis.flushall();
      const { port, child } = await startApp(adapter, redisUrl);
      try {
        // Warm-up, which also fills every conversation's window (recorded and manual both write).
        for (const variant of HTTP_VARIANTS) await load(port, variant, settings, 2);
        const samples = new Map<HttpVariant, autocannon.Result[]>(
          HTTP_VARIANTS.map((v) => [v, []]),
        );
        for (let round = 0; round < settings.rounds; round++) {
          const order = HTTP_VARIANTS.map(
            (_, i) => HTTP_VARIANTS[(i + round) % HTTP_VARIANTS.length],
          );
          for (const variant of order) {
            const result = await load(port, variant, settings, settings.durationSeconds);
            samples.get(variant)!.push(result);
            log(
              `http ${adapter} ${variant} round ${round + 1}: ${Math.round(result.requests.average)} req/s`,
            );
          }
        }
        for (const variant of HTTP_VARIANTS) {
          const results = samples.get(variant)!;
          const rps = results.map((r) => r.requests.average);
          const mid = results[rps.indexOf(median(rps))];
          cases.push({
            adapter,
            variant,
            rounds: rps,
            requestsPerSecond: median(rps),
            p50Ms: mid.latency.p50,
            p99Ms: mid.latency.p99,
            errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
            non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
          });
        }
      } finally {
        await stopApp(child);
      }
    }
    // Recording must really have happened: every conversation holds a full window.
    const lengths: number[] = [];
    for (let i = 0; i < settings.conversations; i++)
      lengths.push(await redis.llen(`chat-memory:http-${i}`));
    return {
      settings,
      cases,
      storedPerConversation: { min: Math.min(...lengths), max: Math.max(...lengths) },
    };
  } finally {
    redis.disconnect();
  }
}

/** The markdown table of an HTTP run, with the overhead of each variant against `plain`. */
export function renderHttpMarkdown(result: HttpBenchResult): string {
  const { settings } = result;
  const lines = [
    `autocannon, ${settings.connections} connections, ${settings.rounds} rounds of ${settings.durationSeconds} s per case ` +
      `(variants take turns), POST of a ${MESSAGE.length}-byte JSON body over ${settings.conversations} conversations; ` +
      `the app runs in a child process. After the run every conversation held ` +
      `${result.storedPerConversation.min}-${result.storedPerConversation.max} messages (window 20).`,
    '',
    '| adapter | handler | req/s (median round) | vs plain | p50 ms | p99 ms | errors / non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of result.cases) {
    const plain = result.cases.find((c) => c.adapter === row.adapter && c.variant === 'plain')!;
    const change =
      row.variant === 'plain'
        ? ''
        : `${(((row.requestsPerSecond - plain.requestsPerSecond) / plain.requestsPerSecond) * 100).toFixed(1)}%`;
    const name = {
      plain: 'plain: no memory',
      recorded: '`@RecordChatTurn()` + `@ConversationHistory()`',
      manual: 'by hand: `getHistory` + `appendTurn`',
    }[row.variant];
    lines.push(
      `| ${row.adapter} | ${name} | ${Math.round(row.requestsPerSecond)} | ${change} | ${row.p50Ms} | ${row.p99Ms} | ${row.errors} / ${row.non2xx} |`,
    );
  }
  for (const adapter of HTTP_ADAPTERS) {
    const get = (variant: HttpVariant) =>
      result.cases.find((c) => c.adapter === adapter && c.variant === variant)!.requestsPerSecond;
    lines.push(
      '',
      `${adapter}: the decorator against the same work by hand: ${(((get('recorded') - get('manual')) / get('manual')) * 100).toFixed(1)}% req/s.`,
    );
  }
  return lines.join('\n');
}
