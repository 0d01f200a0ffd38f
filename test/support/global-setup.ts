import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server started for this test run. */
    redisUrl: string;
  }
}

/** Starts one redis-server on a free port for the whole run; tests isolate themselves by key prefix. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
