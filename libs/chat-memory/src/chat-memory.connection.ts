import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_REDIS_URL,
} from './chat-memory.constants.js';
import { ChatMemoryConnectionError } from './chat-memory.errors.js';
import type { ChatMemoryModuleOptions } from './chat-memory.interfaces.js';

/** @internal The Redis client in use, and whether the module created it (and so must close it). */
export interface ChatMemoryConnection {
  client: Redis | Cluster | null;
  owned: boolean;
}

const logger = new Logger('ChatMemory');

/** Where the client connects, for log lines (no credentials). */
function describeTarget(options: ChatMemoryModuleOptions): string {
  if (options.cluster) return `Redis Cluster (${options.cluster.nodes.length} startup node(s))`;
  if (options.sentinel) return `Redis Sentinel master "${options.sentinel.name}"`;
  if (options.client) return 'the given Redis client';
  return `Redis at ${(options.url ?? DEFAULT_REDIS_URL).replace(/\/\/[^@/]*@/, '//***@')}`;
}

function createClient(options: ChatMemoryModuleOptions): Redis | Cluster {
  if (options.cluster) {
    const clusterOptions = options.cluster.options ?? {};
    const commandTimeout =
      options.connection?.commandTimeoutMs ??
      clusterOptions.redisOptions?.commandTimeout ??
      DEFAULT_COMMAND_TIMEOUT_MS;
    return new Cluster(options.cluster.nodes, {
      ...clusterOptions,
      redisOptions: { ...clusterOptions.redisOptions, commandTimeout },
    });
  }
  const commandTimeout =
    options.connection?.commandTimeoutMs ??
    options.redisOptions?.commandTimeout ??
    DEFAULT_COMMAND_TIMEOUT_MS;
  if (options.sentinel) {
    return new Redis({
      ...options.redisOptions,
      sentinels: options.sentinel.sentinels,
      name: options.sentinel.name,
      commandTimeout,
    });
  }
  return new Redis(options.url ?? DEFAULT_REDIS_URL, {
    ...options.redisOptions,
    commandTimeout,
  });
}

/** Resolves when `client` is ready; rejects with the last connection error after `timeoutMs`. */
function waitUntilReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (error: Error) => (lastError = error.message || error.name);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(lastError));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('error', onError);
      client.off('ready', onReady);
    };
    client.on('error', onError);
    client.once('ready', onReady);
  });
}

/**
 * @internal Uses the given client, or creates one (`cluster`, `sentinel`, else `url`); none with a
 * custom store. With `connection.failFast` it waits until Redis is ready and throws
 * `ChatMemoryConnectionError` when it is not within `readyTimeoutMs`; otherwise it returns at once
 * and logs a warning if the first connection attempt fails.
 */
export async function createChatMemoryConnection(
  options: ChatMemoryModuleOptions,
): Promise<ChatMemoryConnection> {
  if (options.store) return { client: null, owned: false };
  const owned = !options.client;
  const client = options.client ?? createClient(options);
  const target = describeTarget(options);

  if (owned) {
    // Without a listener ioredis prints every reconnect error; log the first of each outage instead.
    let everReady = false;
    let failing = false;
    client.on('error', (error: Error) => {
      if (failing) return;
      failing = true;
      if (everReady) {
        logger.warn(`Redis connection error: ${error.message} (retrying in the background)`);
      } else if (!options.connection?.failFast) {
        logger.warn(
          `${target} is not reachable at startup (${error.message}): starting anyway; calls fail ` +
            'with ChatMemoryStoreError until it is. Set connection.failFast to refuse to start instead.',
        );
      }
    });
    client.on('ready', () => {
      if (failing) logger.log(`${target}: connection ${everReady ? 'restored' : 'established'}`);
      everReady = true;
      failing = false;
    });
  }

  if (options.connection?.failFast) {
    const timeoutMs = options.connection.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    try {
      await waitUntilReady(client, timeoutMs);
    } catch (error) {
      if (owned) client.disconnect();
      throw new ChatMemoryConnectionError(
        `${target} was not ready within ${timeoutMs} ms (${(error as Error).message}); ` +
          'not starting because connection.failFast is set',
        { cause: error },
      );
    }
  }
  return { client, owned };
}

/** @internal Closes a client the module created and waits until it has ended; logs instead of throwing. */
export async function closeChatMemoryConnection(connection: ChatMemoryConnection): Promise<void> {
  const { client, owned } = connection;
  if (!client || !owned || client.status === 'end') return;
  const ended = new Promise<void>((resolve) => {
    client.once('end', () => resolve());
    // Never hold up shutdown for long, whatever the socket does.
    setTimeout(resolve, 2000).unref();
  });
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch (error) {
    logger.warn(`Closing the Redis connection failed: ${(error as Error).message}`);
    client.disconnect();
  }
  await ended;
}
