import type { ExecutionContext } from '@nestjs/common';
import type { ChatMemoryService } from '../chat-memory.service.js';
import { assertConversationId } from '../chat-memory.validation.js';
import { defaultConversationId } from './record-chat-turn.defaults.js';
import type { ChatTurnRequest } from './record-chat-turn.interfaces.js';
import type { RecordedHandler } from './record-chat-turn.metadata.js';
import { turnContextOf } from './turn-context.js';

/**
 * @internal The guard step of `@RecordChatTurn()`: reads the history for `@ConversationHistory()`
 * (one round trip, only for handlers that have that parameter) into the turn context. It runs as
 * a guard, not as a step of the interceptor, because guards are awaited before the response
 * starts: an `@Sse()` route commits its headers as soon as its interceptors subscribe, so a failed
 * read (400, 503) could no longer be answered with its status from there.
 */
export async function prefetchHistory(
  memory: ChatMemoryService,
  handler: RecordedHandler,
  context: ExecutionContext,
): Promise<void> {
  const { options, wantsHistory } = handler;
  if (!wantsHistory || !options) return;
  const request = context.switchToHttp().getRequest<ChatTurnRequest>();
  const turn = turnContextOf(request);
  // Applied twice when @RecordChatTurn() is on both the class and the handler.
  if (turn.history) return;
  const conversationId = (options.conversationId ?? defaultConversationId)(request);
  assertConversationId(conversationId);
  turn.history = await memory.forRequest(request).getHistory(conversationId, options.history);
}
