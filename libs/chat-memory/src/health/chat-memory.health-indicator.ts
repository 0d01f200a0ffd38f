import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Cluster, type Redis } from 'ioredis';
import { CHAT_MEMORY_REDIS } from '../chat-memory.constants.js';
import { HealthMessages } from '../chat-memory.messages.js';
import { ChatMemoryService } from '../chat-memory.service.js';

/** Options of `ChatMemoryHealthIndicator.isHealthy()`. */
export interface ChatMemoryHealthCheckOptions {
  /** Longest wait for Redis to answer `PING`, in milliseconds. Default `1000`. */
  timeoutMs?: number;
}

/**
 * A `@nestjs/terminus` health indicator for the chat memory's Redis: `up` with the `PING` round-trip
 * `latencyMs` (on a Cluster, of the slowest master), `down` with a `message` when the connection
 * is not ready, `PING` fails or takes longer than `timeoutMs`. Without Redis it reports `up` with
 * `store: 'memory'` (`InMemoryChatMemoryStore`) or `store: 'custom'`. It checks the unnamed
 * instance. Add it to the providers of the module that holds your health controller (which imports
 * `TerminusModule`); the unnamed `ChatMemoryModule` must be visible there (global, or imported).
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.chatMemory.isHealthy('chat-memory')]); }
 * ```
 */
@Injectable()
export class ChatMemoryHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Inject(CHAT_MEMORY_REDIS) private readonly redis: Redis | Cluster | null,
    @Inject(ChatMemoryService) private readonly memory: ChatMemoryService,
  ) {}

  /** Checks Redis under `key` (default `'chat-memory'`). Never throws; the result says up or down. */
  async isHealthy<const Key extends string = 'chat-memory'>(
    key: Key = 'chat-memory' as Key,
    { timeoutMs = 1000 }: ChatMemoryHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    const client = this.redis;
    if (!client) return indicator.up({ store: this.memory.storeKind });
    if (client.status !== 'ready') {
      return indicator.down({ message: HealthMessages.notReady(client.status) });
    }
    const started = performance.now();
    try {
      const targets = client instanceof Cluster ? client.nodes('master') : [client];
      if (targets.length === 0)
        return indicator.down({ message: HealthMessages.noClusterMaster() });
      await withTimeout(Promise.all(targets.map((node) => node.ping())), timeoutMs);
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(HealthMessages.pingTimeout(ms))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
