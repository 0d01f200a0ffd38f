import type { Redis } from 'ioredis';

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

/** Message `k` as ours stores it (`wireFormat: 'native'`): `{"v":1,"i":<ULID>,"r":<role>,"c":<text>}`. */
export function nativeEntry(role: 'user' | 'assistant', text: string, k: number): string {
  return `{"v":1,"i":"${benchMessageId(k)}","r":"${role}","c":${JSON.stringify(text)}}`;
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

/**
 * Fills `keys` with `perKey` entries each, built by `entry(k)` for k = 0.. (pipelined RPUSH or
 * LPUSH, so the lists read back oldest first in the competitor's own order), without a TTL check.
 */
export async function prefill(
  redis: Redis,
  keys: string[],
  perKey: number,
  entry: (k: number) => string,
  push: 'rpush' | 'lpush' = 'rpush',
  ttlSeconds?: number,
): Promise<void> {
  const entries = Array.from({ length: perKey }, (_, k) => entry(k));
  const batch = Math.max(1, Math.floor(20_000 / perKey));
  for (let from = 0; from < keys.length; from += batch) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(from, from + batch)) {
      // Large windows go in chunks, so no single command carries thousands of arguments.
      for (let k = 0; k < entries.length; k += 500) {
        pipeline[push](key, ...entries.slice(k, k + 500));
      }
      if (ttlSeconds) pipeline.expire(key, ttlSeconds);
    }
    await pipeline.exec();
  }
}
