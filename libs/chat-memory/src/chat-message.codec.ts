import { CHAT_ROLES, type ChatMessage, type ChatRole } from './chat-memory.interfaces.js';

const ROLES: ReadonlySet<string> = new Set(CHAT_ROLES);

/** Serializes a message as the JSON object `{"role":...,"content":...}` (readable by Python's `json.loads`). */
export function encodeMessage(role: ChatRole, content: string): string {
  return JSON.stringify({ role, content });
}

/** Returns a fresh `{ role, content }` when `value` is a stored message, otherwise `undefined`. */
export function toMessage(value: unknown): ChatMessage | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { role, content } = value as { role?: unknown; content?: unknown };
  if (typeof role !== 'string' || !ROLES.has(role) || typeof content !== 'string') return undefined;
  return { role: role as ChatRole, content };
}

/** The result of decoding stored entries: the messages, and the indexes of entries that were skipped. */
export interface DecodedHistory {
  messages: ChatMessage[];
  skipped: number[];
}

function decodeOneByOne(entries: readonly string[]): DecodedHistory {
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

/**
 * Decodes stored entries, oldest first. Entries that are not JSON, or JSON that is not a message,
 * are reported in `skipped` and left out. The common case (all entries valid) is parsed with a
 * single `JSON.parse` of the joined entries, which is several times faster than one parse each.
 */
export function decodeMessages(entries: readonly string[]): DecodedHistory {
  if (entries.length === 0) return { messages: [], skipped: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${entries.join(',')}]`);
  } catch {
    return decodeOneByOne(entries);
  }
  // A count mismatch means some entry was not exactly one JSON value: decode each one on its own.
  if (!Array.isArray(parsed) || parsed.length !== entries.length) return decodeOneByOne(entries);
  const messages: ChatMessage[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const message = toMessage(parsed[i]);
    // The count can add up while values straddle entries (one entry holding two values, another
    // value split over two entries): each message must be exactly what its own entry decodes to.
    if (!message || !isEncodingOf(entries[i], message)) return decodeOneByOne(entries);
    messages.push(message);
  }
  return { messages, skipped: [] };
}

/** Whether `entry` on its own decodes to `message` (fast when it is our own encoding). */
function isEncodingOf(entry: string, message: ChatMessage): boolean {
  if (entry === encodeMessage(message.role, message.content)) return true;
  try {
    const own = toMessage(JSON.parse(entry));
    return own !== undefined && own.role === message.role && own.content === message.content;
  } catch {
    return false;
  }
}
