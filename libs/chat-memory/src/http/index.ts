export { ChatMemoryExceptionFilter } from './chat-memory-exception.filter.js';
export type {
  ChatConversationInfo,
  ChatMemoryControllerOptions,
} from './chat-memory-controller.interfaces.js';
export { AppendChatMessageDto } from './chat-memory.dto.js';
