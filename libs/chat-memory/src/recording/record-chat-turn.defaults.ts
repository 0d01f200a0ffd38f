import type { ChatTurnRequest } from './record-chat-turn.interfaces.js';

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const field = (value: unknown, name: string): unknown =>
  value !== null && typeof value === 'object'
    ? (value as Record<string, unknown>)[name]
    : undefined;

/** Route param `conversationId`, then body field `conversationId`, then header `x-conversation-id`. */
export function defaultConversationId(request: ChatTurnRequest): string | undefined {
  const header = request.headers?.['x-conversation-id'];
  return (
    nonEmptyString(request.params?.conversationId) ??
    nonEmptyString(field(request.body, 'conversationId')) ??
    nonEmptyString(Array.isArray(header) ? header[0] : header)
  );
}

/** The `message` field of the body. */
export function defaultMessage(request: ChatTurnRequest): unknown {
  return field(request.body, 'message');
}

/** A string result, else its string `reply`, else its string `content`. */
export function defaultAnswer(result: unknown): unknown {
  if (typeof result === 'string') return result;
  const reply = field(result, 'reply');
  if (typeof reply === 'string') return reply;
  const content = field(result, 'content');
  return typeof content === 'string' ? content : undefined;
}

/**
 * The text of a stream chunk: a string, the `data` string of an SSE `MessageEvent`. Bytes are
 * handled by the interceptor itself (a multi-byte character may be split between chunks).
 */
export function defaultChunk(chunk: unknown): string | undefined {
  if (typeof chunk === 'string') return chunk;
  const data = field(chunk, 'data');
  return typeof data === 'string' ? data : undefined;
}
