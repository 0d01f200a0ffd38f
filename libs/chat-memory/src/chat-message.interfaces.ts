import type { CHAT_ROLES } from './chat-memory.constants.js';

/** A message role: `system`, `user`, `assistant` or `tool`. */
export type ChatRole = (typeof CHAT_ROLES)[number];

/** A JSON value: what `JSON.parse` can return (numbers finite; `-0` is stored, and reads back, as `0`). */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Fields of a part or tool call that a provider needs back on the next request (a reasoning
 * signature, an item id, a Gemini `thoughtSignature`, ...). Stored and returned as they are.
 */
interface WithProviderData {
  /** Provider-specific fields, kept verbatim. Adapters put what they cannot map here. */
  providerData?: JsonObject;
}

/** Text. */
export interface ChatTextPart extends WithProviderData {
  type: 'text';
  text: string;
}

/**
 * An image, by URL or as base64 `data` (exactly one of them). `mediaType` (`image/png`, ...) is
 * required with `data`.
 */
export interface ChatImagePart extends WithProviderData {
  type: 'image';
  url?: string;
  data?: string;
  mediaType?: string;
}

/** A file (a PDF, audio, ...), by URL or as base64 `data` (exactly one of them). */
export interface ChatFilePart extends WithProviderData {
  type: 'file';
  url?: string;
  data?: string;
  mediaType: string;
  filename?: string;
}

/** The model's reasoning (thinking) text; a signature the provider needs back goes in `providerData`. */
export interface ChatReasoningPart extends WithProviderData {
  type: 'reasoning';
  text: string;
}

/** One part of a message's content. */
export type ChatContentPart = ChatTextPart | ChatImagePart | ChatFilePart | ChatReasoningPart;

/** A tool call the assistant made. */
export interface ChatToolCall extends WithProviderData {
  /** The call's id, which the `tool` message with its result names in `toolCallId`. */
  id: string;
  /** The tool's name. */
  name: string;
  /** The arguments, as the JSON text the model produced, exactly (never re-serialized). */
  arguments: string;
}

/**
 * One stored message, as `ChatMemoryService.getHistory()` returns it and `append()` resolves to.
 * Optional fields are present only when they were written. An entry written by the Python
 * original or by version 0.1 of this library reads as `{ role, content }` only: no `id`, no
 * `createdAt`.
 */
export interface ChatMessage {
  /**
   * The message id: a caller-given one, or one the library assigns (26 characters, a ULID, so
   * ids sort in the order they were made).
   */
  id?: string;
  role: ChatRole;
  /** The text, or an array of parts. */
  content: string | ChatContentPart[];
  /** The tool calls of an `assistant` message. */
  toolCalls?: ChatToolCall[];
  /** The id of the tool call that a `tool` message answers. */
  toolCallId?: string;
  /** The name of the participant, or of the tool for a `tool` message. */
  name?: string;
  /** Your own data about the message (a JSON object), stored as it is. */
  metadata?: JsonObject;
  /** When the message was stored, in milliseconds since the epoch (set by the library). */
  createdAt?: number;
}

/**
 * A message to store: a `ChatMessage` whose `id` and `createdAt` are optional (the library
 * assigns them). A caller-given `id` is 1-128 characters from `[A-Za-z0-9_.:-]`, starting with a
 * letter or digit.
 */
export type ChatMessageInput = ChatMessage;
