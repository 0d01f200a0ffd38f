import type { ChatMessageInput } from '../chat-message.interfaces.js';
/**
 * The request as the recording interceptor sees it: the framework request of Express or
 * Fastify, both of which carry `params`, `query`, `body` and (lower-case) `headers`.
 */
export interface ChatTurnRequest {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  [key: string]: unknown;
}

/** What `onRecordError` is told about a turn that could not be recorded. */
export interface ChatTurnRecordErrorContext {
  /** The conversation id the turn was resolved to, if any. */
  conversationId: string | undefined;
  /** The framework request (Express or Fastify). */
  request: ChatTurnRequest;
}

/** Options of `@RecordChatTurn()`. Every field is optional. */
export interface RecordChatTurnOptions {
  /**
   * The name of the `ChatMemoryModule` instance to record to (`forRoot({ name })`). It must be
   * visible in the controller's module (imported there, or global); the application does not
   * start otherwise. Default: the unnamed instance.
   */
  memory?: string;
  /**
   * Where the conversation id comes from. Default: the route parameter `conversationId`, then a
   * `conversationId` field of the body, then the `x-conversation-id` header.
   */
  conversationId?: (request: ChatTurnRequest) => string | undefined;
  /**
   * Where the user's message comes from: its text, or a `ChatMessageInput` with role `user` (for
   * images, files, metadata). Default: the `message` field of the body.
   */
  message?: (request: ChatTurnRequest) => unknown;
  /**
   * What `@ConversationHistory()` reads: `{ maxTokens }` for the newest whole turns that fit in a
   * token budget (with the system prompt), chosen inside Redis. Default: the whole window.
   */
  history?: { maxTokens?: number };
  /**
   * Where the answer comes from, given what the handler returned: its text, an assistant
   * `ChatMessageInput`, or the steps of an agent (`assistant` and `tool` messages, in order), or
   * a promise of one of them. They are stored with the user's message in one atomic write. The
   * adapters have helpers for common results: `fromAiSdkResult` (`nestjs-chat-memory/ai-sdk`) for
   * a `generateText` / `streamText` result, `fromOpenAIChatCompletion` (`nestjs-chat-memory/openai`).
   * Default: the result itself when it is a string, else its `reply` field, else its `content`
   * field (when they are strings). Not used for streams (see `chunk`).
   */
  answer?: (result: unknown, request: ChatTurnRequest) => unknown;
  /**
   * What one chunk of a stream (an `@Sse()` Observable or an async iterable) adds to the answer:
   * its text; or a message, for an agent step sent whole (an assistant message with `toolCalls`,
   * a `tool` result), stored in order with the text around it; or `undefined` to leave it out.
   * Default: a string as it is, bytes decoded as UTF-8, the `data` of an object whose `data` is a
   * string (an SSE `MessageEvent`); anything else is left out.
   *
   * ```ts
   * // Steps sent as `{ type: 'step', data: message }` events, the answer's words as `{ data: word }`.
   * chunk: (event) => (event as MessageEvent).data as string | ChatMessageInput,
   * ```
   */
  chunk?: (chunk: unknown) => string | ChatMessageInput | undefined;
  /**
   * What to do with a stream the client left before it completed: `'record'` stores what was
   * sent so far followed by `interruptedMarker`, as an assistant message with
   * `metadata: { interrupted: true }` (the marker only, with `wireFormat: 'ractogateway'`);
   * `'skip'` stores nothing. Default `'record'`.
   */
  onDisconnect?: 'record' | 'skip';
  /** Appended to the partial answer of an interrupted stream. Default `' [interrupted]'`. */
  interruptedMarker?: string;
  /**
   * Called (after the failure was logged) when a turn could not be recorded: Redis unavailable,
   * an invalid conversation id, no message or answer found. Its own errors are logged and ignored.
   * The user's response is never affected. Default: none.
   */
  onRecordError?: (error: unknown, context: ChatTurnRecordErrorContext) => void | Promise<void>;
}
