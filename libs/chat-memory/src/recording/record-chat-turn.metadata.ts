import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import {
  CONVERSATION_HISTORY_PARAM_METADATA,
  RECORD_CHAT_TURN_METADATA,
} from '../chat-memory.constants.js';
import { SSE_METADATA } from './nest-constants.js';
import type { RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/** @internal What the recording needs to know about one handler; read once per handler. */
export interface RecordedHandler {
  /** `Controller.method()`, for messages. */
  readonly name: string;
  /** The effective `@RecordChatTurn()` options (the handler's over the class's); `undefined` without. */
  readonly options: RecordChatTurnOptions | undefined;
  /** Whether the handler has a `@ConversationHistory()` parameter. */
  readonly wantsHistory: boolean;
  /** Whether it is an `@Sse()` handler. */
  readonly sse: boolean;
}

/** A controller class or one of its methods, as Nest and the Reflector take them. */
// oxlint-disable-next-line typescript/no-unsafe-function-type
type Target = Function;

const cache = new WeakMap<Target, WeakMap<Target, RecordedHandler>>();

/** @internal Reads (once, then from a cache) the recording metadata of `handler` of `controller`. */
export function readRecordedHandler(
  reflector: Reflector,
  controller: Target,
  handler: Target,
): RecordedHandler {
  let byHandler = cache.get(controller);
  if (!byHandler) {
    byHandler = new WeakMap();
    cache.set(controller, byHandler);
  }
  let found = byHandler.get(handler);
  if (!found) {
    found = Object.freeze({
      name: `${controller.name}.${handler.name}()`,
      options: reflector.getAllAndOverride<RecordChatTurnOptions | undefined>(
        RECORD_CHAT_TURN_METADATA,
        [handler, controller],
      ),
      wantsHistory:
        reflector.get<boolean | undefined>(CONVERSATION_HISTORY_PARAM_METADATA, handler) === true,
      sse: reflector.get<boolean | undefined>(SSE_METADATA, handler) === true,
    });
    byHandler.set(handler, found);
  }
  return found;
}

/** @internal `readRecordedHandler` for the handler of an execution context. */
export const recordedHandlerOf = (
  reflector: Reflector,
  context: ExecutionContext,
): RecordedHandler => readRecordedHandler(reflector, context.getClass(), context.getHandler());
