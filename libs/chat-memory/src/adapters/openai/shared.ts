import type {
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';

import { isJsonObject } from '../common.js';

export { isJsonObject, parseDataUrl, toJson } from '../common.js';

/** Options of `toOpenAIChatMessages` and `toOpenAIResponsesInput`. */
export interface OpenAIHistoryOptions {
  /**
   * The role our `system` messages are sent with: `'system'` (the default) or `'developer'`
   * (what OpenAI's reasoning models call the same thing).
   */
  systemRole?: 'system' | 'developer';
}

/**
 * @internal The key under which this adapter keeps its fields in `providerData`, so that fields
 * written by another provider's adapter are never mistaken for OpenAI ones (and the reverse).
 */
export const PROVIDER_KEY = 'openai';

/**
 * @internal A file the user uploaded to OpenAI, referenced by id: stored as the URL
 * `openai-file:<id>` (a part needs a `url` or `data`; an OpenAI file id is neither).
 */
export const FILE_ID_SCHEME = 'openai-file:';

/** @internal The OpenAI fields kept on a part or tool call, or `undefined`. */
export function openaiData(holder: { providerData?: JsonObject }): JsonObject | undefined {
  const value = holder.providerData?.[PROVIDER_KEY];
  return isJsonObject(value) ? value : undefined;
}

/** @internal A string field of `data`, or `undefined`. */
export function stringField(data: JsonObject | undefined, key: string): string | undefined {
  const value = data?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** @internal Sets `providerData: { openai: data }` on `target` unless `data` is empty. */
export function withOpenAIData<T extends ChatContentPart | ChatToolCall>(
  target: T,
  data: JsonObject,
): T {
  if (Object.keys(data).length > 0) target.providerData = { [PROVIDER_KEY]: data };
  return target;
}

/** @internal A base64 `data:` URL. */
export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

const MEDIA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
};

/**
 * @internal The media type implied by a file name or URL's extension, else `fallback`. Only used
 * where OpenAI gives no media type (a file id or URL); it is informative, never sent back.
 */
export function guessMediaType(name: string | undefined, fallback: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(name ?? '')?.[1]?.toLowerCase();
  return (extension && MEDIA_TYPES[extension]) || fallback;
}

/** @internal The audio format Chat Completions takes as `input_audio` for a media type. */
export function audioFormat(mediaType: string): 'wav' | 'mp3' | undefined {
  switch (mediaType.toLowerCase()) {
    case 'audio/wav':
    case 'audio/wave':
    case 'audio/x-wav':
      return 'wav';
    case 'audio/mpeg':
    case 'audio/mp3':
      return 'mp3';
    default:
      return undefined;
  }
}

/** @internal The error `to*` throws for something the target API cannot carry. */
export function unsupported(fn: string, path: string, what: string): Error {
  return new Error(`${fn}: ${path}: ${what}`);
}

/** @internal `{ name }` when the message has one, else `{}` (no `undefined` keys). */
export function nameOf(message: ChatMessage): { name?: string } {
  return message.name === undefined ? {} : { name: message.name };
}

/**
 * @internal Adds the tool name to `tool` messages whose call appears earlier in `messages` and
 * that have no name yet (Gemini, for one, needs the name next to a tool result).
 */
export function nameToolResults(messages: ChatMessage[]): ChatMessage[] {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const call of message.toolCalls ?? []) names.set(call.id, call.name);
    if (message.role === 'tool' && message.name === undefined && message.toolCallId) {
      const name = names.get(message.toolCallId);
      if (name !== undefined) message.name = name;
    }
  }
  return messages;
}
