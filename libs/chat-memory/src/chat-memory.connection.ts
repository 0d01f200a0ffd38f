import { Logger } from '@nestjs/common';
import { Redis, type Cluster } from 'ioredis';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_URL } from './chat-memory.constants.js';
import type { ChatMemoryModuleOptions } from './chat-memory.interfaces.js';

/** @internal The Redis client in use, and whether the module created it (and so must close it). */
export interface ChatMemoryConnection {
  client: Redis | Cluster | null;
  owned: boolean;
}

const logger = new Logger('ChatMemory');

/** @internal Uses the given client, or creates one from `url` / `redisOptions`; none with a custom store. */
export function createChatMemoryConnection(options: ChatMemoryModuleOptions): ChatMemoryConnection {
  if (options.store) return { client: null, owned: false };
  if (options.client) return { client: options.client, owned: false };
  const client = new Redis(options.url ?? DEFAULT_REDIS_URL, {
    commandTimeout: DEFAULT_COMMAND_TIMEOUT_MS,
    ...options.redisOptions,
  });
  // Without a listener ioredis prints every reconnect error; log the first of each outage instead.
  let failing = false;
  client.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    logger.warn(`Redis connection error: ${error.message} (retrying in the background)`);
  });
  client.on('ready', () => {
    if (failing) logger.log('Redis connection restored');
    failing = false;
  });
  return { client, owned: true };
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
