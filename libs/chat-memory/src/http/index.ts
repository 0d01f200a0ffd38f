export { ChatMemoryExceptionFilter } from './chat-memory-exception.filter.js';
export { DEFAULT_CHAT_MEMORY_CONTROLLER_PATH } from './chat-memory.controller.js';
export type {
  ChatConversationInfo,
  ChatMemoryControllerOptions,
} from './chat-memory-controller.interfaces.js';
export { AppendChatMessageDto } from './chat-memory.dto.js';
