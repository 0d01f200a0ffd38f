/**
 * What the service tells a telemetry integration about each call. The core has no dependency on
 * any telemetry library: `nestjs-chat-memory/opentelemetry` implements this for OpenTelemetry, and
 * with no `telemetry` option the service does nothing more than one `null` check per call.
 */

/** Every `ChatMemoryService` call that is observed, by method name. */
export type ChatMemoryOperation =
  | 'append'
  | 'appendTurn'
  | 'getHistory'
  | 'getHistoryPage'
  | 'setSystemPrompt'
  | 'listConversations'
  | 'updateConversation'
  | 'deleteConversation'
  | 'deleteOwner'
  | 'clear'
  | 'count'
  | 'getTtl';

/** Where a call runs. `conversationId` and `owner` are for integrations that opt in to ids. */
export interface ChatMemoryOperationContext {
  /** `'redis'`, `'memory'` or `'custom'` (`ChatMemoryService.storeKind`). */
  readonly storeKind: string;
  /** The conversation, or `undefined` for calls about an owner (`listConversations`, `deleteOwner`). */
  readonly conversationId: string | undefined;
  /** The owner the call is scoped to, or `null`. */
  readonly owner: string | null;
}

/** What a call did. Only the fields that apply to the operation are set; never any content. */
export interface ChatMemoryOperationOutcome {
  /** Messages stored by a write (duplicates skipped by id are not counted). */
  messagesWritten?: number;
  /** Messages a write removed from the window (turns that slid out). */
  messagesTrimmed?: number;
  /** Of those, the messages handed to `config.onEvict`. */
  messagesEvicted?: number;
  /** Entries in the stored window after a write, or returned by a full `getHistory`. */
  windowSize?: number;
  /** Messages a read returned. */
  messagesReturned?: number;
  /** Tokens of the messages a read returned, as stored with them (set when `detailed`). */
  tokensReturned?: number;
}

/** One observed call: ended exactly once, by `end` or by `fail`. */
export interface ChatMemoryOperationObserver {
  /**
   * Whether the integration records details beyond counts (a sampled span). When `false`, the
   * service skips what costs work to compute (`tokensReturned`).
   */
  readonly detailed: boolean;
  end(outcome: ChatMemoryOperationOutcome): void;
  /** The call failed with `error` (a `ChatMemoryError`, or what a hook threw). */
  fail(error: unknown): void;
}

/** A telemetry integration, given to the module as its `telemetry` option. */
export interface ChatMemoryTelemetry {
  /** Called as a call starts; the returned observer is ended when it settles. */
  startOperation(
    operation: ChatMemoryOperation,
    context: ChatMemoryOperationContext,
  ): ChatMemoryOperationObserver;
}
