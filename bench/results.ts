import type { RunStats } from './harness.js';
import type { OperationName } from './competitors.js';

/** Facts about the machine and software, taken in the same run as the numbers. */
export interface MachineFacts {
  date: string;
  command: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  os: string;
  node: string;
  redis: string;
  versions: Record<string, string>;
}

export interface ThroughputRow {
  op: OperationName;
  concurrency: number;
  competitor: string;
  label: string;
  stats?: RunStats;
  /** ops/s of each round, in run order. */
  rounds?: number[];
  error?: string;
}

export interface RedisBenchmarkRow {
  op: 'append' | 'appendTurn' | 'getHistory';
  command: string;
  /** What sent it: the raw RESP driver (appends: bench/resp-driver.ts) or `redis-benchmark` (reads). */
  tool: 'driver' | 'redis-benchmark';
  concurrency: number;
  stats?: RunStats;
  error?: string;
}

export interface RoundTripRow {
  competitor: string;
  label: string;
  op: OperationName;
  ops: number;
  roundTripsPerOp: number;
  commands: string;
  scriptCommands: string;
  error?: string;
}

export interface MemoryRow {
  label: string;
  conversations: number;
  messages: number;
  jsonBytesPerMessage: number;
  /** MEMORY USAGE of the list and, for ours, of the window hash beside it, per message. */
  redisBytesPerMessage: number;
  /** Of which the window hash (ours; 0 for LangChain.js). */
  windowHashBytesPerMessage: number;
  ratio: number;
  usedMemoryPerMessage: number;
}

export interface GrowthRow {
  maxTurns: number;
  window: number;
  conversations: number;
  writtenPerConversation: number;
  storedPerConversation: number;
  append?: RunStats;
  getHistory?: RunStats;
  error?: string;
}

/** Everything one `npm run bench` measured (written as JSON next to the markdown). */
export interface BenchResults {
  machine: MachineFacts;
  settings: Record<string, unknown>;
  workload: { conversations: number; maxTurns: number; ttlSeconds: number; avgEntryBytes: number };
  throughput: ThroughputRow[];
  redisBenchmark: RedisBenchmarkRow[];
  roundTrips: RoundTripRow[];
  memory: MemoryRow[];
  growth: GrowthRow[];
  /** Sections added later (e.g. HTTP) put their rows here under their own name. */
  extra: Record<string, unknown>;
  errors: string[];
}
