import { createParamDecorator, UseGuards, type ExecutionContext } from '@nestjs/common';
import { CONVERSATION_HISTORY_PARAM_METADATA } from '../chat-memory.constants.js';
import { DecoratorMessages } from '../chat-memory.messages.js';
import { RecordingSetupCheck } from './recording-setup.check.js';
import { findTurnContext } from './turn-context.js';

/**
 * The conversation's history before this turn (`ChatMessage[]`, oldest first), read in one
 * round trip by `@RecordChatTurn()` with the same conversation-id rule, after the guards that
 * come before it and before pipes and the handler run. Needs `@RecordChatTurn()` on the handler or
 * its controller; without it the application does not start. A failed read fails the request
 * (`ChatMemoryStoreError`, 503 with `ChatMemoryExceptionFilter`; an invalid id answers 400).
 */
export const ConversationHistory: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => {
    const history = findTurnContext(context.switchToHttp().getRequest<object>())?.history;
    if (!history) {
      // The boot check (RecordingSetupCheck) stops such an app; kept for a handler Nest never scanned.
      throw new Error(
        DecoratorMessages.historyWithoutRecording(
          `${context.getClass().name}.${context.getHandler().name}()`,
        ),
      );
    }
    return history;
  },
  [
    (target: object, key: string | symbol | undefined) => {
      if (key === undefined) return;
      const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
      if (typeof descriptor?.value !== 'function') return;
      Reflect.defineMetadata(CONVERSATION_HISTORY_PARAM_METADATA, true, descriptor.value);
      // Runs the boot check of the decorators, whether or not a ChatMemoryModule is there.
      UseGuards(RecordingSetupCheck)(target, key, descriptor);
    },
  ],
);
