/** @internal Metadata key of the `@RecordChatTurn()` options. */
export const RECORD_CHAT_TURN_METADATA = 'chat-memory:record-chat-turn';
/** @internal Metadata key set on a handler that has a `@ConversationHistory()` parameter. */
export const CONVERSATION_HISTORY_PARAM_METADATA = 'chat-memory:conversation-history-param';
/** Default marker appended to the answer of a stream the client left early. */
export const DEFAULT_INTERRUPTED_MARKER = ' [interrupted]';
