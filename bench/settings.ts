/** Knobs of `npm run bench`, from the environment (see bench/README.md). */
export interface BenchSettings {
  quick: boolean;
  /** Sections to run, in order. */
  sections: string[];
  /** Competitor ids to run in the throughput and round-trip sections. */
  competitors: string[];
  concurrencies: number[];
  /** Operations of the throughput section. */
  operations: string[];
  /** Rounds per case; competitors take turns within a round, the median round is reported. */
  rounds: number;
  durationMs: number;
  warmupMs: number;
  /** Conversations the throughput workload is spread over. */
  conversations: number;
  /** Operations per competitor and operation in the round-trip count. */
  roundTripOps: number;
  /** Conversations written for the memory measurement. */
  memoryConversations: number;
  /** Conversations per window size in the growth section. */
  growthConversations: number;
  growthMaxTurns: number[];
  /** Window sizes (messages) of the `windows` section's append measurement. */
  windowSizes: number[];
  /** Conversations per window size there. */
  windowConversations: number;
  /** Calls in flight (and connections) there. */
  windowConcurrency: number;
  /** Messages of the long conversations of the `windows` section's token read. */
  tokensMessages: number;
  /** The `maxTokens` of that read. */
  tokensBudget: number;
  /** Long conversations written per competitor for it. */
  tokensConversations: number;
  tokensConcurrencies: number[];
  /** Calls counted one at a time for its bytes per call. */
  tokensByteCalls: number;
  /** Owned conversations in Redis for the `owners` listing, one measurement per total (ascending). */
  ownersTotals: number[];
  /** Conversations per owner there (and in its appends). */
  ownersPerOwner: number;
  /** Messages written to each of those conversations. */
  ownersMessages: number;
  /** Conversations per listing (`limit`, at most 100). */
  ownersListLimit: number;
  /** COUNT of the SCAN listing. */
  ownersScanCount: number;
  /** Length of one measured round of listings, in ms. */
  ownersListMs: number;
  /** redis-benchmark requests per connection (so every concurrency runs about as long). */
  redisBenchmarkRequests: (concurrency: number) => number;
  outDir: string;
}

export const ALL_SECTIONS = [
  'throughput',
  'redis-benchmark',
  'round-trips',
  'memory',
  'growth',
  'tools',
  'windows',
  'owners',
  'telemetry',
  'http',
];
export const ALL_COMPETITORS = [
  'ours',
  'ours-autopipe',
  'seed',
  'floor',
  'floor-bare',
  'floor-node-redis',
  'langchain',
];

function list(value: string | undefined, fallback: string[]): string[] {
  if (!value) return fallback;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function num(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`not a positive number: ${value}`);
  return parsed;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const sections = list(env.BENCH_SECTIONS, ALL_SECTIONS);
  for (const section of sections) {
    if (!ALL_SECTIONS.includes(section))
      throw new Error(`unknown section in BENCH_SECTIONS: ${section}`);
  }
  const competitors = list(env.BENCH_COMPETITORS, ALL_COMPETITORS);
  for (const id of competitors) {
    if (!ALL_COMPETITORS.includes(id))
      throw new Error(`unknown competitor in BENCH_COMPETITORS: ${id}`);
  }
  // The floors' script is taken from ours, and the targets compare ours against the floors and LangChain.
  if (!competitors.includes('ours')) competitors.unshift('ours');
  const requestScale = num(env.BENCH_RB_SCALE, quick ? 0.05 : 1);
  return {
    quick,
    sections,
    competitors,
    operations: list(env.BENCH_OPS, ['append', 'appendTurn', 'getHistory']),
    concurrencies: list(env.BENCH_CONCURRENCY, ['1', '16', '64']).map((c) => num(c, 1)),
    rounds: num(env.BENCH_ROUNDS, quick ? 1 : 3),
    durationMs: num(env.BENCH_DURATION_MS, quick ? 150 : 800),
    warmupMs: num(env.BENCH_WARMUP_MS, quick ? 50 : 200),
    conversations: num(env.BENCH_CONVERSATIONS, quick ? 200 : 1000),
    roundTripOps: num(env.BENCH_RT_OPS, quick ? 20 : 200),
    memoryConversations: num(env.BENCH_MEMORY_CONVERSATIONS, quick ? 50 : 1000),
    growthConversations: num(env.BENCH_GROWTH_CONVERSATIONS, quick ? 10 : 100),
    growthMaxTurns: list(env.BENCH_GROWTH_MAX_TURNS, ['10', '100', '1000']).map((t) => num(t, 10)),
    windowSizes: list(env.BENCH_WINDOW_SIZES, ['20', '200', '2000']).map((n) => {
      const size = num(n, 20);
      if (size % 2 !== 0)
        throw new Error(`BENCH_WINDOW_SIZES: ${n} is not even (a window of whole turns)`);
      return size;
    }),
    windowConversations: num(env.BENCH_WINDOW_CONVERSATIONS, quick ? 8 : 50),
    windowConcurrency: num(env.BENCH_WINDOW_CONCURRENCY, 16),
    tokensMessages: 2 * Math.round(num(env.BENCH_TOKENS_MESSAGES, 2000) / 2),
    tokensBudget: num(env.BENCH_TOKENS_BUDGET, 4000),
    tokensConversations: num(env.BENCH_TOKENS_CONVERSATIONS, quick ? 4 : 16),
    tokensConcurrencies: list(env.BENCH_TOKENS_CONCURRENCY, ['1', '16']).map((c) => num(c, 1)),
    tokensByteCalls: num(env.BENCH_TOKENS_BYTE_CALLS, quick ? 5 : 20),
    ownersTotals: list(
      env.BENCH_OWNERS_CONVERSATIONS,
      quick ? ['1000', '5000'] : ['10000', '100000'],
    )
      .map((n) => num(n, 10_000))
      .sort((a, b) => a - b),
    ownersPerOwner: num(env.BENCH_OWNERS_PER_OWNER, 100),
    ownersMessages: num(env.BENCH_OWNERS_MESSAGES, 2),
    ownersListLimit: Math.min(100, num(env.BENCH_OWNERS_LIMIT, 50)),
    ownersScanCount: num(env.BENCH_OWNERS_SCAN_COUNT, 1000),
    ownersListMs: num(env.BENCH_OWNERS_LIST_MS, quick ? 150 : 1500),
    redisBenchmarkRequests: (c) =>
      Math.max(100, Math.round((c === 1 ? 10_000 : 100_000) * requestScale)),
    outDir: env.BENCH_OUT ?? 'bench/results',
  };
}
