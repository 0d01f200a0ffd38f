import { applyDecorators, SetMetadata, UseGuards, UseInterceptors } from '@nestjs/common';
import { RECORD_CHAT_TURN_METADATA } from '../chat-memory.constants.js';
import { recordChatTurnInterceptor } from './record-chat-turn.interceptor.js';
import type { RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/**
 * Records each successful call of the handler (or of every handler of the controller) as one
 * chat turn: the user's message and the handler's answer, stored together with
 * `ChatMemoryService.appendTurn()` before the response is sent. A handler that throws records
 * nothing; a recording failure is logged and never changes the response. Streams (`@Sse()`
 * Observables, async iterables) are recorded once, when they complete. The `ChatMemoryModule`
 * instance it records to (`options.memory`, default the unnamed one) must be visible in the
 * controller's module, imported there or global: the application does not start otherwise.
 * Options on the handler override those on the class.
 */
export const RecordChatTurn = (
  options: RecordChatTurnOptions = {},
): MethodDecorator & ClassDecorator => {
  const recorder = recordChatTurnInterceptor(options.memory);
  return applyDecorators(
    SetMetadata(RECORD_CHAT_TURN_METADATA, options),
    UseGuards(recorder),
    UseInterceptors(recorder),
  );
};
