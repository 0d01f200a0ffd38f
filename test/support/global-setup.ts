import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../support/redis-server.js';
import { ensureLibraryBuilt } from './built-library.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server started for this test run. */
    redisUrl: string;
  }
}

/**
 * Builds the library when needed, and starts one redis-server on a free port for the whole run;
 * tests isolate themselves by key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Worker processes of some tests import the built package, as plain Node does: build it once
  // here (when missing or older than its sources), not in each of those tests at once.
  ensureLibraryBuilt();
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
