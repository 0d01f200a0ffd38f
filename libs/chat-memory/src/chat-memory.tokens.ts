import { CHAT_MEMORY_REDIS } from './chat-memory.constants.js';
import { ChatMemoryService } from './chat-memory.service.js';

/**
 * The injection token of the `ChatMemoryService` of the instance named `name`
 * (`forRoot({ name })`); the `ChatMemoryService` class itself for the unnamed instance.
 */
export function getChatMemoryToken(name?: string): string | typeof ChatMemoryService {
  return name === undefined ? ChatMemoryService : `ChatMemoryService:${name}`;
}

/**
 * The injection token of the ioredis client of the instance named `name`; `CHAT_MEMORY_REDIS`
 * for the unnamed instance. The client is `null` when the instance uses a custom `store`.
 */
export function getChatMemoryRedisToken(name?: string): string | symbol {
  return name === undefined ? CHAT_MEMORY_REDIS : `ChatMemoryRedis:${name}`;
}
