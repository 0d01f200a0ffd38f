import type { ChatMemoryReadQuery } from './chat-memory-store.interface.js';

/** What a windowed read needs to know of each stored message. */
export interface SelectableMessage {
  readonly id: string | undefined;
  readonly tokens: number;
  /** A user message, or the first message of the window. */
  readonly turnStart: boolean;
}

/**
 * @internal The part `[from, to)` of a window (oldest first) that a windowed read returns, as the
 * window read script chooses it: with `maxTokens`, the newest whole turns whose tokens fit after
 * `promptTokens` (the newest turn always); with `before`, only messages before that id; with
 * `limit`, at most that many of the newest of those. `null` when `before` names no message.
 */
export function selectWindow(
  messages: readonly SelectableMessage[],
  query: ChatMemoryReadQuery,
  promptTokens: number,
): { from: number; to: number } | null {
  let from = 0;
  let to = messages.length;
  if (query.maxTokens !== undefined) {
    const budget = query.maxTokens - promptTokens;
    let sum = 0;
    let start = messages.length;
    // Walk back turn by turn; the newest turn is always taken.
    for (let i = messages.length - 1; i >= 0; i--) {
      sum += messages[i].tokens;
      if (!messages[i].turnStart) continue;
      if (sum > budget && start < messages.length) break;
      start = i;
    }
    from = start;
  }
  if (query.before !== undefined) {
    to = messages.findIndex((message) => message.id === query.before);
    if (to < 0) return null;
  }
  if (query.limit !== undefined && to - from > query.limit) from = to - query.limit;
  return { from, to: Math.max(from, to) };
}
