import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { CONVERSATION_HISTORY_PARAM_METADATA } from './record-chat-turn.constants.js';
import { prefetchedHistory } from './record-chat-turn.defaults.js';

/**
 * The conversation's history before this turn (`ChatMessage[]`, oldest first), read in one
 * round trip by `@RecordChatTurn()` with the same conversation-id rule, after the guards that
 * come before it and before pipes and the handler run. Needs `@RecordChatTurn()` on the handler or its controller; without it the
 * request fails with an error that says so. A failed read fails the request
 * (`ChatMemoryStoreError`, 503 with `ChatMemoryExceptionFilter`; an invalid id answers 400).
 */
export const ConversationHistory: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<object>();
    const history = prefetchedHistory.get(request);
    if (!history) {
      throw new Error(
        `@ConversationHistory() on ${context.getClass().name}.${context.getHandler().name}() ` +
          'needs @RecordChatTurn() on the handler or its controller',
      );
    }
    return history;
  },
  [
    (target: object, key: string | symbol | undefined) => {
      if (key === undefined) return;
      const handler = (target as Record<string | symbol, unknown>)[key];
      if (typeof handler === 'function') {
        Reflect.defineMetadata(CONVERSATION_HISTORY_PARAM_METADATA, true, handler);
      }
    },
  ],
);
