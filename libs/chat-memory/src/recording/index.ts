export { ConversationHistory } from './conversation-history.decorator.js';
export { RecordChatTurn } from './record-chat-turn.decorator.js';
export type {
  ChatTurnRecordErrorContext,
  ChatTurnRequest,
  RecordChatTurnOptions,
} from './record-chat-turn.interfaces.js';
