import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';

/** URL of the redis-server that the global setup started. */
export const redisUrl = (): string => inject('redisUrl');

/** A key prefix no other test uses, so tests can share one Redis and run in parallel. */
export const uniquePrefix = (name = 'test'): string => `t.${name}.${randomUUID().slice(0, 8)}`;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A message id the library assigned: a ULID. */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * The messages as `{ role, content }`, after checking that each one has a library-assigned id and
 * a time (for tests about what was stored, not about the message model).
 */
export function roleContent(
  messages: readonly { id?: string; role: string; content: unknown; createdAt?: number }[],
): { role: string; content: unknown }[] {
  for (const message of messages) {
    if (!ULID_PATTERN.test(message.id ?? '') || typeof message.createdAt !== 'number') {
      throw new Error(`not a stored message with an id and a time: ${JSON.stringify(message)}`);
    }
  }
  return messages.map(({ role, content }) => ({ role, content }));
}

/**
 * Commands the library's scripts run inside Redis. `INFO commandstats` counts them too, but they are
 * no round trips: tests that count round trips leave them out (the client itself sends EVALSHA,
 * EVAL, LRANGE, LLEN, DEL and PTTL).
 */
export const SCRIPT_COMMANDS: readonly string[] = [
  'rpush',
  'ltrim',
  'pexpire',
  'hmget',
  'hget',
  'hset',
  'hdel',
  'hexists',
  'llen',
  'lpop',
  'lpush',
  'lindex',
];

/**
 * A plain ioredis client to the run's redis-server for the calling scope (opened before its tests,
 * closed after them), to look at what the library wrote. Call the returned function in a test.
 */
export function useRedisClient(): () => Redis {
  let redis: Redis | undefined;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis?.quit();
  });
  return () => redis!;
}
