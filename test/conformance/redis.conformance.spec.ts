import { redisUrl } from '../support/helpers.js';
import { describeChatMemoryConformance } from './chat-memory.conformance.js';

// Each service opens its own connection, so concurrent tests act like separate replicas.
describeChatMemoryConformance('Redis', (config) => ({ url: redisUrl(), config }));
