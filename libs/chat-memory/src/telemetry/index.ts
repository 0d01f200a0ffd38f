export {
  ChatMemoryAttributes,
  ChatMemoryMetrics,
  CHAT_MEMORY_INSTRUMENTATION_NAME,
  openTelemetry,
  type ChatMemoryOpenTelemetryOptions,
} from './open-telemetry.js';
