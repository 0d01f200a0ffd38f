import { trimMessages, type BaseMessage } from '@langchain/core/messages';
import type { Redis } from 'ioredis';
import { ChatMemoryService, estimateTokens } from 'nestjs-chat-memory';
import { SCRIPTS, windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';
import {
  createLangChain,
  createOurs,
  floorMessageId,
  messageOf,
  type Competitor,
} from './competitors.js';
import { collectGarbage, combineRounds, runClosedLoop, type RunStats } from './harness.js';
import { OLD_APPEND_SCRIPT, OLD_APPEND_SHA } from './old-append-script.js';
import { hasRedisBenchmark, redisBenchmark } from './redis-benchmark.js';
import { openRespConnections, sendOnIdle, type RespValue } from './resp-driver.js';
import { startRoundTripProxy } from './round-trips.js';
import type { BenchContext, BenchSection } from './sections.js';
import {
  conversationOf,
  defaultWorkload,
  makeText,
  nativeEntry,
  nativeEntryParts,
  prefill,
  textTokens,
  type Workload,
} from './workload.js';

// ---------------------------------------------------------------------------------------------
// Ready-made RESP commands of the append scripts, with a fresh id per call.

const bulk = (arg: string) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
/** Length of the ids the driver writes (`floorMessageId`): the same as ours' ULIDs. */
const ID_LENGTH = 26;

/**
 * A text message encoded for the RESP driver around its id (which appears twice: in the entry and
 * as the id argument of the new script). New script: `open + id + mid + id + close`; old script
 * (entry only): `open + id + entryClose`. The entry is ours' native one, byte for byte.
 */
export interface EncodedText {
  open: string;
  mid: string;
  close: string;
  entryClose: string;
}

export function encodeText(role: 'user' | 'assistant', text: string): EncodedText {
  const [head, tail] = nativeEntryParts(role, text);
  const entryBytes = Buffer.byteLength(head) + ID_LENGTH + Buffer.byteLength(tail);
  return {
    open: `$${entryBytes}\r\n${head}`,
    mid: `${tail}\r\n$${ID_LENGTH}\r\n`,
    close: `\r\n${bulk(role === 'user' ? 'u' : 'a')}${bulk(String(textTokens(role, text)))}${bulk('0')}`,
    entryClose: `${tail}\r\n`,
  };
}

/**
 * The start of `EVALSHA <window append> 2 <list> <window hash> <maxTurns> 0 0 <ttlMs> 0 <count>`,
 * as the store sends it for `count` text messages (each then `encodeText`'s parts around its id).
 */
export function windowAppendPrefix(
  key: string,
  maxTurns: number,
  ttlMs: number,
  count: number,
): string {
  const args = ['EVALSHA', SCRIPTS.windowAppend.sha, '2', key, windowKeyOf(key)];
  args.push(String(maxTurns), '0', '0', String(ttlMs), '0', String(count));
  return `*${args.length + 5 * count}\r\n${args.map(bulk).join('')}`;
}

/** The start of `EVALSHA <old append> 1 <list> <maxLength> <ttlMs>`, then one entry. */
export function oldAppendPrefix(key: string, maxLength: number, ttlMs: number): string {
  const args = ['EVALSHA', OLD_APPEND_SHA, '1', key, String(maxLength), String(ttlMs)];
  return `*${args.length + 1}\r\n${args.map(bulk).join('')}`;
}

/** The number of messages the new script skipped as already stored (reply `{ length, skipped, ... }`). */
export function skippedOf(reply: RespValue): number {
  return Array.isArray(reply) && typeof reply[1] === 'number' ? reply[1] : Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Results.

export interface WindowAppendRow {
  /** Messages in the window (what it is prefilled with, and what it stays at). */
  window: number;
  script: 'old' | 'new';
  /** `maxTurns` (new script) or max length (old script) the appends use. */
  limit: number;
  stats?: RunStats;
  rounds?: number[];
  /** `usec_per_call` of EVALSHA in INFO commandstats: the time the script ran inside Redis. */
  scriptUsPerCall?: number;
  /** Of which in the Redis commands it called (their `usec` in INFO commandstats); the rest is Lua. */
  commandsUsPerCall?: number;
  /** used_cpu_user + used_cpu_sys of redis-server per call (INFO cpu): all its work, I/O included. */
  serverCpuUsPerCall?: number;
  /** Commands the script ran per call (INFO commandstats), e.g. `RPUSH, LTRIM, PEXPIRE`. */
  inScript?: string;
  /** Messages the new script skipped as duplicates, over every measured call (must be 0). */
  skipped?: number;
  /** LLEN and HLEN (window hash) over the conversations after the runs: [min, max]. */
  llen?: [number, number];
  hlen?: [number, number];
  error?: string;
}

export interface RedisBenchmarkOldRow {
  window: number;
  command: string;
  /** ops/s of a half-user, half-assistant mix: the harmonic mean of the two runs. */
  opsPerSec: number;
  user?: RunStats;
  assistant?: RunStats;
  error?: string;
}

export interface TokenReadRow {
  competitor: string;
  label: string;
  concurrency: number;
  stats?: RunStats;
  rounds?: number[];
  error?: string;
}

export interface TokenBytesRow {
  competitor: string;
  label: string;
  calls: number;
  /** Bytes Redis sent to the competitor per call, counted by the proxy. */
  bytesFromRedisPerCall: number;
  bytesToRedisPerCall: number;
  roundTripsPerCall: number;
  /** `total_net_output_bytes` of INFO stats per call over the same calls (includes the proxy's connection only). */
  netOutputBytesPerCall: number;
  messagesReturned: number;
  error?: string;
}

export interface WindowsResult {
  /** SHA1s of the two append scripts measured. */
  scripts: { old: string; new: string };
  concurrency: number;
  conversations: number;
  appends: WindowAppendRow[];
  redisBenchmarkOld: RedisBenchmarkOldRow[];
  tokens?: {
    messages: number;
    maxTokens: number;
    conversations: number;
    userChars: number;
    assistantChars: number;
    /** What each returned for the same conversation: message count, and whether the messages are the same. */
    selected: { ours: number; langchain: number; same: boolean; oursFirstRole: string };
    bytes: TokenBytesRow[];
    rows: TokenReadRow[];
  };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// INFO helpers.

async function commandStats(admin: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await admin.info('commandstats');
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    stats.set(match[1].toUpperCase(), { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

async function serverCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return get('used_cpu_user') + get('used_cpu_sys');
}

async function netOutputBytes(admin: Redis): Promise<number> {
  const info = await admin.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

async function range(
  admin: Redis,
  keys: string[],
  command: 'llen' | 'hlen',
): Promise<[number, number]> {
  const pipeline = admin.pipeline();
  for (const key of keys) pipeline[command](key);
  const values = ((await pipeline.exec()) ?? []).map(([, value]) => Number(value));
  return [Math.min(...values), Math.max(...values)];
}

// ---------------------------------------------------------------------------------------------
// (a) Old against new append script, windows of 20, 200 and 2000 messages.

const pad12 = (n: number) => String(n).padStart(12, '0');

/** The order the scripts run their commands in, for listing INFO commandstats (which has none). */
const COMMAND_ORDER = [
  'HMGET',
  'LLEN',
  'HEXISTS',
  'RPUSH',
  'LTRIM',
  'HGET',
  'LPOP',
  'LPUSH',
  'HSET',
  'HDEL',
  'PEXPIRE',
];
const commandOrder = (name: string) => {
  const at = COMMAND_ORDER.indexOf(name);
  return at < 0 ? COMMAND_ORDER.length : at;
};

async function measureAppends(ctx: BenchContext, result: WindowsResult): Promise<void> {
  const { settings, admin } = ctx;
  const concurrency = result.concurrency;
  const conversations = result.conversations;
  const ttlMs = ctx.workload.ttlSeconds * 1000;
  // The throughput workload's texts (~100 / ~400 characters), user and assistant alternating.
  const workload: Workload = { ...defaultWorkload(conversations), maxTurns: 10 };
  const encoded = {
    user: workload.userTexts.map((text) => encodeText('user', text)),
    assistant: workload.assistantTexts.map((text) => encodeText('assistant', text)),
  };
  // Prefilled entries: ours' native ones with the ids of `benchMessageId`, never a driver id.
  const entryOf = (k: number) => {
    const { role, text } = messageOf(workload, k);
    return nativeEntry(role, text, k);
  };
  const connections = await openRespConnections(ctx.port, concurrency);
  try {
    for (const size of settings.windowSizes) {
      const maxTurns = size / 2;
      // redis-benchmark's __rand_int__ is 12 digits: the old script's keys are named so.
      const oldKeys = Array.from(
        { length: conversations },
        (_, n) => `bench:win-old:${size}:${pad12(n)}`,
      );
      const newKeys = Array.from(
        { length: conversations },
        (_, n) => `bench:win-new:${size}:c${n}`,
      );
      const oldPrefixes = oldKeys.map((key) => oldAppendPrefix(key, size, ttlMs));
      const newPrefixes = newKeys.map((key) => windowAppendPrefix(key, maxTurns, ttlMs, 1));
      await admin.flushdb('SYNC');
      await admin.script('LOAD', OLD_APPEND_SCRIPT);
      await admin.script('LOAD', SCRIPTS.windowAppend.source);
      // The same entries in both, full windows ending with an answer.
      await prefill(admin, oldKeys, size, entryOf, 'rpush', ctx.workload.ttlSeconds);
      await prefill(admin, newKeys, size, entryOf, 'window', ctx.workload.ttlSeconds);
      let skipped = 0;
      // One counter per script for the whole case, so ids never repeat across warm-up and rounds.
      const counters = { old: 0, new: 0 };
      const next = (script: 'old' | 'new') => {
        const n = counters[script]++;
        const c = n % conversations;
        // Within a conversation: user, assistant, user, ... (the prefilled window ends with an answer).
        const m = Math.floor(n / conversations);
        const texts = m % 2 === 0 ? encoded.user : encoded.assistant;
        return { c, text: texts[(m >> 1) % texts.length], id: floorMessageId(n) };
      };
      const ops: Record<'old' | 'new', (i: number) => Promise<unknown>> = {
        old: () => {
          const { c, text, id } = next('old');
          return sendOnIdle(connections, oldPrefixes[c] + text.open + id + text.entryClose);
        },
        new: async () => {
          const { c, text, id } = next('new');
          const reply = await sendOnIdle(
            connections,
            newPrefixes[c] + text.open + id + text.mid + id + text.close,
          );
          if (skippedOf(reply) !== 0) skipped++;
        },
      };
      const rows: Record<'old' | 'new', WindowAppendRow> = {
        old: { window: size, script: 'old', limit: size },
        new: { window: size, script: 'new', limit: maxTurns },
      };
      const rounds: Record<'old' | 'new', RunStats[]> = { old: [], new: [] };
      const extra: Record<
        'old' | 'new',
        { scriptUs: number[]; commandsUs: number[]; cpuUs: number[]; inScript: string }
      > = {
        old: { scriptUs: [], commandsUs: [], cpuUs: [], inScript: '' },
        new: { scriptUs: [], commandsUs: [], cpuUs: [], inScript: '' },
      };
      for (let round = 0; round < settings.rounds; round++) {
        const order: ('old' | 'new')[] = round % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
        for (const script of order) {
          if (rows[script].error) continue;
          try {
            collectGarbage();
            await runClosedLoop(ops[script], concurrency, settings.warmupMs, false);
            if (script === 'new') skipped = 0;
            await admin.config('RESETSTAT');
            const cpuBefore = await serverCpuSeconds(admin);
            const stats = await runClosedLoop(ops[script], concurrency, settings.durationMs);
            const cpu = (await serverCpuSeconds(admin)) - cpuBefore;
            const commands = await commandStats(admin);
            const evalsha = commands.get('EVALSHA');
            if (!evalsha || evalsha.calls < stats.ops) {
              throw new Error(
                `INFO commandstats counted ${evalsha?.calls} EVALSHA for ${stats.ops} calls`,
              );
            }
            if (script === 'new' && skipped > 0) {
              throw new Error(
                `the new script skipped ${skipped} of ${stats.ops} messages as duplicates`,
              );
            }
            rounds[script].push(stats);
            extra[script].scriptUs.push(evalsha.usec / evalsha.calls);
            extra[script].cpuUs.push((cpu * 1e6) / evalsha.calls);
            const inner = [...commands].filter(
              ([name]) => name !== 'EVALSHA' && name !== 'INFO' && !name.includes('|'),
            );
            extra[script].commandsUs.push(
              inner.reduce((sum, [, { usec }]) => sum + usec, 0) / evalsha.calls,
            );
            extra[script].inScript = inner
              .sort(([a], [b]) => commandOrder(a) - commandOrder(b) || a.localeCompare(b))
              .map(([name, { calls }]) => {
                const per = calls / evalsha.calls;
                return Math.abs(per - 1) < 0.005 ? name : `${name} x${per.toFixed(2)}`;
              })
              .join(', ');
          } catch (error) {
            rows[script].error = errorText(error);
          }
        }
      }
      for (const script of ['old', 'new'] as const) {
        const row = rows[script];
        const keys = script === 'old' ? oldKeys : newKeys;
        if (rounds[script].length > 0) {
          row.stats = combineRounds(rounds[script]);
          row.rounds = rounds[script].map((s) => s.opsPerSec);
          row.scriptUsPerCall = median(extra[script].scriptUs);
          row.commandsUsPerCall = median(extra[script].commandsUs);
          row.serverCpuUsPerCall = median(extra[script].cpuUs);
          row.inScript = extra[script].inScript;
        }
        row.llen = await range(admin, keys, 'llen');
        if (script === 'new') {
          row.skipped = skipped;
          row.hlen = await range(admin, keys.map(windowKeyOf), 'hlen');
          // The window stays at its size (size - 1 right after a question trimmed a turn), and the
          // hash holds one field per message, one per turn and 8 counters: nothing leaks.
          const ok =
            row.llen[0] >= size - 1 &&
            row.llen[1] <= size &&
            row.hlen[1] <= size + maxTurns + 1 + 8;
          if (!ok && !row.error) {
            row.error = `window not kept: LLEN ${row.llen.join('-')}, HLEN ${row.hlen.join('-')}`;
          }
        } else if ((row.llen[0] !== size || row.llen[1] !== size) && !row.error) {
          row.error = `window not kept: LLEN ${row.llen.join('-')}`;
        }
        if (row.error)
          ctx.results.errors.push(`windows: ${script} script, window ${size}: ${row.error}`);
        result.appends.push(row);
        ctx.log(
          `windows append ${script} window=${size}: ${row.stats ? `${Math.round(row.stats.opsPerSec)} ops/s, script ${row.scriptUsPerCall?.toFixed(1)} µs, server CPU ${row.serverCpuUsPerCall?.toFixed(1)} µs/call` : ''} LLEN ${row.llen.join('-')}${row.hlen ? ` HLEN ${row.hlen.join('-')}` : ''}${row.error ? ` ERROR ${row.error}` : ''}`,
        );
      }
      // redis-benchmark on the old script (it sends one fixed command, which suits the old
      // script; the new one needs a fresh id per call): a check on the RESP driver's numbers.
      if (hasRedisBenchmark()) {
        const old = rows.old.stats;
        const requests = Math.max(
          200,
          Math.round(((old?.opsPerSec ?? 5000) * settings.durationMs) / 1000),
        );
        const command = (text: string) => [
          'EVALSHA',
          OLD_APPEND_SHA,
          '1',
          `bench:win-old:${size}:__rand_int__`,
          String(size),
          String(ttlMs),
          text,
        ];
        const row: RedisBenchmarkOldRow = {
          window: size,
          command: `EVALSHA ${OLD_APPEND_SHA.slice(0, 8)}… 1 bench:win-old:${size}:__rand_int__ ${size} ${ttlMs} <entry>`,
          opsPerSec: Number.NaN,
        };
        try {
          row.user = await redisBenchmark(
            ctx.port,
            concurrency,
            requests,
            conversations,
            command(entryOf(0)),
          );
          row.assistant = await redisBenchmark(
            ctx.port,
            concurrency,
            requests,
            conversations,
            command(entryOf(1)),
          );
          row.opsPerSec = 2 / (1 / row.user.opsPerSec + 1 / row.assistant.opsPerSec);
          const llen = await range(admin, oldKeys, 'llen');
          if (llen[0] !== size || llen[1] !== size)
            throw new Error(`LLEN ${llen.join('-')} after redis-benchmark`);
        } catch (error) {
          row.error = errorText(error);
        }
        result.redisBenchmarkOld.push(row);
        ctx.log(
          `windows redis-benchmark old window=${size}: ${Math.round(row.opsPerSec)} ops/s${row.error ? ` ERROR ${row.error}` : ''}`,
        );
      }
    }
  } finally {
    for (const connection of connections) await connection.close();
    await admin.flushdb('SYNC');
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ---------------------------------------------------------------------------------------------
// (b) The last N tokens of a long conversation: ours' getHistory({ maxTokens }) against
// LangChain.js getMessages() + trimMessages.

const USER_CHARS = 300;
const ASSISTANT_CHARS = 500;

/** A LangChain.js message's text: its string content as is (`.text` rebuilds content blocks, ~1000x slower). */
const textOf = (message: BaseMessage) =>
  typeof message.content === 'string' ? message.content : message.text;

/**
 * The tokenCounter given to `trimMessages`: ours' `estimateTokens` per message, summed, the same
 * count per message as ours stores. `trimMessages` calls it on the whole list, then on the list
 * less one message, less two, ... until it fits: about n² / 2 messages counted per call.
 */
function langChainTokens(messages: BaseMessage[]): number {
  let tokens = 0;
  for (const message of messages) {
    tokens += estimateTokens({ role: 'user', content: textOf(message) });
  }
  return tokens;
}

interface TokenReader {
  competitor: Competitor;
  read: (i: number) => Promise<{ role: string; content: string }[]>;
}

async function tokenReaders(
  url: string,
  workload: Workload,
  maxTokens: number,
): Promise<TokenReader[]> {
  const ours = await createOurs(url, workload, { id: 'tokens-ours' });
  const memory = ours.app.get(ChatMemoryService);
  const langchain = await createLangChain(url, workload);
  return [
    {
      competitor: ours,
      read: async (i) =>
        (await memory.getHistory(conversationOf(workload, i), { maxTokens })).map((m) => ({
          role: m.role,
          content: m.content as string,
        })),
    },
    {
      competitor: langchain,
      read: async (i) => {
        const messages = await langchain.history(i).getMessages();
        const trimmed = await trimMessages(messages, {
          maxTokens,
          tokenCounter: langChainTokens,
          strategy: 'last',
          startOn: 'human',
          includeSystem: false,
        });
        return trimmed.map((m) => ({
          role: m.getType() === 'human' ? 'user' : 'assistant',
          content: textOf(m),
        }));
      },
    },
  ];
}

async function measureTokenReads(ctx: BenchContext, result: WindowsResult): Promise<void> {
  const { settings, admin } = ctx;
  const messages = settings.tokensMessages;
  const maxTokens = settings.tokensBudget;
  const conversations = settings.tokensConversations;
  const workload: Workload = {
    conversations,
    maxTurns: messages / 2,
    ttlSeconds: ctx.workload.ttlSeconds,
    userTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 201, USER_CHARS)),
    assistantTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 301, ASSISTANT_CHARS)),
  };
  await admin.flushdb('SYNC');
  const readers = await tokenReaders(ctx.url, workload, maxTokens);
  const tokens: NonNullable<WindowsResult['tokens']> = {
    messages,
    maxTokens,
    conversations,
    userChars: USER_CHARS,
    assistantChars: ASSISTANT_CHARS,
    selected: { ours: 0, langchain: 0, same: false, oursFirstRole: '' },
    bytes: [],
    rows: [],
  };
  result.tokens = tokens;
  try {
    // The same conversation content in each one's own format: `messages` messages, user first.
    for (const { competitor } of readers) {
      const keys = Array.from(
        { length: conversations },
        (_, c) => `${competitor.keyPrefix}:${conversationOf(workload, c)}`,
      );
      await prefill(
        admin,
        keys,
        messages,
        competitor.storedEntry,
        competitor.prefillWith,
        workload.ttlSeconds,
      );
    }
    const [ours, langchain] = await Promise.all(readers.map((reader) => reader.read(0)));
    tokens.selected = {
      ours: ours.length,
      langchain: langchain.length,
      same: JSON.stringify(ours) === JSON.stringify(langchain),
      oursFirstRole: ours[0]?.role ?? '-',
    };
    ctx.log(
      `windows tokens: ours returned ${ours.length} messages, LangChain.js ${langchain.length} (same: ${tokens.selected.same})`,
    );
    if (ours.length === 0 || ours[0].role !== 'user' || ours.length % 2 !== 0) {
      ctx.results.errors.push(
        `windows: ours' getHistory({ maxTokens }) did not return whole turns (${ours.length} messages)`,
      );
    }

    // Bytes and round trips per call, through the counting proxy, one call at a time.
    const proxy = await startRoundTripProxy(ctx.port);
    const counted = await tokenReaders(proxy.url, workload, maxTokens);
    try {
      for (const reader of counted) {
        const { competitor } = reader;
        const calls = settings.tokensByteCalls;
        try {
          await reader.read(0);
          proxy.reset();
          const before = await netOutputBytes(admin);
          const afterInfo = await netOutputBytes(admin);
          // The INFO reply itself is in the delta: measured once, taken off.
          const infoBytes = afterInfo - before;
          let returned = 0;
          const start = await netOutputBytes(admin);
          for (let i = 0; i < calls; i++) returned += (await reader.read(i)).length;
          const end = await netOutputBytes(admin);
          tokens.bytes.push({
            competitor: competitor.id,
            label: competitor.label,
            calls,
            bytesFromRedisPerCall: proxy.bytesFromServer() / calls,
            bytesToRedisPerCall: proxy.bytesToServer() / calls,
            roundTripsPerCall: proxy.roundTrips() / calls,
            netOutputBytesPerCall: (end - start - infoBytes) / calls,
            messagesReturned: returned / calls,
          });
        } catch (error) {
          tokens.bytes.push({
            competitor: competitor.id,
            label: competitor.label,
            calls,
            bytesFromRedisPerCall: Number.NaN,
            bytesToRedisPerCall: Number.NaN,
            roundTripsPerCall: Number.NaN,
            netOutputBytesPerCall: Number.NaN,
            messagesReturned: Number.NaN,
            error: errorText(error),
          });
        }
        const row = tokens.bytes[tokens.bytes.length - 1];
        ctx.log(
          `windows tokens bytes ${competitor.id}: ${Math.round(row.bytesFromRedisPerCall)} B from Redis per call (INFO: ${Math.round(row.netOutputBytesPerCall)}), ${row.roundTripsPerCall} round trips`,
        );
      }
    } finally {
      for (const { competitor } of counted) await competitor.close();
      await proxy.close();
    }

    // ops/s and latency, competitors taking turns as in the throughput section.
    for (const concurrency of settings.tokensConcurrencies) {
      const rounds = new Map<string, RunStats[]>();
      const failed = new Map<string, string>();
      for (let round = 0; round < settings.rounds; round++) {
        for (let k = 0; k < readers.length; k++) {
          const { competitor, read } = readers[(k + round) % readers.length];
          if (failed.has(competitor.id)) continue;
          try {
            collectGarbage();
            await runClosedLoop(read, concurrency, settings.warmupMs, false);
            const stats = await runClosedLoop(read, concurrency, settings.durationMs);
            rounds.set(competitor.id, [...(rounds.get(competitor.id) ?? []), stats]);
          } catch (error) {
            failed.set(competitor.id, errorText(error));
          }
        }
      }
      for (const { competitor } of readers) {
        const stats = rounds.get(competitor.id);
        const error = failed.get(competitor.id);
        tokens.rows.push({
          competitor: competitor.id,
          label: competitor.label,
          concurrency,
          ...(stats ? { stats: combineRounds(stats), rounds: stats.map((s) => s.opsPerSec) } : {}),
          ...(error ? { error } : {}),
        });
        if (error)
          ctx.results.errors.push(`windows: tokens ${competitor.id} c=${concurrency}: ${error}`);
        ctx.log(
          `windows tokens c=${concurrency} ${competitor.id}: ${stats ? `${Math.round(combineRounds(stats).opsPerSec)} ops/s p99 ${combineRounds(stats).p99Ms.toFixed(2)} ms` : ''}${error ? ` ERROR ${error}` : ''}`,
        );
      }
    }
  } finally {
    for (const { competitor } of readers) await competitor.close();
    await admin.flushdb('SYNC');
  }
}

/**
 * The window rules of issue 10: (a) the server-side cost of one append, old script against new,
 * in windows of 20, 200 and 2000 messages; (b) the last N tokens of a long conversation, ours'
 * getHistory({ maxTokens }) against LangChain.js getMessages() + trimMessages.
 */
export const windowsSection: BenchSection = {
  name: 'windows',
  async run(ctx) {
    const result: WindowsResult = {
      scripts: { old: OLD_APPEND_SHA, new: SCRIPTS.windowAppend.sha },
      concurrency: ctx.settings.windowConcurrency,
      conversations: ctx.settings.windowConversations,
      appends: [],
      redisBenchmarkOld: [],
    };
    ctx.results.extra.windows = result;
    try {
      await measureAppends(ctx, result);
    } catch (error) {
      ctx.results.errors.push(`windows: appends failed: ${errorText(error)}`);
    }
    try {
      await measureTokenReads(ctx, result);
    } catch (error) {
      ctx.results.errors.push(`windows: token reads failed: ${errorText(error)}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Report.

const int = (n: number | undefined) =>
  n !== undefined && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
const ms = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(3) : '-');
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-');
const us = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(1) : '-');
const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][]) =>
  [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
const verdict = (ok: boolean | undefined) =>
  ok === undefined ? 'not measured' : ok ? 'yes' : 'NO';

function appendRow(result: WindowsResult, size: number, script: 'old' | 'new') {
  return result.appends.find((r) => r.window === size && r.script === script);
}

/** The targets of issue 10, from this run's numbers. */
export function windowTargets(
  result: WindowsResult,
): { target: string; measured: string; met: string }[] {
  const rows: { target: string; measured: string; met: string }[] = [];
  const sizes = [...new Set(result.appends.map((r) => r.window))];
  const cpu = (size: number, script: 'old' | 'new') =>
    appendRow(result, size, script)?.serverCpuUsPerCall ?? Number.NaN;
  const opsOf = (size: number, script: 'old' | 'new') =>
    appendRow(result, size, script)?.stats?.opsPerSec ?? Number.NaN;
  for (const size of sizes) {
    const ratio = opsOf(size, 'new') / opsOf(size, 'old');
    const server = cpu(size, 'old') / cpu(size, 'new');
    rows.push({
      target: `append, new script >= 0.8x old, window ${size}`,
      measured: `new / old ops/s = ${x(ratio)}; by server CPU per call (old / new) ${x(server)}`,
      met: verdict(Number.isFinite(ratio + server) ? ratio >= 0.8 && server >= 0.8 : undefined),
    });
  }
  if (sizes.length > 1) {
    const small = Math.min(...sizes);
    const large = Math.max(...sizes);
    const ratio = opsOf(large, 'new') / opsOf(small, 'new');
    const server = cpu(small, 'new') / cpu(large, 'new');
    rows.push({
      target: `append, new script flat from window ${small} to ${large} (>= 0.8x at ${large} of what it is at ${small})`,
      measured: `ops/s ${x(ratio)}; by server CPU per call ${x(server)}`,
      met: verdict(Number.isFinite(ratio + server) ? ratio >= 0.8 && server >= 0.8 : undefined),
    });
  }
  const t = result.tokens;
  if (t) {
    const bytes = (id: string) =>
      t.bytes.find((b) => b.competitor === id)?.bytesFromRedisPerCall ?? Number.NaN;
    const fewer = bytes('langchain') / bytes('tokens-ours');
    rows.push({
      target: `last ${t.maxTokens} tokens of ${t.messages} messages: >= 10x fewer bytes read than LangChain.js`,
      measured: `${x(fewer)} (${int(bytes('tokens-ours'))} B vs ${int(bytes('langchain'))} B per call)`,
      met: verdict(Number.isFinite(fewer) ? fewer >= 10 : undefined),
    });
    for (const c of new Set(t.rows.map((r) => r.concurrency))) {
      const rate = (id: string) =>
        t.rows.find((r) => r.competitor === id && r.concurrency === c)?.stats?.opsPerSec ??
        Number.NaN;
      const ratio = rate('tokens-ours') / rate('langchain');
      rows.push({
        target: `last ${t.maxTokens} tokens: >= 5x LangChain.js ops/s, c=${c}`,
        measured: `ours / LangChain = ${x(ratio)}`,
        met: verdict(Number.isFinite(ratio) ? ratio >= 5 : undefined),
      });
    }
  }
  return rows;
}

export function renderWindowsMarkdown(result: WindowsResult): string {
  const out: string[] = [];
  if (result.appends.length > 0) {
    out.push(`### Append one text message: old script against new (c=${result.concurrency})`);
    out.push('');
    out.push(
      `Old script \`${result.scripts.old.slice(0, 8)}\` (bench/old-append-script.ts), new \`${result.scripts.new.slice(0, 8)}\` (SCRIPTS.windowAppend). ` +
        `${result.conversations} conversations per window size, each prefilled full (the same entries for both scripts, ` +
        "ours' native format), then one message per call, user and assistant alternating within each conversation, " +
        `a new id per call; the new script with maxTurns = window / 2, the old one with max length = window. ` +
        `Sent by a raw RESP driver (bench/resp-driver.ts) over ${result.concurrency} connections, ${result.concurrency} calls in flight. ` +
        '"driver CPU µs/op" is the CPU time of the bench process per call (the sender\'s cost), "script µs/call" EVALSHA\'s `usec_per_call` (INFO commandstats: the script\'s run inside Redis; in brackets the part spent in the Redis commands it called, the rest being Lua), ' +
        '"server CPU µs/call" the CPU time of redis-server per call (INFO cpu: the script, parsing and I/O), the cost that bounds ops/s once Redis is the bottleneck. ' +
        'LLEN / HLEN: the lists and window hashes after the runs.',
    );
    out.push('');
    const sizes = [...new Set(result.appends.map((r) => r.window))];
    const rows: string[][] = [];
    for (const size of sizes) {
      const old = appendRow(result, size, 'old');
      for (const script of ['old', 'new'] as const) {
        const row = appendRow(result, size, script);
        if (!row) continue;
        const s = row.stats;
        rows.push([
          String(size),
          script === 'old' ? `old (max length ${row.limit})` : `new (maxTurns ${row.limit})`,
          s ? int(s.opsPerSec) : `error: ${row.error}`,
          ms(s?.p50Ms),
          ms(s?.p99Ms),
          us(s?.cpuUsPerOp),
          `${us(row.scriptUsPerCall)} (${us(row.commandsUsPerCall)})`,
          us(row.serverCpuUsPerCall),
          script === 'new' && s && old?.stats ? x(s.opsPerSec / old.stats.opsPerSec) : '',
          row.inScript ?? '-',
          `${row.llen?.join('-') ?? '-'}${row.hlen ? ` / ${row.hlen.join('-')}` : ''}`,
        ]);
      }
    }
    out.push(
      table(
        [
          'window',
          'script',
          'ops/s',
          'p50 ms',
          'p99 ms',
          'driver CPU µs/op',
          'script µs/call (in commands)',
          'server CPU µs/call',
          'new / old ops/s',
          'inside the script, per call',
          'LLEN / HLEN',
        ],
        rows,
      ),
    );
    out.push('');
    if (result.redisBenchmarkOld.length > 0) {
      out.push(
        `redis-benchmark on the old script, same keys, \`-c ${result.concurrency} -r ${result.conversations}\` (a user-entry run and an assistant-entry run, harmonic mean), ` +
          'to check the driver: redis-benchmark cannot drive the new script, as it replaces each `__rand_int__` with its own random number ' +
          '(the list key and its window hash key, or the id argument and the id inside the entry, would not match), and it repeats the same id otherwise.',
      );
      out.push('');
      out.push(
        table(
          ['window', 'redis-benchmark ops/s', 'driver ops/s (old)', 'driver / redis-benchmark'],
          result.redisBenchmarkOld.map((r) => {
            const driver = appendRow(result, r.window, 'old')?.stats?.opsPerSec ?? Number.NaN;
            return [
              String(r.window),
              r.error ? `error: ${r.error}` : int(r.opsPerSec),
              int(driver),
              x(driver / r.opsPerSec),
            ];
          }),
        ),
      );
      out.push('');
    }
  }
  const t = result.tokens;
  if (t) {
    out.push(
      `### The last ${t.maxTokens.toLocaleString('en-US')} tokens of a ${t.messages.toLocaleString('en-US')}-message conversation`,
    );
    out.push('');
    out.push(
      `${t.conversations} conversations of ${t.messages / 2} turns (user ${t.userChars} characters, assistant ${t.assistantChars}), the same content in each one's format. ` +
        `Ours: \`getHistory(id, { maxTokens: ${t.maxTokens} })\` (window read script). LangChain.js: \`RedisChatMessageHistory.getMessages()\` then ` +
        `\`trimMessages(messages, { maxTokens: ${t.maxTokens}, tokenCounter, strategy: 'last', startOn: 'human', includeSystem: false })\`, ` +
        "the tokenCounter summing ours' `estimateTokens` per message. " +
        `Both returned the same messages: ${t.selected.same ? 'yes' : 'NO'} (ours ${t.selected.ours}, LangChain.js ${t.selected.langchain}). ` +
        'Bytes: counted by a proxy between client and Redis, one call at a time; "INFO" is the `total_net_output_bytes` delta over the same calls.',
    );
    out.push('');
    const bytes = (id: string) => t.bytes.find((b) => b.competitor === id);
    out.push(
      table(
        [
          'competitor',
          'bytes from Redis / call',
          'INFO net output B / call',
          'bytes to Redis / call',
          'round trips / call',
          'messages returned',
        ],
        t.bytes.map((b) => [
          b.label,
          b.error ? `error: ${b.error}` : int(b.bytesFromRedisPerCall),
          int(b.netOutputBytesPerCall),
          int(b.bytesToRedisPerCall),
          String(+b.roundTripsPerCall.toFixed(2)),
          String(+b.messagesReturned.toFixed(1)),
        ]),
      ),
    );
    out.push('');
    const rows: string[][] = [];
    for (const c of new Set(t.rows.map((r) => r.concurrency))) {
      const lc = t.rows.find((r) => r.competitor === 'langchain' && r.concurrency === c)?.stats;
      for (const row of t.rows.filter((r) => r.concurrency === c)) {
        const s = row.stats;
        const b = bytes(row.competitor);
        rows.push([
          String(c),
          row.label,
          s ? int(s.opsPerSec) : `error: ${row.error}`,
          ms(s?.p50Ms),
          ms(s?.p99Ms),
          s ? s.cpuUsPerOp.toFixed(1) : '-',
          int(b?.bytesFromRedisPerCall),
          s && lc ? x(s.opsPerSec / lc.opsPerSec) : '-',
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
          'bytes from Redis / call',
          'vs LangChain',
        ],
        rows,
      ),
    );
    out.push('');
  }
  return out.join('\n');
}
