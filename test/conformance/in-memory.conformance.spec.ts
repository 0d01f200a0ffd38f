import { InMemoryChatMemoryStore } from 'nestjs-chat-memory';
import { describeChatMemoryConformance } from './chat-memory.conformance.js';

// One store shared by every service of the run, as one Redis is shared by replicas.
const store = new InMemoryChatMemoryStore();
describeChatMemoryConformance('in-memory store', (config) => ({ store, config }));
