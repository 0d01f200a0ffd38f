import type { Content, FunctionResponse, FunctionResponsePart, Part } from '@google/genai';
import type {
  ChatContentPart,
  ChatFilePart,
  ChatImagePart,
  ChatMessageInput,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';
import { collapse } from '../common.js';
import { GENERATED_ID_PREFIX, PROVIDER_KEY, toJson } from './shared.js';

const FROM = 'fromGeminiContent';

/** The media type stored for inline data or a file URI that Gemini gave without one. */
const UNKNOWN_MEDIA_TYPE = 'application/octet-stream';

/**
 * Maps one Gemini `Content` to messages to append: usually `response.candidates[0].content`
 * (or `response.candidates?.[0]?.content`: `undefined`, or a content without parts, gives `[]`).
 *
 * - a `model` turn (or one without a role) -> one `assistant` message: text parts -> text,
 *   `thought: true` parts -> reasoning, `inlineData` -> an image (`image/*`) or a file with
 *   `data`, `fileData` -> an image or a file with `url` (`displayName` -> a file's `filename`),
 *   and every `functionCall` part -> a tool call with `arguments` = `JSON.stringify(args)`
 *   (`'{}'` when Gemini sent no `args`);
 * - a `user` turn -> `user` messages for its other parts, and one `tool` message per
 *   `functionResponse` part, in order: `toolCallId` = its `id`, `name` = its `name`, `content` =
 *   `response.output` when `response` is exactly `{ output: <string> }`, else
 *   `JSON.stringify(response)`; the response's `parts` (images, files) follow as content parts.
 *
 * Gemini may leave out the ids of function calls and responses. Each one without an id gets
 * `call_<n>`, `n` being its index among the function calls (or responses) of this content, so
 * that the answer to the n-th call of a turn carries the n-th call's id. Such a tool call is
 * marked `providerData.google.idGenerated: true`, and `toGeminiContents` sends neither it nor
 * the id of its result. These ids repeat from one turn to the next (every turn has a `call_0`);
 * `toGeminiContents` matches a result to the latest call with its id.
 *
 * A part's `thoughtSignature` (Gemini 3 requires it back on function calls) and the other
 * `Part` fields with no place in a message (`videoMetadata`, `mediaResolution`,
 * `partMetadata`, ...) are kept in `providerData.google` of the part or tool call. A part of a
 * kind this library has no type for (`executableCode`, `codeExecutionResult`, server-side
 * `toolCall` / `toolResponse`, a `functionCall` in a user turn, ...) is kept whole as an empty
 * text part with `providerData.google.part`, and goes back unchanged.
 *
 * Lossy: a single text part with no Gemini fields becomes a string content; the place of parts
 * that came after function calls (they go back before them); `functionCall.partialArgs` /
 * `willContinue` and `functionResponse.scheduling` / `willContinue` (streaming and Live API
 * fields) are dropped. Throws an `Error` naming the part for a function call without a name.
 */
export function fromGeminiContent(content: Content | undefined): ChatMessageInput[] {
  const parts = content?.parts ?? [];
  const role = content?.role === 'user' ? 'user' : 'assistant';
  const messages: ChatMessageInput[] = [];
  let current: ChatContentPart[] = [];
  let toolCalls: ChatToolCall[] = [];
  let calls = 0;
  let responses = 0;

  const flush = (): void => {
    if (current.length === 0 && toolCalls.length === 0) return;
    const message: ChatMessageInput = { role, content: collapse(current) };
    if (toolCalls.length > 0) message.toolCalls = toolCalls;
    messages.push(message);
    current = [];
    toolCalls = [];
  };

  parts.forEach((part, i) => {
    if (part.functionCall !== undefined && role === 'assistant') {
      toolCalls.push(fromFunctionCall(part, calls++, `parts[${i}]`));
    } else if (part.functionResponse !== undefined) {
      flush();
      messages.push(fromFunctionResponse(part.functionResponse, responses++));
    } else {
      current.push(fromPart(part));
    }
  });
  flush();
  return messages;
}

/** Sets `providerData: { google: fields }` on `target` (fields made JSON) unless there are none. */
function withFields<T extends ChatContentPart | ChatToolCall>(target: T, fields: object): T {
  const data = toJson(fields) as JsonObject;
  if (Object.keys(data).length > 0) target.providerData = { [PROVIDER_KEY]: data };
  return target;
}

function fromPart(part: Part): ChatContentPart {
  if (typeof part.text === 'string') {
    const { text, thought, ...fields } = part;
    return withFields({ type: thought === true ? 'reasoning' : 'text', text }, fields);
  }
  const { inlineData, fileData, ...fields } = part;
  if (typeof inlineData?.data === 'string') {
    const { data, mimeType, displayName } = inlineData;
    return fromMedia({ data }, mimeType, displayName, fields);
  }
  if (typeof fileData?.fileUri === 'string') {
    const { fileUri, mimeType, displayName } = fileData;
    return fromMedia({ url: fileUri }, mimeType, displayName, fields);
  }
  return withFields({ type: 'text', text: '' }, { part });
}

/**
 * An image part (for an `image/*` media type, or a URL without one) or a file part; `fields`
 * (the rest of the Gemini part) go to `providerData.google`.
 */
function fromMedia(
  source: { url: string } | { data: string },
  mimeType: string | undefined,
  displayName: string | undefined,
  fields: object = {},
): ChatImagePart | ChatFilePart {
  if (mimeType?.startsWith('image/') || (mimeType === undefined && 'url' in source)) {
    const image: ChatImagePart = { type: 'image', ...source };
    if (mimeType !== undefined) image.mediaType = mimeType;
    // An image part has no field for the name: it is kept with Gemini's fields.
    return withFields(image, displayName === undefined ? fields : { ...fields, displayName });
  }
  const file: ChatFilePart = { type: 'file', ...source, mediaType: mimeType ?? UNKNOWN_MEDIA_TYPE };
  if (displayName !== undefined) file.filename = displayName;
  return withFields(file, fields);
}

/** The image and file parts of a tool result (`functionResponse.parts`). */
function fromResponseParts(parts: readonly FunctionResponsePart[]): ChatContentPart[] {
  const result: ChatContentPart[] = [];
  for (const { inlineData, fileData } of parts) {
    if (typeof inlineData?.data === 'string') {
      result.push(
        fromMedia({ data: inlineData.data }, inlineData.mimeType, inlineData.displayName),
      );
    } else if (typeof fileData?.fileUri === 'string') {
      result.push(fromMedia({ url: fileData.fileUri }, fileData.mimeType, fileData.displayName));
    }
  }
  return result;
}

function fromFunctionCall(part: Part, index: number, at: string): ChatToolCall {
  const { functionCall, ...fields } = part;
  const { id, name, args } = functionCall ?? {};
  if (!name) throw new Error(`${FROM}: ${at}.functionCall: a function call without a name`);
  const call: ChatToolCall = {
    id: id || `${GENERATED_ID_PREFIX}${index}`,
    name,
    arguments: JSON.stringify(args ?? {}),
  };
  return withFields(call, id ? fields : { ...fields, idGenerated: true });
}

function fromFunctionResponse(response: FunctionResponse, index: number): ChatMessageInput {
  const text = fromResponse(response.response);
  const media = fromResponseParts(response.parts ?? []);
  const message: ChatMessageInput = {
    role: 'tool',
    content:
      media.length === 0
        ? text
        : [...(text === '' ? [] : [{ type: 'text', text } as const]), ...media],
    toolCallId: response.id || `${GENERATED_ID_PREFIX}${index}`,
  };
  if (response.name) message.name = response.name;
  return message;
}

/** The content of a tool result: `output` when `response` is exactly `{ output: <string> }`. */
function fromResponse(response: Record<string, unknown> | undefined): string {
  if (response === undefined) return '';
  const keys = Object.keys(response);
  if (keys.length === 1 && keys[0] === 'output' && typeof response.output === 'string') {
    return response.output;
  }
  return JSON.stringify(response);
}
