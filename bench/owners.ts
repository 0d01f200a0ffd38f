import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { ChatMemoryService } from 'nestjs-chat-memory';
import { SCRIPTS, windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';
import {
  createFloor,
  createOurs,
  ownedConversationOf,
  ownedKeys,
  type Competitor,
} from './competitors.js';
import { collectGarbage, combineRounds, runClosedLoop, type RunStats } from './harness.js';
import type { BenchContext, BenchSection } from './sections.js';
import {
  conversationOf,
  nativeEntry,
  prefill,
  windowAppendArgs,
  type Workload,
} from './workload.js';

// ---------------------------------------------------------------------------------------------
// Results.

export interface OwnersListRow {
  /** Owned conversations in Redis when measured, and their owners. */
  total: number;
  owners: number;
  /** DBSIZE when measured (Lists, window hashes, owners' indexes). */
  keys: number;
  method: 'ours' | 'scan';
  label: string;
  stats?: RunStats;
  rounds?: number[];
  /** Round trips per listing (SCAN calls and the pipelined reads; 1 for ours). */
  roundTripsPerCall?: number;
  /** CPU time of redis-server per listing (INFO cpu), median of the rounds. */
  serverCpuUsPerCall?: number;
  error?: string;
}

export interface OwnersSameRow {
  total: number;
  /** Owners whose listing was made both ways. */
  owners: string[];
  same: boolean;
  detail?: string;
}

export interface OwnersAppendRow {
  competitor: string;
  label: string;
  concurrency: number;
  stats?: RunStats;
  rounds?: number[];
  error?: string;
}

export interface OwnersResult {
  perOwner: number;
  messages: number;
  limit: number;
  scanCount: number;
  /** How the conversations were written, per total, and what was checked about them. */
  fills: { total: number; written: number; seconds: number; checks: string[]; error?: string }[];
  lists: OwnersListRow[];
  same: OwnersSameRow[];
  /** Conversations (and owners) the appends go round. */
  appendConversations: number;
  appends: OwnersAppendRow[];
  /** What was checked after the appends (owners' indexes, records). */
  appendChecks: string[];
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function serverCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return get('used_cpu_user') + get('used_cpu_sys');
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const ownerName = (n: number) => `o${n}`;

// ---------------------------------------------------------------------------------------------
// Writing owned conversations fast: the library's own window append script, with the KEYS and
// ARGV the store sends for an owned conversation (list, window hash, the owner's index; the
// conversation id as the last ARGV), pipelined.

/** Lexicographic order of Redis (bytes), for ids made of ASCII characters. */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A fixed pseudo-random permutation of 0..n-1 (so each owner's conversations end in a random order). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, k) => k);
  let state = seed >>> 0 || 1;
  for (let k = n - 1; k > 0; k--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (k + 1);
    [order[k], order[j]] = [order[j], order[k]];
  }
  return order;
}

/**
 * Writes conversations `from`..`to - 1` (`perOwner` per owner) of `keyPrefix` with `messages`
 * text messages each, one EVALSHA per message, message by message over all of them (the second
 * pass in a shuffled order, so each owner's conversations end up with distinct, random last
 * activity times); returns the number of EVALSHAs sent.
 */
async function writeOwned(
  admin: Redis,
  keyPrefix: string,
  workload: Workload,
  range: { from: number; to: number },
  perOwner: number,
  messages: number,
): Promise<number> {
  await admin.script('LOAD', SCRIPTS.windowAppend.source);
  const ttlMs = workload.ttlSeconds * 1000;
  const argsOf = Array.from({ length: messages }, (_, k) => {
    const role = k % 2 === 0 ? 'user' : 'assistant';
    const texts = role === 'user' ? workload.userTexts : workload.assistantTexts;
    return windowAppendArgs([nativeEntry(role, texts[k >> 1], k)], workload.maxTurns, ttlMs);
  });
  const count = range.to - range.from;
  let sent = 0;
  for (let k = 0; k < messages; k++) {
    const order = k === 0 ? null : shuffled(count, 7919 * (k + 1) + range.from);
    for (let at = 0; at < count; at += 2000) {
      const pipeline = admin.pipeline();
      for (let n = at; n < Math.min(count, at + 2000); n++) {
        const c = range.from + (order ? order[n] : n);
        const { owner, conversationId } = ownedConversationOf(c, perOwner);
        const { list, windowHash, index } = ownedKeys(keyPrefix, owner, conversationId);
        pipeline.evalsha(
          SCRIPTS.windowAppend.sha,
          3,
          list,
          windowHash,
          index,
          ...argsOf[k],
          conversationId,
        );
      }
      const replies = (await pipeline.exec()) ?? [];
      for (const [error, reply] of replies) {
        if (error) throw error;
        // { length, skipped, 2 * trimmed + created }: nothing skipped or trimmed, the record created
        // on the first message.
        const [length, skipped, created] = reply as number[];
        if (length !== k + 1 || skipped !== 0 || created !== (k === 0 ? 1 : 0)) {
          throw new Error(`owned write ${k}: reply ${JSON.stringify(reply)}`);
        }
      }
      sent += replies.length;
    }
  }
  return sent;
}

/** Fills the owned conversations of a competitor with full windows, as `prefill` does unowned ones. */
async function prefillOwned(
  admin: Redis,
  competitor: Competitor,
  workload: Workload,
  perKey: number,
): Promise<void> {
  const perOwner = competitor.owners!;
  const entries = Array.from({ length: perKey }, (_, k) => competitor.storedEntry(k));
  const args = windowAppendArgs(entries, perKey, workload.ttlSeconds * 1000);
  await admin.script('LOAD', SCRIPTS.windowAppend.source);
  for (let from = 0; from < workload.conversations; from += 500) {
    const pipeline = admin.pipeline();
    for (let c = from; c < Math.min(workload.conversations, from + 500); c++) {
      const { owner, conversationId } = ownedConversationOf(c, perOwner);
      const { list, windowHash, index } = ownedKeys(competitor.keyPrefix, owner, conversationId);
      pipeline.evalsha(
        SCRIPTS.windowAppend.sha,
        3,
        list,
        windowHash,
        index,
        ...args,
        conversationId,
      );
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The SCAN-and-filter listing (the way Mastra's Redis store lists a resource's threads: SCAN over
// the whole keyspace, read what is needed for each key found, sort in memory, take a page).

export interface ScanListing {
  ids: string[];
  roundTrips: number;
}

/**
 * The newest `limit` conversations of `owner` without an index: `SCAN 0 MATCH <prefix>:{owner}:*
 * COUNT <count>` until the cursor is back at 0 (the whole keyspace), the window hashes dropped
 * (they match too), then one pipeline of `HGET <window hash> uA` (the last activity the library
 * records), sorted newest first (ties: id descending, as the owner's index orders them), the
 * first `limit` taken.
 */
export async function scanListing(
  redis: Redis,
  keyPrefix: string,
  owner: string,
  limit: number,
  count: number,
): Promise<ScanListing> {
  const base = `${keyPrefix}:{${owner}}:`;
  const lists: string[] = [];
  let cursor = '0';
  let roundTrips = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', count);
    roundTrips++;
    cursor = next;
    for (const key of found) if (!key.includes(':w:{')) lists.push(key);
  } while (cursor !== '0');
  const pipeline = redis.pipeline();
  for (const list of lists) pipeline.hget(windowKeyOf(list), 'uA');
  const replies = (await pipeline.exec()) ?? [];
  roundTrips++;
  const rows = lists.map((list, k) => ({
    id: list.slice(base.length),
    at: Number(replies[k][1]),
  }));
  rows.sort((a, b) => b.at - a.at || byBytes(b.id, a.id));
  return { ids: rows.slice(0, limit).map((row) => row.id), roundTrips };
}

// ---------------------------------------------------------------------------------------------
// (1) The newest conversations of one owner: ours' index against SCAN, at two totals.

async function measureListings(ctx: BenchContext, result: OwnersResult): Promise<void> {
  const { settings, admin } = ctx;
  const perOwner = result.perOwner;
  const workload: Workload = { ...ctx.workload, conversations: perOwner };
  const ours = await createOurs(ctx.url, workload, { id: 'owners' });
  const memory = ours.app.get(ChatMemoryService);
  const keyPrefix = ours.keyPrefix;
  // The SCAN listing's client: configured like ours' (its commandTimeout).
  const scanner = new Redis(ctx.url, { commandTimeout: ours.commandTimeout() });
  try {
    await admin.flushdb('SYNC');
    let written = 0;
    for (const total of [...settings.ownersTotals].sort((a, b) => a - b)) {
      const owners = Math.ceil(total / perOwner);
      const fill = {
        total,
        written: 0,
        seconds: 0,
        checks: [] as string[],
        error: undefined as string | undefined,
      };
      result.fills.push(fill);
      try {
        const started = performance.now();
        fill.written = await writeOwned(
          admin,
          keyPrefix,
          workload,
          { from: written, to: owners * perOwner },
          perOwner,
          result.messages,
        );
        fill.seconds = (performance.now() - started) / 1000;
        written = owners * perOwner;
        fill.checks.push(...(await checkFill(ctx, memory, keyPrefix, owners, result)));
      } catch (error) {
        fill.error = errorText(error);
        ctx.results.errors.push(`owners: writing ${total} conversations: ${fill.error}`);
        return;
      }
      ctx.log(
        `owners: ${total} owned conversations of ${owners} owners written (${fill.written} EVALSHAs in ${fill.seconds.toFixed(1)} s); ${fill.checks.join('; ')}`,
      );
      const keys = await admin.dbsize();
      // Owners taken in a stride over all of them, so no one owner's keys stay hot.
      const ownerOf = (i: number) => ownerName((i * 7919) % owners);
      let roundTrips = 0;
      const ops: Record<'ours' | 'scan', (i: number) => Promise<unknown>> = {
        ours: (i) => memory.listConversations(ownerOf(i), { limit: result.limit }),
        scan: async (i) => {
          const listing = await scanListing(
            scanner,
            keyPrefix,
            ownerOf(i),
            result.limit,
            result.scanCount,
          );
          roundTrips = listing.roundTrips;
          return listing;
        },
      };
      // Both give the same ids, newest first, for a few owners.
      const sample = [...new Set([0, Math.floor(owners / 2), owners - 1])].map(ownerName);
      const same: OwnersSameRow = { total, owners: sample, same: true };
      for (const owner of sample) {
        const page = await memory.listConversations(owner, { limit: result.limit });
        const mine = page.conversations.map((c) => c.id);
        const theirs = (
          await scanListing(scanner, keyPrefix, owner, result.limit, result.scanCount)
        ).ids;
        if (mine.length !== Math.min(result.limit, perOwner) || mine.join() !== theirs.join()) {
          same.same = false;
          same.detail = `${owner}: ours [${mine.slice(0, 5).join(', ')}, …] (${mine.length}), SCAN [${theirs.slice(0, 5).join(', ')}, …] (${theirs.length})`;
          ctx.results.errors.push(`owners: listings differ at ${total}: ${same.detail}`);
        }
      }
      result.same.push(same);
      const rows: Record<'ours' | 'scan', OwnersListRow> = {
        ours: {
          total,
          owners,
          keys,
          method: 'ours',
          label: `ours, \`listConversations(owner, { limit: ${result.limit} })\``,
          roundTripsPerCall: 1,
        },
        scan: {
          total,
          owners,
          keys,
          method: 'scan',
          label: `SCAN MATCH COUNT ${result.scanCount}, pipelined HGET uA, sort`,
        },
      };
      const rounds: Record<'ours' | 'scan', RunStats[]> = { ours: [], scan: [] };
      const cpu: Record<'ours' | 'scan', number[]> = { ours: [], scan: [] };
      for (let round = 0; round < settings.rounds; round++) {
        const order: ('ours' | 'scan')[] = round % 2 === 0 ? ['ours', 'scan'] : ['scan', 'ours'];
        for (const method of order) {
          if (rows[method].error) continue;
          try {
            collectGarbage();
            await runClosedLoop(ops[method], 1, settings.warmupMs, false);
            const before = await serverCpuSeconds(admin);
            const stats = await runClosedLoop(ops[method], 1, settings.ownersListMs);
            const after = await serverCpuSeconds(admin);
            rounds[method].push(stats);
            cpu[method].push(((after - before) * 1e6) / stats.ops);
          } catch (error) {
            rows[method].error = errorText(error);
          }
        }
      }
      rows.scan.roundTripsPerCall = roundTrips;
      for (const method of ['ours', 'scan'] as const) {
        const row = rows[method];
        if (rounds[method].length > 0) {
          row.stats = combineRounds(rounds[method]);
          row.rounds = rounds[method].map((s) => s.opsPerSec);
          row.serverCpuUsPerCall = median(cpu[method]);
        }
        if (row.error)
          ctx.results.errors.push(`owners: ${method} listing at ${total}: ${row.error}`);
        result.lists.push(row);
        ctx.log(
          `owners list ${method} total=${total}: ${row.stats ? `${row.stats.opsPerSec.toFixed(1)}/s mean ${row.stats.meanMs.toFixed(3)} ms p50 ${row.stats.p50Ms.toFixed(3)} ms p99 ${row.stats.p99Ms.toFixed(3)} ms, server CPU ${row.serverCpuUsPerCall?.toFixed(0)} µs/call, ${row.roundTripsPerCall} round trips` : ''}${row.error ? ` ERROR ${row.error}` : ''}`,
        );
      }
    }
  } finally {
    await scanner.quit();
    await ours.close();
  }
}

/**
 * Checks that the conversations written raw are what the library makes: listed by
 * `listConversations` with their message count and times; keys, types, fields and TTLs as for a
 * conversation written through `forOwner(owner).append` (written, compared, then deleted).
 */
async function checkFill(
  ctx: BenchContext,
  memory: ChatMemoryService,
  keyPrefix: string,
  owners: number,
  result: OwnersResult,
): Promise<string[]> {
  const { admin } = ctx;
  const checks: string[] = [];
  const last = ownerName(owners - 1);
  const page = await memory.listConversations(last, { limit: Math.min(100, result.perOwner) });
  const counts = new Set(page.conversations.map((c) => c.messageCount));
  const ordered = page.conversations.every(
    (c, k, all) => k === 0 || all[k - 1].updatedAt >= c.updatedAt,
  );
  const timed = page.conversations.every((c) => c.createdAt > 0 && c.updatedAt >= c.createdAt);
  if (
    page.conversations.length !== Math.min(100, result.perOwner) ||
    counts.size !== 1 ||
    !counts.has(result.messages) ||
    !ordered ||
    !timed
  ) {
    throw new Error(
      `listConversations(${last}) gave ${page.conversations.length} conversations, counts ${[...counts].join(',')}, ordered ${ordered}, times ${timed}`,
    );
  }
  checks.push(
    `listConversations(${last}) lists ${page.conversations.length}, newest first, each of ${result.messages} messages`,
  );
  const history = await memory.forOwner(last).getHistory(page.conversations[0].id);
  if (history.length !== result.messages) {
    throw new Error(`getHistory gave ${history.length} messages`);
  }
  // The same conversation through the library: same key types, hash fields, entry fields, TTLs.
  const reference = 'bench-owners-reference';
  const scoped = memory.forOwner(reference);
  for (let k = 0; k < result.messages; k++) {
    await scoped.append('c0', k % 2 === 0 ? 'user' : 'assistant', `message ${k}`);
  }
  const shapeOf = async (owner: string, id: string) => {
    const { list, windowHash, index } = ownedKeys(keyPrefix, owner, id);
    const fields = (await admin.hkeys(windowHash)).map((f) => (f.startsWith('i') ? 'i*' : f));
    const entry = JSON.parse((await admin.lindex(list, 0)) ?? '{}') as Record<string, unknown>;
    return JSON.stringify({
      types: [await admin.type(list), await admin.type(windowHash), await admin.type(index)],
      fields: fields.sort(),
      entry: Object.keys(entry),
      ttl: [await admin.pttl(list), await admin.pttl(windowHash), await admin.pttl(index)].map(
        (t) => t > 0,
      ),
      indexed: (await admin.zscore(index, id)) !== null,
    });
  };
  const theirs = await shapeOf(reference, 'c0');
  const mine = await shapeOf(last, page.conversations[0].id);
  await memory.deleteOwner(reference);
  if (mine !== theirs) throw new Error(`raw write ${mine} differs from the library's ${theirs}`);
  checks.push(`keys, fields and TTLs as the library writes them (${theirs})`);
  return checks;
}

// ---------------------------------------------------------------------------------------------
// (2) append on an owned conversation against its floor, unowned ones for reference.

async function measureAppends(ctx: BenchContext, result: OwnersResult): Promise<void> {
  const { settings, admin, workload } = ctx;
  const perOwner = result.perOwner;
  const ours = await createOurs(ctx.url, workload);
  const oursOwned = await createOurs(ctx.url, workload, {
    id: 'ours-owned',
    label: 'ours, `forOwner(owner).append(id, role, text)`',
    owners: perOwner,
  }).catch(async (error: unknown) => {
    await ours.close();
    throw error;
  });
  const commandTimeout = ours.commandTimeout();
  const competitors: Competitor[] = [ours, oursOwned];
  try {
    competitors.push(
      await createFloor(ctx.url, workload, ours.appendScript(), {
        id: 'floor',
        label: `floor (raw EVALSHA, 2 KEYS; commandTimeout ${commandTimeout} ms like ours)`,
        redisOptions: { commandTimeout },
      }),
      await createFloor(ctx.url, workload, ours.appendScript(), {
        id: 'floor-owned',
        label: 'owned floor (raw EVALSHA, 3 KEYS with the index, the id as last ARGV)',
        redisOptions: { commandTimeout },
        owners: perOwner,
      }),
    );
    // Order in the tables: unowned ours, its floor, owned ours, its floor.
    competitors.sort(
      (a, b) =>
        ['ours', 'floor', 'ours-owned', 'floor-owned'].indexOf(a.id) -
        ['ours', 'floor', 'ours-owned', 'floor-owned'].indexOf(b.id),
    );
    const window = workload.maxTurns * 2;
    for (const concurrency of settings.concurrencies) {
      // Full windows for everyone, once per concurrency: appends keep them at their size.
      await admin.flushdb('SYNC');
      for (const competitor of competitors) {
        if (competitor.owners === undefined) {
          const keys = Array.from(
            { length: workload.conversations },
            (_, c) => `${competitor.keyPrefix}:${conversationOf(workload, c)}`,
          );
          await prefill(admin, keys, window, competitor.storedEntry, 'window', workload.ttlSeconds);
        } else {
          await prefillOwned(admin, competitor, workload, window);
        }
      }
      const rounds = new Map<string, RunStats[]>();
      const failed = new Map<string, string>();
      for (let round = 0; round < settings.rounds; round++) {
        for (let k = 0; k < competitors.length; k++) {
          const competitor = competitors[(k + round) % competitors.length];
          if (failed.has(competitor.id)) continue;
          try {
            collectGarbage();
            const operation = competitor.run.append;
            await runClosedLoop(operation, concurrency, settings.warmupMs, false);
            const stats = await runClosedLoop(operation, concurrency, settings.durationMs);
            rounds.set(competitor.id, [...(rounds.get(competitor.id) ?? []), stats]);
          } catch (error) {
            failed.set(competitor.id, errorText(error));
          }
        }
      }
      for (const competitor of competitors) {
        const stats = rounds.get(competitor.id);
        const error = failed.get(competitor.id);
        result.appends.push({
          competitor: competitor.id,
          label: competitor.label,
          concurrency,
          ...(stats ? { stats: combineRounds(stats), rounds: stats.map((s) => s.opsPerSec) } : {}),
          ...(error ? { error } : {}),
        });
        if (error)
          ctx.results.errors.push(`owners: append ${competitor.id} c=${concurrency}: ${error}`);
        ctx.log(
          `owners append c=${concurrency} ${competitor.id}: ${stats ? `${Math.round(combineRounds(stats).opsPerSec)} ops/s p50 ${combineRounds(stats).p50Ms.toFixed(3)} ms p99 ${combineRounds(stats).p99Ms.toFixed(3)} ms` : ''}${error ? ` ERROR ${error}` : ''}`,
        );
      }
      if (concurrency === settings.concurrencies[settings.concurrencies.length - 1]) {
        result.appendChecks.push(
          ...(await checkOwnedAppends(admin, competitors, workload, perOwner)),
        );
      }
    }
  } finally {
    for (const competitor of competitors) await competitor.close();
    await admin.flushdb('SYNC');
  }
}

/** After the owned appends: every owner's index holds its conversations, scored by recent writes. */
async function checkOwnedAppends(
  admin: Redis,
  competitors: Competitor[],
  workload: Workload,
  perOwner: number,
): Promise<string[]> {
  const checks: string[] = [];
  const owners = Math.ceil(workload.conversations / perOwner);
  const [seconds] = await admin.time();
  const now = Number(seconds) * 1000;
  for (const competitor of competitors.filter((c) => c.owners !== undefined)) {
    const cards: number[] = [];
    let stale = 0;
    for (let o = 0; o < owners; o++) {
      const index = `${competitor.keyPrefix}:{${ownerName(o)}}`;
      cards.push(await admin.zcard(index));
      const newest = await admin.zrevrange(index, 0, 0, 'WITHSCORES');
      if (!(Number(newest[1]) > now - 60_000)) stale++;
    }
    const line = `${competitor.id}: ${owners} owners' indexes of ${Math.min(...cards)}-${Math.max(...cards)} conversations, ${owners - stale} scored in the last minute`;
    checks.push(line);
    if (Math.min(...cards) !== Math.min(perOwner, workload.conversations) || stale > 0) {
      throw new Error(`owned appends did not keep the index: ${line}`);
    }
  }
  return checks;
}

/**
 * Owners (issue 11): (1) the newest conversations of one owner, ours' index against a SCAN of the
 * keyspace, with 10,000 and 100,000 owned conversations in Redis; (2) append on an owned
 * conversation against the same script called raw, unowned append for reference.
 */
export const ownersSection: BenchSection = {
  name: 'owners',
  async run(ctx) {
    const { settings } = ctx;
    const result: OwnersResult = {
      perOwner: settings.ownersPerOwner,
      messages: settings.ownersMessages,
      limit: settings.ownersListLimit,
      scanCount: settings.ownersScanCount,
      fills: [],
      lists: [],
      same: [],
      appendConversations: ctx.workload.conversations,
      appends: [],
      appendChecks: [],
    };
    ctx.results.extra.owners = result;
    try {
      await measureListings(ctx, result);
    } catch (error) {
      ctx.results.errors.push(`owners: listings failed: ${errorText(error)}`);
    }
    try {
      await measureAppends(ctx, result);
    } catch (error) {
      ctx.results.errors.push(`owners: appends failed: ${errorText(error)}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Report.

const int = (n: number | undefined) =>
  n !== undefined && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
const ms = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(3) : '-');
const rate = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '-' : n >= 100 ? int(n) : n.toFixed(1);
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-');
const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][]) =>
  [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
const verdict = (ok: boolean | undefined) =>
  ok === undefined ? 'not measured' : ok ? 'yes' : 'NO';

function listRow(result: OwnersResult, total: number, method: 'ours' | 'scan') {
  return result.lists.find((r) => r.total === total && r.method === method);
}

function appendRate(result: OwnersResult, id: string, c: number): number {
  return (
    result.appends.find((r) => r.competitor === id && r.concurrency === c)?.stats?.opsPerSec ??
    Number.NaN
  );
}

/** The targets of issue 11, from this run's numbers. */
export function ownersTargets(
  result: OwnersResult,
): { target: string; measured: string; met: string }[] {
  const rows: { target: string; measured: string; met: string }[] = [];
  const totals = [...new Set(result.lists.map((r) => r.total))].sort((a, b) => a - b);
  if (totals.length > 0) {
    const small = totals[0];
    const large = totals[totals.length - 1];
    const p50 = (total: number, method: 'ours' | 'scan') =>
      listRow(result, total, method)?.stats?.p50Ms ?? Number.NaN;
    if (totals.length > 1) {
      const growth = p50(large, 'ours') / p50(small, 'ours');
      rows.push({
        target: `newest ${result.limit} conversations of an owner: time independent of the total (ours' p50 at ${int(large)} <= 1.5x at ${int(small)})`,
        measured: `ours ${ms(p50(small, 'ours'))} -> ${ms(p50(large, 'ours'))} ms (${x(growth)}); SCAN ${ms(p50(small, 'scan'))} -> ${ms(p50(large, 'scan'))} ms (${x(p50(large, 'scan') / p50(small, 'scan'))})`,
        met: verdict(Number.isFinite(growth) ? growth <= 1.5 : undefined),
      });
    }
    const ops = (method: 'ours' | 'scan') =>
      listRow(result, large, method)?.stats?.opsPerSec ?? Number.NaN;
    const faster = ops('ours') / ops('scan');
    rows.push({
      target: `newest ${result.limit} conversations: >= 100x faster than SCAN at ${int(large)} conversations`,
      measured: `ours / SCAN = ${x(faster)} (${rate(ops('ours'))} vs ${rate(ops('scan'))} listings/s)`,
      met: verdict(Number.isFinite(faster) ? faster >= 100 : undefined),
    });
    rows.push({
      target: 'ours and SCAN list the same ids, in the same order',
      measured: result.same
        .map((s) => `${int(s.total)}: ${s.same ? 'same' : `DIFFERENT (${s.detail})`}`)
        .join('; '),
      met: verdict(result.same.length > 0 ? result.same.every((s) => s.same) : undefined),
    });
  }
  for (const c of new Set(result.appends.map((r) => r.concurrency))) {
    const ratio = appendRate(result, 'ours-owned', c) / appendRate(result, 'floor-owned', c);
    rows.push({
      target: `owned append (index update included) within 10% of its floor, c=${c}`,
      measured: `ours / floor = ${x(ratio)}`,
      met: verdict(Number.isFinite(ratio) ? ratio >= 0.9 : undefined),
    });
  }
  return rows;
}

export function renderOwnersMarkdown(result: OwnersResult): string {
  const out: string[] = [];
  if (result.fills.length > 0) {
    out.push(`### The newest ${result.limit} conversations of one owner`);
    out.push('');
    out.push(
      `Owned conversations of ${result.messages} text messages each, ${result.perOwner} per owner, written raw by pipelined EVALSHAs of the library's window append script ` +
        "with the store's KEYS and ARGV for an owned conversation (list, window hash, the owner's index; the conversation id last), one message per call, " +
        "the last message's pass in a shuffled order so each owner's conversations have distinct last-activity times. Checked against the library: " +
        result.fills
          .map((f) => `${int(f.total)}: ${f.error ? `ERROR ${f.error}` : f.checks.join('; ')}`)
          .join(' / ') +
        '. ' +
        `Ours: \`memory.listConversations(owner, { limit: ${result.limit} })\` through the built package (one EVALSHA of the owner list script: ZRANGE of the owner's index, LLEN and HMGET per conversation). ` +
        `SCAN: \`SCAN <cursor> MATCH <prefix>:{<owner>}:* COUNT ${result.scanCount}\` until the cursor is back at 0, window hashes dropped, one pipeline of \`HGET <window hash> uA\` for the keys found, sorted newest first in memory, the first ${result.limit} taken ` +
        "(Mastra's Redis store lists a resource's threads with a SCAN of every thread key, an MGET of them all and a filter by resource in memory: more work than this). " +
        'c=1, owners taken in a stride over all of them; "server CPU" is the CPU time of redis-server per listing (INFO cpu).',
    );
    out.push('');
    const rows: string[][] = [];
    for (const total of [...new Set(result.lists.map((r) => r.total))].sort((a, b) => a - b)) {
      const ours = listRow(result, total, 'ours');
      const scan = listRow(result, total, 'scan');
      for (const row of [ours, scan]) {
        if (!row) continue;
        const s = row.stats;
        rows.push([
          int(total),
          int(row.owners),
          int(row.keys),
          row.label,
          s ? rate(s.opsPerSec) : `error: ${row.error}`,
          ms(s?.meanMs),
          ms(s?.p50Ms),
          ms(s?.p99Ms),
          int(s?.ops),
          int(row.serverCpuUsPerCall),
          String(row.roundTripsPerCall ?? '-'),
          row.method === 'ours' && ours?.stats && scan?.stats
            ? x(ours.stats.opsPerSec / scan.stats.opsPerSec)
            : '',
        ]);
      }
    }
    out.push(
      table(
        [
          'conversations',
          'owners',
          'keys in Redis',
          'listing',
          'listings/s',
          'mean ms',
          'p50 ms',
          'p99 ms',
          'listings measured',
          'server CPU µs/listing',
          'round trips',
          'ours / SCAN',
        ],
        rows,
      ),
    );
    out.push('');
    out.push(
      `Same ${result.limit} ids, same order: ` +
        result.same
          .map(
            (s) =>
              `${int(s.total)}: ${s.same ? 'yes' : `NO (${s.detail})`} (owners ${s.owners.join(', ')})`,
          )
          .join('; ') +
        '.',
    );
    out.push('');
  }
  if (result.appends.length > 0) {
    out.push('### Append one text message: owned (index update) against its floor');
    out.push('');
    out.push(
      `${result.appendConversations} conversations per competitor (owned ones: ${result.perOwner} per owner), each prefilled with a full window through the window append script, ` +
        "user and assistant alternating, as in `throughput`. Ours owned: `memory.forOwner(owner).append(id, role, text)` (forOwner on every call, as per request). Owned floor: raw ioredis EVALSHA of the same script with the store's 3 KEYS (list, window hash, the owner's index) " +
        'and ARGV (the conversation id last), entries serialized up front, a fresh id per call, the commandTimeout of ours. Unowned ours and floor for reference. ' +
        'Competitors take turns inside each round; median round. After the runs: ' +
        (result.appendChecks.join('; ') || '-') +
        '.',
    );
    out.push('');
    const rows: string[][] = [];
    for (const c of new Set(result.appends.map((r) => r.concurrency))) {
      for (const row of result.appends.filter((r) => r.concurrency === c)) {
        const s = row.stats;
        const owned = row.competitor.endsWith('-owned');
        const floor = appendRate(result, owned ? 'floor-owned' : 'floor', c);
        const unowned = appendRate(result, owned ? row.competitor.replace('-owned', '') : '', c);
        rows.push([
          String(c),
          row.label,
          s ? int(s.opsPerSec) : `error: ${row.error}`,
          ms(s?.p50Ms),
          ms(s?.p99Ms),
          s ? s.cpuUsPerOp.toFixed(1) : '-',
          s ? x(s.opsPerSec / floor) : '-',
          s && owned ? x(s.opsPerSec / unowned) : '',
        ]);
      }
    }
    out.push(
      table(
        [
          'c',
          'competitor',
          'ops/s',
          'p50 ms',
          'p99 ms',
          'client CPU µs/op',
          'vs its floor',
          'owned / unowned',
        ],
        rows,
      ),
    );
    out.push('');
  }
  return out.join('\n');
}
