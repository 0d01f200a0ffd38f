import { CHAT_ROLES, type ChatMessage, type ChatRole } from './chat-memory.interfaces.js';

const ROLES: ReadonlySet<string> = new Set(CHAT_ROLES);

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
 * Above this many characters the joined entries are not parsed as one string: V8 puts a string
 * of 128 KiB or more in large-object space, and `JSON.parse` of it was measured 5-10x slower per
 * entry than parsing the entries one by one (2000 entries of ~280 B: 4.7 ms against 0.8 ms).
 */
const SINGLE_PARSE_MAX_CHARS = 64 * 1024;

/**
 * Decodes stored entries, oldest first. Entries that are not JSON, or JSON that is not a message,
 * are reported in `skipped` and left out. The common case (all entries valid, a window of up to
 * 64 Ki characters) is parsed with a single `JSON.parse` of the joined entries; larger windows
 * are parsed one entry at a time.
 */
export function decodeMessages(entries: readonly string[]): DecodedHistory {
  if (entries.length === 0) return { messages: [], skipped: [] };
  let chars = entries.length;
  for (let i = 0; i < entries.length; i++) chars += entries[i].length;
  if (chars > SINGLE_PARSE_MAX_CHARS) return decodeOneByOne(entries);
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
