export type { ChatMemoryStore } from './chat-memory-store.interface.js';
export { InMemoryChatMemoryStore } from './in-memory-chat-memory.store.js';
export { RedisChatMemoryStore } from './redis-chat-memory.store.js';
