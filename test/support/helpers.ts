import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/** URL of the redis-server that the global setup started. */
export const redisUrl = (): string => inject('redisUrl');

/** A key prefix no other test uses, so tests can share one Redis and run in parallel. */
export const uniquePrefix = (name = 'test'): string => `t.${name}.${randomUUID().slice(0, 8)}`;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
