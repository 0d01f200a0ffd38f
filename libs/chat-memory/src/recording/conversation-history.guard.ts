import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { ChatMemoryService } from '../chat-memory.service.js';
import { findChatMemory } from './chat-memory.lookup.js';
import {
  CONVERSATION_HISTORY_PARAM_METADATA,
  RECORD_CHAT_TURN_METADATA,
} from './record-chat-turn.constants.js';
import { defaultConversationId, prefetchedHistory } from './record-chat-turn.defaults.js';
import type { ChatTurnRequest, RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/**
 * @internal Part of `@RecordChatTurn()`: reads the history for `@ConversationHistory()` (one
 * round trip, only for handlers that have that parameter). It lets every request through. It is
 * a guard, not a step of the interceptor, because guards are awaited before the response starts:
 * an `@Sse()` route commits its headers as soon as its interceptors subscribe, so a failed read
 * (400, 503) could no longer be answered with its status from there.
 */
@Injectable()
export class ConversationHistoryGuard implements CanActivate {
  private service?: ChatMemoryService;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    if (!this.reflector.get<boolean>(CONVERSATION_HISTORY_PARAM_METADATA, handler)) return true;
    const request = context.switchToHttp().getRequest<ChatTurnRequest>();
    // Applied twice when @RecordChatTurn() is on both the class and the handler.
    if (prefetchedHistory.has(request)) return true;
    const options =
      this.reflector.getAllAndOverride<RecordChatTurnOptions | undefined>(
        RECORD_CHAT_TURN_METADATA,
        [handler, context.getClass()],
      ) ?? {};
    const conversationId = (options.conversationId ?? defaultConversationId)(request);
    this.service ??= findChatMemory(this.moduleRef);
    prefetchedHistory.set(request, await this.service.getHistory(conversationId as string));
    return true;
  }
}
