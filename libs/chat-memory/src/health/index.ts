export {
  ChatMemoryHealthIndicator,
  type ChatMemoryHealthCheckOptions,
} from './chat-memory.health-indicator.js';
