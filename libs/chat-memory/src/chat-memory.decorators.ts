import { Inject } from '@nestjs/common';
import { getChatMemoryRedisToken, getChatMemoryToken } from './chat-memory.tokens.js';

/** Injects the `ChatMemoryService` of the instance named `name` (default: the unnamed one). */
export const InjectChatMemory = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getChatMemoryToken(name));

/** Injects the ioredis client of the instance named `name` (default: the unnamed one, `CHAT_MEMORY_REDIS`). */
export const InjectChatMemoryRedis = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getChatMemoryRedisToken(name));
