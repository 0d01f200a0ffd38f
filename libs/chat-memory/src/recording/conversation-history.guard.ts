import {
  Inject,
  Injectable,
  Optional,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ChatMemoryService } from '../chat-memory.service.js';
import { getChatMemoryToken } from '../chat-memory.tokens.js';
import { assertConversationId } from '../chat-memory.validation.js';
import { defaultConversationId } from './record-chat-turn.defaults.js';
import type { ChatTurnRequest } from './record-chat-turn.interfaces.js';
import { recordedHandlerOf } from './record-chat-turn.metadata.js';
import { turnContextOf } from './turn-context.js';

/**
 * @internal Part of `@RecordChatTurn()`: reads the history for `@ConversationHistory()` (one
 * round trip, only for handlers that have that parameter) and lets every request through. It is
 * a guard, not a step of the interceptor, because guards are awaited before the response starts:
 * an `@Sse()` route commits its headers as soon as its interceptors subscribe, so a failed read
 * (400, 503) could no longer be answered with its status from there. A missing service is
 * reported at boot by the interceptor of the same handler.
 */
export abstract class ConversationHistoryGuard implements CanActivate {
  protected constructor(
    private readonly memoryName: string | undefined,
    private readonly memory: ChatMemoryService | undefined,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { memory } = this;
    if (context.getType() !== 'http' || !memory) return true;
    const { options, wantsHistory } = recordedHandlerOf(this.reflector, context);
    if (!wantsHistory || !options || options.memory !== this.memoryName) return true;
    const request = context.switchToHttp().getRequest<ChatTurnRequest>();
    const turn = turnContextOf(request);
    // Applied twice when @RecordChatTurn() is on both the class and the handler.
    if (turn.history) return true;
    const conversationId = (options.conversationId ?? defaultConversationId)(request);
    assertConversationId(conversationId);
    turn.history = await memory.getHistory(conversationId);
    return true;
  }
}

const guards = new Map<string | undefined, Type<ConversationHistoryGuard>>();

/** @internal The history guard class of the instance named `memory`, made once per name. */
export function conversationHistoryGuard(
  memory: string | undefined,
): Type<ConversationHistoryGuard> {
  let guard = guards.get(memory);
  if (!guard) {
    @Injectable()
    class NamedConversationHistoryGuard extends ConversationHistoryGuard {
      constructor(
        @Optional() @Inject(getChatMemoryToken(memory)) service: ChatMemoryService | undefined,
        @Inject(Reflector) reflector: Reflector,
      ) {
        super(memory, service, reflector);
      }
    }
    guard = NamedConversationHistoryGuard;
    guards.set(memory, guard);
  }
  return guard;
}
