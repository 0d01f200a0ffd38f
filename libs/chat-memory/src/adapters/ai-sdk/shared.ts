import type { ToolResultPart } from 'ai';
import { MESSAGE_ID_PATTERN } from '../../chat-memory.constants.js';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatToolCall,
  JsonObject,
  JsonValue,
} from '../../chat-message.interfaces.js';

import { parseDataUrl } from '../common.js';

export { collapse } from '../common.js';

/**
 * @internal The key under which this adapter keeps its fields in `providerData`
 * (`providerData.aiSdk`), so that they never mix with another adapter's fields.
 *
 * The fields, all optional:
 * - on any part or tool call: `providerOptions` (the AI SDK's `providerOptions` of the part or
 *   tool call, which is also a UI part's `providerMetadata` / a tool part's `callProviderMetadata`);
 * - on the first part (or, with no parts, the first tool call) of a message:
 *   `messageProviderOptions` (the `providerOptions` of the `ModelMessage` itself) and `uiMessageId`
 *   (a `UIMessage` id that is not a valid message id);
 * - on an image part: `filename` (a UI file part's file name);
 * - on a tool call: `providerExecuted`, `stringInput` (the input was a string that is itself JSON
 *   text, so `arguments` must not be parsed), `title`, `toolMetadata`, `dynamic` (UI tool parts);
 * - on the first part of a `tool` message: `outputType` (the kind of tool output, see
 *   `encodeToolResult`), `resultProviderOptions` (the tool-result part's `providerOptions`),
 *   `providerExecuted` (the result was part of the assistant message), `approvalId` (a denied
 *   UI tool call);
 * - on a text part of a `tool` message: `item` (a tool output content item kept verbatim).
 */
export const PROVIDER_KEY = 'aiSdk';

/** @internal The AI SDK's tool output (`ToolResultPart['output']`). */
export type ToolOutput = ToolResultPart['output'];

/** @internal The AI SDK's `providerOptions` (provider name -> JSON object). */
export type ProviderOptions = NonNullable<ToolResultPart['providerOptions']>;

type ContentItem = Extract<ToolOutput, { type: 'content' }>['value'][number];

const OUTPUT_TYPES: ReadonlySet<string> = new Set([
  'text',
  'json',
  'error-text',
  'error-json',
  'execution-denied',
  'content',
]);

/** @internal Whether `value` is a plain JSON-like object (not an array, not `null`). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * @internal A JSON copy of `value` when it is an object (drops `undefined` keys, turns
 * non-finite numbers into `null`), else `undefined`. Also `undefined` when it cannot be
 * serialized (a cycle, a BigInt).
 */
export function jsonObject(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  try {
    const copy: unknown = JSON.parse(JSON.stringify(value));
    return isObject(copy) ? (copy as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** @internal This adapter's fields of a part or tool call, or `undefined`. */
export function ownData(holder: { providerData?: JsonObject } | undefined): JsonObject | undefined {
  const value = holder?.providerData?.[PROVIDER_KEY];
  return isObject(value) ? value : undefined;
}

/** @internal The `providerOptions` kept on a part or tool call, or `undefined`. */
export function partOptions(holder: { providerData?: JsonObject }): ProviderOptions | undefined {
  const value = ownData(holder)?.providerOptions;
  return isObject(value) ? (value as ProviderOptions) : undefined;
}

/** @internal A JSON object field of `data`, or `undefined`. */
export function objectField(data: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = data?.[key];
  return isObject(value) ? value : undefined;
}

/** @internal A string field of `data`, or `undefined`. */
export function stringField(data: JsonObject | undefined, key: string): string | undefined {
  const value = data?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * @internal Adds `fields` (those that are not `undefined`, JSON-copied) to this adapter's
 * `providerData` of `target`. Returns `target`.
 */
export function addOwnData<T extends ChatContentPart | ChatToolCall>(
  target: T,
  fields: Record<string, unknown>,
): T {
  const clean: JsonObject = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    const copy = jsonValue(value);
    if (copy !== undefined) clean[key] = copy;
  }
  if (Object.keys(clean).length === 0) return target;
  const existing = ownData(target);
  target.providerData = {
    ...target.providerData,
    [PROVIDER_KEY]: { ...existing, ...clean },
  };
  return target;
}

/** A JSON copy of any value, or `undefined` when it has none. */
function jsonValue(value: unknown): JsonValue | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

/** @internal Whether `id` may be stored as a message id. */
export const isMessageId = (id: unknown): id is string =>
  typeof id === 'string' && MESSAGE_ID_PATTERN.test(id);

/**
 * @internal The providerData holder whose message-level fields count: the first part, else the
 * first tool call.
 */
export function firstHolder(message: ChatMessage): ChatContentPart | ChatToolCall | undefined {
  if (Array.isArray(message.content) && message.content.length > 0) return message.content[0];
  return message.toolCalls?.[0];
}

/**
 * @internal Puts message-level fields (`messageProviderOptions`, `uiMessageId`) on the first part,
 * else on the first tool call; dropped when the message has neither.
 */
export function addMessageData(
  parts: ChatContentPart[],
  toolCalls: ChatToolCall[],
  fields: Record<string, unknown>,
): void {
  if (Object.values(fields).every((value) => value === undefined)) return;
  const holder = parts[0] ?? toolCalls[0];
  if (holder) addOwnData(holder, fields);
}

/** @internal The text of parts: their `text` and `reasoning` texts joined. */
export function textOf(content: string | ChatContentPart[]): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content)
    if (part.type === 'text' || part.type === 'reasoning') text += part.text;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Images and files

/** @internal The base64 text of binary data (`Uint8Array`, `Buffer`, `ArrayBuffer`). */
export function toBase64(data: Uint8Array | ArrayBuffer): string {
  return data instanceof ArrayBuffer
    ? Buffer.from(data).toString('base64')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/**
 * @internal Where an image or file is, as our parts say it: `{ url }` or `{ data, mediaType }`.
 * A string that parses as a URL is a URL (the AI SDK's own rule), else base64 data; a
 * `data:<type>;base64,` URL becomes `data` + `mediaType` when `mediaType` is not given or is the
 * same; binary data becomes base64.
 */
export function locate(
  source: string | Uint8Array | ArrayBuffer | URL,
  mediaType: string | undefined,
): { url: string; mediaType?: string } | { data: string; mediaType?: string } {
  if (typeof source !== 'string' && !(source instanceof URL)) {
    return withMediaType({ data: toBase64(source) }, mediaType);
  }
  const text = source instanceof URL ? source.href : source;
  if (source instanceof URL || URL.canParse(text)) {
    const parsed = parseDataUrl(text);
    if (parsed && (mediaType === undefined || mediaType === parsed.mediaType)) return parsed;
    return withMediaType({ url: text }, mediaType);
  }
  return withMediaType({ data: text }, mediaType);
}

function withMediaType<T extends object>(
  target: T,
  mediaType: string | undefined,
): T & { mediaType?: string } {
  return mediaType === undefined ? target : { ...target, mediaType };
}

/** @internal An image's or file's `data` as a `data:` URL, or its `url`. */
export function toUrl(part: { url?: string; data?: string; mediaType?: string }): string {
  if (part.url !== undefined) return part.url;
  return `data:${part.mediaType ?? 'application/octet-stream'};base64,${part.data ?? ''}`;
}

/** The media type the AI SDK itself uses for "some image" (`image/*`). */
export const ANY_IMAGE = 'image/*';

// ---------------------------------------------------------------------------------------------
// Tool call arguments

/**
 * @internal A tool call's input as our `arguments` text: `JSON.stringify(input)`, or the input
 * itself when it is a string (the AI SDK passes the raw text on when it could not parse it).
 * `stringInput` is set when such a string is itself valid JSON, so that `parseArguments` does not
 * turn it into a value.
 */
export function stringifyInput(input: unknown): { text: string; stringInput?: true } {
  if (typeof input === 'string') {
    return isJsonText(input) ? { text: input, stringInput: true } : { text: input };
  }
  return { text: JSON.stringify(input ?? {}) ?? '{}' };
}

/** @internal A tool call's input from our `arguments`: `JSON.parse`d, or the text when it is not JSON. */
export function parseArguments(call: ChatToolCall): unknown {
  if (ownData(call)?.stringInput === true) return call.arguments;
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch {
    return call.arguments;
  }
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Tool results

/** @internal What a tool result carries besides its output. */
export interface ToolResultExtras {
  /** The tool-result part's own `providerOptions`. */
  resultProviderOptions?: ProviderOptions;
  /** The result was part of the assistant message (a provider-executed tool). */
  providerExecuted?: boolean;
  /** The `providerOptions` of the tool `ModelMessage`. */
  messageProviderOptions?: ProviderOptions;
  /** The approval id of a denied UI tool call. */
  approvalId?: string;
}

/**
 * @internal A tool result as one of our `tool` messages. The rule (and its inverse,
 * `decodeToolResult`):
 * - `text` -> the content string (a marked text part when there are provider options or extras);
 * - `json` / `error-json` -> one text part with `JSON.stringify(value)`, marked with `outputType`;
 * - `error-text` -> one text part with the error text, marked;
 * - `execution-denied` -> one text part with the reason (or `''`), marked;
 * - `content` -> one part per item (text, image, file; other items verbatim in a text part's
 *   `item`), the first one marked `outputType: 'content'`.
 */
export function encodeToolResult(
  toolCallId: string,
  toolName: string,
  output: ToolOutput,
  extras: ToolResultExtras,
): ChatMessageInput {
  const message: ChatMessageInput = { role: 'tool', content: '', toolCallId, name: toolName };
  const marks: Record<string, unknown> = {
    resultProviderOptions: jsonObject(extras.resultProviderOptions),
    providerExecuted: extras.providerExecuted === true ? true : undefined,
    messageProviderOptions: jsonObject(extras.messageProviderOptions),
    approvalId: extras.approvalId,
  };
  const hasMarks = Object.values(marks).some((value) => value !== undefined);

  if (output.type === 'content') {
    const parts = output.value.map(itemToPart);
    if (parts.length > 0) addOwnData(parts[0], { outputType: 'content', ...marks });
    message.content = parts;
    return message;
  }
  const options = jsonObject(output.providerOptions);
  let text: string;
  switch (output.type) {
    case 'text':
      if (options === undefined && !hasMarks) {
        message.content = output.value;
        return message;
      }
      text = output.value;
      break;
    case 'error-text':
      text = output.value;
      break;
    case 'json':
    case 'error-json':
      text = JSON.stringify(output.value ?? null);
      break;
    case 'execution-denied':
      text = output.reason ?? '';
      break;
    default:
      text = JSON.stringify(output);
  }
  const part: ChatContentPart = { type: 'text', text };
  addOwnData(part, { outputType: output.type, providerOptions: options, ...marks });
  message.content = [part];
  return message;
}

function itemToPart(item: ContentItem): ChatContentPart {
  const options = 'providerOptions' in item ? jsonObject(item.providerOptions) : undefined;
  let part: ChatContentPart;
  switch (item.type) {
    case 'text':
      part = { type: 'text', text: item.text };
      break;
    case 'image-data':
      part = { type: 'image', data: item.data, mediaType: item.mediaType };
      break;
    case 'image-url':
      part = { type: 'image', url: item.url };
      break;
    case 'file-data':
      part = { type: 'file', data: item.data, mediaType: item.mediaType };
      if (item.filename !== undefined) part.filename = item.filename;
      break;
    case 'file-url':
      if (item.mediaType === undefined) return addOwnData({ type: 'text', text: '' }, { item });
      part = { type: 'file', url: item.url, mediaType: item.mediaType };
      break;
    default:
      // file-id, image-file-id, custom, media: kept as they are.
      return addOwnData({ type: 'text', text: '' }, { item });
  }
  return addOwnData(part, { providerOptions: options });
}

/**
 * @internal One of our `tool` messages as an AI SDK tool output, plus its extras (see
 * `encodeToolResult`). Content with no `outputType` mark: a string, or text parts only, is
 * `text` (the texts joined); other parts (or none) make a `content` output.
 */
export function decodeToolResult(message: ChatMessage): {
  output: ToolOutput;
  extras: ToolResultExtras;
} {
  const { content } = message;
  if (typeof content === 'string') return { output: { type: 'text', value: content }, extras: {} };
  const data = ownData(content[0]);
  const extras: ToolResultExtras = {};
  const resultOptions = objectField(data, 'resultProviderOptions');
  if (resultOptions) extras.resultProviderOptions = resultOptions as ProviderOptions;
  if (data?.providerExecuted === true) extras.providerExecuted = true;
  const messageOptions = objectField(data, 'messageProviderOptions');
  if (messageOptions) extras.messageProviderOptions = messageOptions as ProviderOptions;
  const approvalId = stringField(data, 'approvalId');
  if (approvalId !== undefined) extras.approvalId = approvalId;

  let type = stringField(data, 'outputType');
  if (type === undefined || !OUTPUT_TYPES.has(type)) {
    const textOnly =
      content.length > 0 && content.every((part) => part.type === 'text' && !ownData(part)?.item);
    type = textOnly ? 'text' : 'content';
  }
  if (type === 'content') {
    return { output: { type: 'content', value: content.map(partToItem) }, extras };
  }
  const text = textOf(content);
  const options = objectField(data, 'providerOptions') as ProviderOptions | undefined;
  let output: ToolOutput;
  switch (type) {
    case 'json':
    case 'error-json': {
      const value = parseJson(text);
      output =
        value === undefined
          ? { type: type === 'json' ? 'text' : 'error-text', value: text }
          : { type, value };
      break;
    }
    case 'execution-denied':
      output = text === '' ? { type } : { type, reason: text };
      break;
    case 'error-text':
      output = { type, value: text };
      break;
    default:
      output = { type: 'text', value: text };
  }
  // Every output type but `content` (handled above) has `providerOptions`.
  if (options) (output as { providerOptions?: ProviderOptions }).providerOptions = options;
  return { output, extras };
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function partToItem(part: ChatContentPart): ContentItem {
  const data = ownData(part);
  const kept = objectField(data, 'item');
  if (kept && typeof kept.type === 'string') return kept as unknown as ContentItem;
  const options = objectField(data, 'providerOptions') as ProviderOptions | undefined;
  let item: ContentItem;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      item = { type: 'text', text: part.text };
      break;
    case 'image':
      item =
        part.url !== undefined
          ? { type: 'image-url', url: part.url }
          : { type: 'image-data', data: part.data ?? '', mediaType: part.mediaType ?? ANY_IMAGE };
      break;
    case 'file':
      item =
        part.url !== undefined
          ? { type: 'file-url', url: part.url, mediaType: part.mediaType }
          : { type: 'file-data', data: part.data ?? '', mediaType: part.mediaType };
      if (part.url === undefined && part.filename !== undefined) {
        (item as { filename?: string }).filename = part.filename;
      }
      break;
  }
  if (options) (item as { providerOptions?: ProviderOptions }).providerOptions = options;
  return item;
}
