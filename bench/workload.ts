import type { Redis } from 'ioredis';
import { estimateTokens } from 'nestjs-chat-memory';
import { SCRIPTS, windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';

/** The chat workload every competitor runs: same conversations, same texts, same window and TTL. */
export interface Workload {
  /** Conversations the operations are spread over. */
  conversations: number;
  /** `maxTurns`: the window holds `maxTurns * 2` messages. */
  maxTurns: number;
  /** TTL refreshed on every write, in seconds. */
  ttlSeconds: number;
  /** User message texts (cycled). */
  userTexts: string[];
  /** Assistant message texts (cycled). */
  assistantTexts: string[];
}

const WORDS = (
  'the a memory redis window turn conversation model answer question please could you ' +
  'explain why how when what which tokens context prompt reply history summary weather ' +
  'order invoice account refund shipping password reset help thanks great example code'
).split(' ');

/** Deterministic pseudo-random text of about `length` characters (ASCII words and punctuation). */
export function makeText(seed: number, length: number): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const words: string[] = [];
  let size = 0;
  while (size < length) {
    const word = WORDS[Math.floor(rand() * WORDS.length)];
    words.push(word);
    size += word.length + 1;
  }
  return `${words.join(' ').slice(0, length - 1)}.`;
}

/** The default workload: a 10-turn window, 1 h TTL, ~100-char questions and ~400-char answers. */
export function defaultWorkload(conversations: number, maxTurns = 10): Workload {
  return {
    conversations,
    maxTurns,
    ttlSeconds: 3600,
    userTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 1, 100)),
    assistantTexts: Array.from({ length: 16 }, (_, i) => makeText(i + 101, 400)),
  };
}

/** The conversation id call number `i` uses (spread over all conversations). */
export function conversationOf(workload: Workload, i: number): string {
  return `c${i % workload.conversations}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID for message `k` (a fixed time, `k` in the random part): the shape of the ids ours assigns. */
export function benchMessageId(k: number): string {
  let random = '';
  for (let i = 0, n = k; i < 16; i++, n = Math.floor(n / 32)) random = CROCKFORD[n % 32] + random;
  return `01KB3Q7M3Z${random}`;
}

/** The token count ours stores with a text message (`estimateTokens`, ours' default counter). */
export function textTokens(role: 'user' | 'assistant', text: string): number {
  return estimateTokens({ role, content: text });
}

/**
 * A text message as ours stores it (`wireFormat: 'native'`), split around its id:
 * `{"v":1,"i":"` + id + `","k":<tokens>,"r":<role>,"c":<text>}`.
 */
export function nativeEntryParts(role: 'user' | 'assistant', text: string): [string, string] {
  return [
    '{"v":1,"i":"',
    `","k":${textTokens(role, text)},"r":"${role}","c":${JSON.stringify(text)}}`,
  ];
}

/**
 * Message `k` as ours stores it (`wireFormat: 'native'`):
 * `{"v":1,"i":<ULID>,"k":<tokens>,"r":<role>,"c":<text>}`.
 */
export function nativeEntry(role: 'user' | 'assistant', text: string, k: number): string {
  const [head, tail] = nativeEntryParts(role, text);
  return `${head}${benchMessageId(k)}${tail}`;
}

/**
 * Average size in bytes of a stored entry of this workload in ours' native format (user and
 * assistant alternate): what ours and the floor write, and what their windows are prefilled with.
 */
export function averageEntryBytes(workload: Workload): number {
  let total = 0;
  workload.userTexts.forEach((text, k) => {
    total += Buffer.byteLength(nativeEntry('user', text, 2 * k));
  });
  workload.assistantTexts.forEach((text, k) => {
    total += Buffer.byteLength(nativeEntry('assistant', text, 2 * k + 1));
  });
  return total / (workload.userTexts.length + workload.assistantTexts.length);
}

/** How prefilled entries are written: pushed as they are, or through ours' window append script. */
export type PrefillMode = 'rpush' | 'lpush' | 'window';

const ROLE_LETTERS: Record<string, string> = { system: 's', user: 'u', assistant: 'a', tool: 't' };

/**
 * ARGV of ours' window append script (`SCRIPTS.windowAppend`) for native text entries, laid out as
 * the store sends them: max turns, max messages (0: none), max tokens (0: none), TTL in ms,
 * return evicted (0), message count, then per message entry, id, role letter, tokens, 0 call ids.
 */
export function windowAppendArgs(entries: string[], maxTurns: number, ttlMs: number): string[] {
  const args = [String(maxTurns), '0', '0', String(ttlMs), '0', String(entries.length)];
  for (const entry of entries) {
    const { i, r, k } = JSON.parse(entry) as { i?: unknown; r?: unknown; k?: unknown };
    const letter = typeof r === 'string' ? ROLE_LETTERS[r] : undefined;
    if (typeof i !== 'string' || typeof k !== 'number' || !letter || letter === 't') {
      throw new Error(`not a native text entry with id, tokens and role: ${entry.slice(0, 80)}`);
    }
    args.push(entry, i, letter, String(k), '0');
  }
  return args;
}

/**
 * Fills `keys` with `perKey` entries each, built by `entry(k)` for k = 0.., so the lists read back
 * oldest first in the competitor's own order: pipelined RPUSH or LPUSH, or (`'window'`, ours'
 * native entries) through ours' own window append script with a `maxTurns` that trims nothing,
 * so that the window hash beside each list is built and matches it, as when ours wrote them.
 */
export async function prefill(
  redis: Redis,
  keys: string[],
  perKey: number,
  entry: (k: number) => string,
  push: PrefillMode = 'rpush',
  ttlSeconds?: number,
): Promise<void> {
  const entries = Array.from({ length: perKey }, (_, k) => entry(k));
  // Large windows go in chunks, so no single command carries thousands of arguments.
  const chunks: string[][] = [];
  for (let k = 0; k < entries.length; k += 500) chunks.push(entries.slice(k, k + 500));
  const script = SCRIPTS.windowAppend;
  const argsOf =
    push === 'window'
      ? chunks.map((chunk) => windowAppendArgs(chunk, perKey, (ttlSeconds ?? 0) * 1000))
      : [];
  if (push === 'window') await redis.script('LOAD', script.source);
  const batch = Math.max(1, Math.floor(20_000 / perKey));
  for (let from = 0; from < keys.length; from += batch) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(from, from + batch)) {
      if (push === 'window') {
        for (const args of argsOf) pipeline.evalsha(script.sha, 2, key, windowKeyOf(key), ...args);
      } else {
        for (const chunk of chunks) pipeline[push](key, ...chunk);
        if (ttlSeconds) pipeline.expire(key, ttlSeconds);
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
  }
}
