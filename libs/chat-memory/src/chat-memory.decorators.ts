import { Inject } from '@nestjs/common';
import { CHAT_MEMORY_REDIS } from './chat-memory.constants.js';

/** Injects the ioredis client of the chat memory (`CHAT_MEMORY_REDIS`). */
export const InjectChatMemoryRedis = (): PropertyDecorator & ParameterDecorator =>
  Inject(CHAT_MEMORY_REDIS);
