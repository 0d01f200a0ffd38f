export { ChatMemoryModule } from './chat-memory.module.js';
export type { ChatMemoryModuleExtras } from './chat-memory.module-definition.js';
export { ChatMemoryService } from './chat-memory.service.js';
export { CHAT_MEMORY_REDIS } from './chat-memory.constants.js';
export { InjectChatMemoryRedis } from './chat-memory.decorators.js';
export {
  CHAT_ROLES,
  type ChatMemoryClusterOptions,
  type ChatMemoryConfig,
  type ChatMemoryConnectionOptions,
  type ChatMemoryModuleOptions,
  type ChatMessage,
  type ChatMemorySentinelOptions,
  type ChatRole,
} from './chat-memory.interfaces.js';
export {
  ChatMemoryConfigError,
  ChatMemoryConnectionError,
  ChatMemoryError,
  ChatMemoryStoreError,
  ChatMemoryValidationError,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidRoleError,
} from './chat-memory.errors.js';
export {
  AppendChatMessageDto,
  ChatMemoryExceptionFilter,
  DEFAULT_CHAT_MEMORY_CONTROLLER_PATH,
  type ChatConversationInfo,
  type ChatMemoryControllerOptions,
} from './http/index.js';
export type { ChatMemoryStore } from './store/chat-memory-store.interface.js';
export { InMemoryChatMemoryStore } from './store/in-memory-chat-memory.store.js';
export {
  ConversationHistory,
  RecordChatTurn,
  type ChatTurnRecordErrorContext,
  type ChatTurnRequest,
  type RecordChatTurnOptions,
} from './recording/index.js';
