import { applyDecorators, SetMetadata, UseGuards, UseInterceptors } from '@nestjs/common';
import { ConversationHistoryGuard } from './conversation-history.guard.js';
import { RECORD_CHAT_TURN_METADATA } from './record-chat-turn.constants.js';
import { RecordChatTurnInterceptor } from './record-chat-turn.interceptor.js';
import type { RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/**
 * Records each successful call of the handler (or of every handler of the controller) as one
 * chat turn: the user's message and the handler's answer, stored together with
 * `ChatMemoryService.appendTurn()` before the response is sent. A handler that throws records
 * nothing; a recording failure is logged and never changes the response. Streams (`@Sse()`
 * Observables, async iterables) are recorded once, when they complete. Needs `ChatMemoryModule`
 * somewhere in the application (global or not). Options on the handler override those on the class.
 */
export const RecordChatTurn = (
  options: RecordChatTurnOptions = {},
): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(RECORD_CHAT_TURN_METADATA, options),
    UseGuards(ConversationHistoryGuard),
    UseInterceptors(RecordChatTurnInterceptor),
  );
