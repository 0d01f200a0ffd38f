import {
  CHAT_ROLES,
  CONVERSATION_ID_PATTERN,
  MAX_CONVERSATION_ID_LENGTH,
} from './chat-memory.constants.js';
import {
  InvalidContentError,
  InvalidConversationIdError,
  InvalidOwnerError,
  InvalidRoleError,
} from './chat-memory.errors.js';
import type { ChatRole } from './chat-memory.interfaces.js';
import { ArgumentMessages, OwnerMessages } from './chat-memory.messages.js';

/**
 * @internal The checks of every call's arguments, on the hot path: cheap tests first, messages
 * built only on failure. Module options are checked once at boot (`chat-memory.options.ts`).
 */

const ROLES: ReadonlySet<unknown> = new Set(CHAT_ROLES);

/** Whether `value` is an object (arrays included), not `null`. */
export const isObject = (value: unknown): value is object =>
  value !== null && typeof value === 'object';

/** Whether `value` is one of `CHAT_ROLES`. */
export const isChatRole = (value: unknown): value is ChatRole => ROLES.has(value);

/** Throws `InvalidConversationIdError` unless `id` is 1-128 characters from `[A-Za-z0-9_.:@=-]`. */
export function assertConversationId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidConversationIdError(ArgumentMessages.conversationIdType(id));
  }
  if (id.length === 0 || id.length > MAX_CONVERSATION_ID_LENGTH) {
    throw new InvalidConversationIdError(ArgumentMessages.conversationIdLength(id.length));
  }
  if (!CONVERSATION_ID_PATTERN.test(id)) {
    throw new InvalidConversationIdError(ArgumentMessages.conversationIdCharacters(id));
  }
}

/** Throws `InvalidRoleError` unless `role` is one of `CHAT_ROLES`. */
export function assertRole(role: unknown): asserts role is ChatRole {
  if (!ROLES.has(role)) throw new InvalidRoleError(ArgumentMessages.role(role));
}

/** Throws `InvalidContentError` unless `content` is a string of at most `maxBytes` UTF-8 bytes. */
export function assertContent(
  content: unknown,
  maxBytes: number,
  label = 'content',
): asserts content is string {
  if (typeof content !== 'string') {
    throw new InvalidContentError(ArgumentMessages.contentType(label, content));
  }
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes: skip the byte count for short strings.
  if (content.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > maxBytes) {
      throw new InvalidContentError(ArgumentMessages.contentSize(label, bytes, maxBytes));
    }
  }
}

/** Throws `InvalidOwnerError` unless `owner` is 1-128 characters from `[A-Za-z0-9_.:@=-]`. */
export function assertOwner(owner: unknown): asserts owner is string {
  if (
    typeof owner !== 'string' ||
    owner.length === 0 ||
    owner.length > MAX_CONVERSATION_ID_LENGTH ||
    !CONVERSATION_ID_PATTERN.test(owner)
  ) {
    throw new InvalidOwnerError(OwnerMessages.owner(owner));
  }
}
