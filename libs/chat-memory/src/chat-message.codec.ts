import { CHAT_ROLES } from './chat-memory.constants.js';
import type { ChatMessage, ChatRole } from './chat-memory.interfaces.js';
import { isChatRole } from './chat-memory.validation.js';

/** `{"role":"<role>","content":` for every role: the part of an encoded message that never changes. */
const ENCODED_PREFIX = Object.fromEntries(
  CHAT_ROLES.map((role) => [role, `{"role":${JSON.stringify(role)},"content":`]),
) as Record<ChatRole, string>;

/**
 * Serializes a message as the JSON object `{"role":...,"content":...}` (readable by Python's
 * `json.loads`), byte for byte what `JSON.stringify({ role, content })` gives, without building
 * the object: only the content goes through `JSON.stringify`. `role` must be one of `CHAT_ROLES`.
 */
export function encodeMessage(role: ChatRole, content: string): string {
  return `${ENCODED_PREFIX[role]}${JSON.stringify(content)}}`;
}

/** Returns a fresh `{ role, content }` when `value` is a stored message, otherwise `undefined`. */
export function toMessage(value: unknown): ChatMessage | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { role, content } = value as { role?: unknown; content?: unknown };
  if (!isChatRole(role) || typeof content !== 'string') return undefined;
  return { role, content };
}

/** The result of decoding stored entries: the messages, and the indexes of entries that were skipped. */
export interface DecodedHistory {
  messages: ChatMessage[];
  skipped: number[];
}

/**
 * Decodes stored entries, oldest first, one `JSON.parse` per entry. Entries that are not JSON, or
 * JSON that is not a message, are reported in `skipped` and left out. (Parsing the joined entries
 * at once was tried: barely faster without checks, and once it had to check that no value
 * straddled two entries, 2.5x slower than this; see bench/README.md.)
 */
export function decodeMessages(entries: readonly string[]): DecodedHistory {
  const messages: ChatMessage[] = [];
  const skipped: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    let message: ChatMessage | undefined;
    try {
      message = toMessage(JSON.parse(entries[i]));
    } catch {
      message = undefined;
    }
    if (message) messages.push(message);
    else skipped.push(i);
  }
  return { messages, skipped };
}
