import type { ChatMessage } from '../chat-memory.interfaces.js';

/**
 * @internal What the guard, the `@ConversationHistory()` decorator and the interceptor share about
 * one request's turn.
 */
export interface TurnContext {
  /** The history before the turn, read by the guard for `@ConversationHistory()`. */
  history?: ChatMessage[];
  /**
   * Set by the first interceptor that took the turn: `@RecordChatTurn()` on both a class and a
   * handler attaches it twice, and a turn is recorded once.
   */
  recording?: boolean;
}

const contexts = new WeakMap<object, TurnContext>();

/** @internal The turn context of `request`, created on first use. */
export function turnContextOf(request: object): TurnContext {
  let context = contexts.get(request);
  if (!context) {
    context = {};
    contexts.set(request, context);
  }
  return context;
}

/** @internal The turn context of `request`, if the guard or the interceptor made one. */
export const findTurnContext = (request: object): TurnContext | undefined => contexts.get(request);
