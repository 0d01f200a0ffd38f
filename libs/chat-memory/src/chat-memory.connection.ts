import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { LOGGER_CONTEXT } from './chat-memory.constants.js';
import { ChatMemoryConnectionError } from './chat-memory.errors.js';
import type { ChatMemorySource, ResolvedChatMemoryOptions } from './chat-memory.interfaces.js';
import { ConnectionMessages } from './chat-memory.messages.js';

/** @internal The Redis client in use, and whether the module created it (and so must close it). */
export interface ChatMemoryConnection {
  readonly client: Redis | Cluster | null;
  readonly owned: boolean;
}

const logger = new Logger(LOGGER_CONTEXT);

/** A new client for a source the module connects itself (the options are already resolved). */
function createClient(
  source: Exclude<ChatMemorySource, { kind: 'store' | 'client' }>,
): Redis | Cluster {
  switch (source.kind) {
    case 'cluster':
      return new Cluster(source.nodes, source.options);
    case 'sentinel':
      return new Redis({
        ...source.redisOptions,
        sentinels: source.sentinels,
        name: source.name,
      });
    case 'url':
      return new Redis(source.url, source.redisOptions);
  }
}

/** Resolves when `client` is ready; rejects with the last connection error after `timeoutMs`. */
function waitUntilReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: unknown = 'no answer';
    const onError = (error: Error) => (lastError = error);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(lastError instanceof Error ? lastError : new Error(String(lastError)));
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
 * Logs, for a client the module created, one line when it is ready, one warning per outage (ioredis
 * prints every reconnect error of a client without an `error` listener) and one line when it is back.
 */
function logConnectionEvents(client: Redis | Cluster, spec: ResolvedChatMemoryOptions): void {
  let everReady = false;
  let failing = false;
  client.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    if (everReady) logger.warn(ConnectionMessages.lost(error));
    else if (!spec.failFast)
      logger.warn(ConnectionMessages.unreachableAtStartup(spec.target, error));
  });
  client.on('ready', () => {
    if (!everReady) logger.log(ConnectionMessages.connected(spec.target));
    else if (failing) logger.log(ConnectionMessages.restored(spec.target));
    everReady = true;
    failing = false;
  });
}

/**
 * @internal Uses the given client as it is, or creates one; none with a custom store. With
 * `failFast` it waits until Redis is ready and throws `ChatMemoryConnectionError` when it is not
 * within `readyTimeoutMs`; otherwise it returns at once.
 */
export async function createChatMemoryConnection(
  spec: ResolvedChatMemoryOptions,
): Promise<ChatMemoryConnection> {
  const { source } = spec;
  if (source.kind === 'store') return { client: null, owned: false };
  let client: Redis | Cluster;
  const owned = source.kind !== 'client';
  if (source.kind === 'client') {
    client = source.client;
    logger.log(ConnectionMessages.givenClient(client.status));
  } else {
    client = createClient(source);
    logConnectionEvents(client, spec);
  }

  if (spec.failFast) {
    try {
      await waitUntilReady(client, spec.readyTimeoutMs);
    } catch (error) {
      if (owned) client.disconnect();
      throw new ChatMemoryConnectionError(
        ConnectionMessages.notReady(spec.target, spec.readyTimeoutMs, error),
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
    logger.warn(ConnectionMessages.closeFailed(error));
    client.disconnect();
  }
  await ended;
}
