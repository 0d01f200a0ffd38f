export { ChatMemoryModule } from './chat-memory.module.js';
export {
  ChatMemoryService,
  type ChatConversation,
  type ChatConversationPage,
  type ChatHistoryOptions,
  type ChatHistoryPage,
  type ChatMemoryStoreKind,
  type ChatMessageBatch,
} from './chat-memory.service.js';
export {
  CHAT_MEMORY_REDIS,
  CHAT_ROLES,
  DEFAULT_CHAT_MEMORY_CONTROLLER_PATH,
} from './chat-memory.constants.js';
export { getChatMemoryRedisToken, getChatMemoryToken } from './chat-memory.tokens.js';
export { InjectChatMemory, InjectChatMemoryRedis } from './chat-memory.decorators.js';
export type {
  ChatMemoryClusterOptions,
  ChatMemoryConfig,
  ChatMemoryConnectionOptions,
  ChatMemoryModuleExtras,
  ChatMemoryModuleOptions,
  ChatMemorySentinelOptions,
  ChatMemoryWireFormat,
} from './chat-memory.interfaces.js';
export type {
  ChatContentPart,
  ChatFilePart,
  ChatImagePart,
  ChatMessage,
  ChatMessageInput,
  ChatReasoningPart,
  ChatRole,
  ChatTextPart,
  ChatToolCall,
  JsonObject,
  JsonValue,
} from './chat-message.interfaces.js';
export type {
  ChatMemoryOperation,
  ChatMemoryOperationContext,
  ChatMemoryOperationObserver,
  ChatMemoryOperationOutcome,
  ChatMemoryTelemetry,
} from './chat-memory.telemetry.js';
export { messageText } from './chat-message.codec.js';
export { estimateTokens } from './chat-message.tokens.js';
export {
  ChatMemoryConfigError,
  ChatMemoryConnectionError,
  ChatMemoryDecoratorError,
  ChatMemoryError,
  ChatMemoryStoreError,
  ChatMemoryValidationError,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidHistoryQueryError,
  InvalidMessageError,
  InvalidOwnerError,
  InvalidRoleError,
} from './chat-memory.errors.js';
export {
  AppendChatMessageDto,
  ChatMemoryExceptionFilter,
  type ChatConversationInfo,
  type ChatMemoryControllerOptions,
} from './http/index.js';
export {
  WindowRuleError,
  type ChatMemoryListCursor,
  type ChatMemoryOwnedConversation,
  type ChatMemoryOwnerKeys,
  type ChatMemoryStoredRecord,
  type ChatMemoryPushResult,
  type ChatMemoryReadQuery,
  type ChatMemoryReadResult,
  type ChatMemoryStore,
  type ChatMemoryStoreMessage,
  type ChatMemoryWindow,
} from './store/chat-memory-store.interface.js';
export { InMemoryChatMemoryStore } from './store/in-memory-chat-memory.store.js';
export {
  ConversationHistory,
  RecordChatTurn,
  type ChatTurnRecordErrorContext,
  type ChatTurnRequest,
  type RecordChatTurnOptions,
} from './recording/index.js';
