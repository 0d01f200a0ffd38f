import type {
  AssistantContent,
  AssistantModelMessage,
  FilePart,
  ImagePart,
  ModelMessage,
  TextPart,
  ToolModelMessage,
  ToolResultPart,
  UserContent,
} from 'ai';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatToolCall,
} from '../../chat-message.interfaces.js';
import {
  ANY_IMAGE,
  addMessageData,
  addOwnData,
  collapse,
  decodeToolResult,
  encodeToolResult,
  firstHolder,
  isObject,
  jsonObject,
  locate,
  objectField,
  ownData,
  parseArguments,
  partOptions,
  stringifyInput,
  textOf,
  type ProviderOptions,
} from './shared.js';

type AssistantPart = Exclude<AssistantContent, string>[number];
type UserPart = Exclude<UserContent, string>[number];

/** The tool name of a result whose message has no `name` and whose call is not in the history. */
const UNKNOWN_TOOL = 'unknown';

/**
 * Converts stored history into the AI SDK's `ModelMessage[]`, for the `messages` of
 * `generateText` / `streamText`.
 *
 * - `system` -> a system message (its text; parts' texts joined, images and files left out).
 * - `user` -> text, image (`image` is the URL or the base64 data) and file parts.
 * - `assistant` -> text, reasoning and file parts (an image becomes a file part: assistant
 *   messages have no image parts), then one `tool-call` part per tool call with
 *   `input: JSON.parse(arguments)` (the text itself when it is not JSON).
 * - `tool` -> a `tool-result` part whose `output` follows the rule of `fromModelMessages`: a
 *   content string is `{ type: 'text' }`; the `outputType` mark written by `fromModelMessages` /
 *   `fromUIMessages` gives `json`, `error-text`, `error-json`, `execution-denied` or `content` back;
 *   unmarked text parts are `text`, unmarked parts with images or files a `content` output. The
 *   tool name is the message's `name`, else the name of the matching call earlier in the history
 *   (else `'unknown'`). Consecutive tool messages become one tool message; the result of a
 *   provider-executed tool goes back into the assistant message.
 *
 * Provider fields kept by `from*` in `providerData.aiSdk` (reasoning signatures, item ids, cache
 * control...) are given back as `providerOptions`. Ids, `createdAt`, `metadata` and a user's or
 * assistant's `name` are not sent (the AI SDK has no such fields). A `tool` message written by an
 * older version without `toolCallId` answers no call: it is sent as a user message with its text.
 */
export function toModelMessages(history: readonly ChatMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  const callNames = new Map<string, string>();
  let lastAssistant: AssistantModelMessage | undefined;
  let lastTool: ToolModelMessage | undefined;

  history.forEach((message, index) => {
    const messageOptions = objectField(ownData(firstHolder(message)), 'messageProviderOptions') as
      ProviderOptions | undefined;
    switch (message.role) {
      case 'system': {
        const system: ModelMessage = { role: 'system', content: textOf(systemText(message)) };
        if (messageOptions) system.providerOptions = messageOptions;
        out.push(system);
        lastAssistant = lastTool = undefined;
        return;
      }
      case 'user': {
        out.push(userMessage(message.content, messageOptions));
        lastAssistant = lastTool = undefined;
        return;
      }
      case 'assistant': {
        const assistant = assistantMessage(message, messageOptions);
        for (const call of message.toolCalls ?? []) callNames.set(call.id, call.name);
        out.push(assistant);
        lastAssistant = assistant;
        lastTool = undefined;
        return;
      }
      case 'tool': {
        if (message.toolCallId === undefined) {
          // Written by an older version: no call to answer.
          out.push(userMessage(message.content, undefined));
          lastAssistant = lastTool = undefined;
          return;
        }
        const { output, extras } = decodeToolResult(message);
        const part: ToolResultPart = {
          type: 'tool-result',
          toolCallId: message.toolCallId,
          toolName: message.name ?? callNames.get(message.toolCallId) ?? UNKNOWN_TOOL,
          output,
        };
        if (extras.resultProviderOptions) part.providerOptions = extras.resultProviderOptions;
        if (extras.providerExecuted && lastAssistant && out[out.length - 1] === lastAssistant) {
          if (typeof lastAssistant.content === 'string') {
            lastAssistant.content =
              lastAssistant.content === '' ? [] : [{ type: 'text', text: lastAssistant.content }];
          }
          lastAssistant.content.push(part);
          return;
        }
        if (
          lastTool &&
          out[out.length - 1] === lastTool &&
          lastTool.providerOptions === undefined &&
          extras.messageProviderOptions === undefined
        ) {
          lastTool.content.push(part);
          return;
        }
        lastTool = { role: 'tool', content: [part] };
        if (extras.messageProviderOptions) lastTool.providerOptions = extras.messageProviderOptions;
        out.push(lastTool);
        lastAssistant = undefined;
        return;
      }
      default:
        throw new Error(
          `toModelMessages: message ${index} has an unknown role ${JSON.stringify((message as { role?: unknown }).role)}`,
        );
    }
  });
  return out;
}

function systemText(message: ChatMessage): string | ChatContentPart[] {
  const { content } = message;
  return typeof content === 'string' ? content : content.filter((part) => part.type === 'text');
}

function userMessage(
  content: string | ChatContentPart[],
  messageOptions: ProviderOptions | undefined,
): ModelMessage {
  const user: ModelMessage = {
    role: 'user',
    content:
      typeof content === 'string'
        ? content
        : content.flatMap((part): UserPart[] => {
            switch (part.type) {
              case 'text':
                return [textPart(part)];
              case 'image':
                return [imagePart(part)];
              case 'file':
                return [filePart(part)];
              default:
                return []; // reasoning: a user message has none
            }
          }),
  };
  if (messageOptions) user.providerOptions = messageOptions;
  return user;
}

function assistantMessage(
  message: ChatMessage,
  messageOptions: ProviderOptions | undefined,
): AssistantModelMessage {
  const { content, toolCalls } = message;
  const assistant: AssistantModelMessage = { role: 'assistant', content: '' };
  if (messageOptions) assistant.providerOptions = messageOptions;
  if (typeof content === 'string' && !toolCalls?.length) {
    assistant.content = content;
    return assistant;
  }
  const parts: AssistantPart[] = [];
  if (typeof content === 'string') {
    if (content !== '') parts.push({ type: 'text', text: content });
  } else {
    for (const part of content) {
      switch (part.type) {
        case 'text':
          parts.push(textPart(part));
          break;
        case 'reasoning': {
          const reasoning: AssistantPart = { type: 'reasoning', text: part.text };
          const options = partOptions(part);
          if (options) reasoning.providerOptions = options;
          parts.push(reasoning);
          break;
        }
        case 'image':
          parts.push(filePart({ ...part, mediaType: part.mediaType ?? ANY_IMAGE }));
          break;
        case 'file':
          parts.push(filePart(part));
          break;
      }
    }
  }
  for (const call of toolCalls ?? []) {
    const data = ownData(call);
    const toolCall: AssistantPart = {
      type: 'tool-call',
      toolCallId: call.id,
      toolName: call.name,
      input: parseArguments(call),
    };
    const options = partOptions(call);
    if (options) toolCall.providerOptions = options;
    if (data?.providerExecuted === true) toolCall.providerExecuted = true;
    parts.push(toolCall);
  }
  assistant.content = parts;
  return assistant;
}

function textPart(part: {
  text: string;
  providerData?: ChatContentPart['providerData'];
}): TextPart {
  const text: TextPart = { type: 'text', text: part.text };
  const options = partOptions(part);
  if (options) text.providerOptions = options;
  return text;
}

function imagePart(part: Extract<ChatContentPart, { type: 'image' }>): ImagePart {
  const image: ImagePart = { type: 'image', image: part.url ?? part.data ?? '' };
  if (part.mediaType !== undefined && part.mediaType !== ANY_IMAGE) {
    image.mediaType = part.mediaType;
  }
  const options = partOptions(part);
  if (options) image.providerOptions = options;
  return image;
}

function filePart(part: {
  url?: string;
  data?: string;
  mediaType?: string;
  filename?: string;
  providerData?: ChatContentPart['providerData'];
}): FilePart {
  const file: FilePart = {
    type: 'file',
    data: part.url ?? part.data ?? '',
    mediaType: part.mediaType ?? 'application/octet-stream',
  };
  if (part.filename !== undefined) file.filename = part.filename;
  const options = partOptions(part);
  if (options) file.providerOptions = options;
  return file;
}

/**
 * Converts AI SDK `ModelMessage`s into messages to store: typically `result.response.messages`
 * of `generateText` / `streamText` (the assistant's steps and the tool results), but every role
 * is accepted.
 *
 * - Text, reasoning, image and file parts become our parts; their `providerOptions` (reasoning
 *   signatures, item ids...) are kept in `providerData.aiSdk.providerOptions`, a message's own
 *   `providerOptions` in `providerData.aiSdk.messageProviderOptions` of its first part (or tool
 *   call). Binary data becomes base64; a `data:` URL becomes base64 `data` + `mediaType`.
 * - `tool-call` parts become `toolCalls`, `arguments` = `JSON.stringify(input)` (JSON text with
 *   no whitespace: the model's own text is not in the AI SDK's messages), or the input itself when
 *   it is already a string (the raw text of input the AI SDK could not parse).
 * - Each `tool-result` part becomes its own `tool` message (`toolCallId`, `name` = the tool
 *   name), in order; a provider-executed tool's result (inside the assistant message) follows the
 *   assistant message, marked `providerExecuted`. The output: `text` -> the content string;
 *   `json` and `error-json` -> a text part with the JSON text; `error-text` -> a text part with the
 *   error; `execution-denied` -> a text part with the reason; `content` -> one part per item. All
 *   but plain `text` are marked (`providerData.aiSdk.outputType`) so that `toModelMessages` gives
 *   the same output back.
 * - Content that is a single text part with no provider options is stored as a string (the AI SDK
 *   treats both the same); an assistant message with only tool calls gets content `''`.
 *
 * Left out: `tool-approval-request` / `tool-approval-response` parts (there is no place for them;
 * a tool call waiting for approval is stored without a result).
 */
export function fromModelMessages(messages: readonly ModelMessage[]): ChatMessageInput[] {
  const out: ChatMessageInput[] = [];
  messages.forEach((message, index) => {
    if (!isObject(message)) {
      throw new Error(`fromModelMessages: message ${index} is not a ModelMessage`);
    }
    const messageOptions = jsonObject(message.providerOptions);
    switch (message.role) {
      case 'system': {
        const parts: ChatContentPart[] = [{ type: 'text', text: String(message.content) }];
        addMessageData(parts, [], { messageProviderOptions: messageOptions });
        out.push({ role: 'system', content: collapse(parts) });
        return;
      }
      case 'user': {
        const parts: ChatContentPart[] =
          typeof message.content === 'string'
            ? [{ type: 'text', text: message.content }]
            : message.content.flatMap(fromPart);
        addMessageData(parts, [], { messageProviderOptions: messageOptions });
        out.push({ role: 'user', content: collapse(parts) });
        return;
      }
      case 'assistant': {
        const parts: ChatContentPart[] = [];
        const toolCalls: ChatToolCall[] = [];
        const results: ChatMessageInput[] = [];
        const source =
          typeof message.content === 'string'
            ? [{ type: 'text' as const, text: message.content }]
            : message.content;
        for (const part of source) {
          if (part.type === 'tool-call') {
            const { text, stringInput } = stringifyInput(part.input);
            const call: ChatToolCall = {
              id: part.toolCallId,
              name: part.toolName,
              arguments: text,
            };
            addOwnData(call, {
              providerOptions: jsonObject(part.providerOptions),
              providerExecuted: part.providerExecuted === true ? true : undefined,
              stringInput,
            });
            toolCalls.push(call);
          } else if (part.type === 'tool-result') {
            results.push(
              encodeToolResult(part.toolCallId, part.toolName, part.output, {
                resultProviderOptions: part.providerOptions,
                providerExecuted: true,
              }),
            );
          } else if (part.type !== 'tool-approval-request') {
            parts.push(...fromPart(part));
          }
        }
        addMessageData(parts, toolCalls, { messageProviderOptions: messageOptions });
        const assistant: ChatMessageInput = { role: 'assistant', content: collapse(parts) };
        if (toolCalls.length > 0) assistant.toolCalls = toolCalls;
        out.push(assistant, ...results);
        return;
      }
      case 'tool': {
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue; // tool-approval-response
          out.push(
            encodeToolResult(part.toolCallId, part.toolName, part.output, {
              resultProviderOptions: part.providerOptions,
              messageProviderOptions: message.providerOptions,
            }),
          );
        }
        return;
      }
      default:
        throw new Error(
          `fromModelMessages: message ${index} has an unknown role ${JSON.stringify((message as { role?: unknown }).role)}`,
        );
    }
  });
  return out;
}

function fromPart(
  part: TextPart | ImagePart | FilePart | Extract<AssistantPart, { type: 'reasoning' }>,
): ChatContentPart[] {
  const options = jsonObject(part.providerOptions);
  let converted: ChatContentPart;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      converted = { type: part.type, text: part.text };
      break;
    case 'image': {
      const where = locate(part.image, part.mediaType);
      converted =
        'data' in where
          ? { type: 'image', data: where.data, mediaType: where.mediaType ?? ANY_IMAGE }
          : { type: 'image', ...where };
      break;
    }
    case 'file': {
      const where = locate(part.data, part.mediaType);
      converted = { type: 'file', ...where, mediaType: where.mediaType ?? part.mediaType };
      if (part.filename !== undefined) converted.filename = part.filename;
      break;
    }
    default:
      return [];
  }
  return [addOwnData(converted, { providerOptions: options })];
}

/**
 * The part of a `generateText` or `streamText` result that `fromAiSdkResult` reads: its
 * `response`, or a promise of it (`streamText`), with the `messages` the call added.
 */
export interface AiSdkResultLike {
  response:
    { messages: readonly ModelMessage[] } | PromiseLike<{ messages: readonly ModelMessage[] }>;
}

/**
 * The messages to store for the result of a `generateText` or `streamText` call: every step of
 * `response.messages` (the assistant's tool calls, the tool results, the answer), converted with
 * `fromModelMessages`. Made for `@RecordChatTurn({ answer: (result) => fromAiSdkResult(result) })`.
 *
 * For a `streamText` result the promise settles when the stream has finished, so the stream must
 * be consumed (sent to the client, or `result.consumeStream()`). Rejects with a `TypeError` when
 * `result` has no `response.messages` array.
 */
export function fromAiSdkResult(result: AiSdkResultLike): Promise<ChatMessageInput[]>;
/** Accepts any value (the `answer` option gets `unknown`); checked at run time. */
export function fromAiSdkResult(result: unknown): Promise<ChatMessageInput[]>;
export async function fromAiSdkResult(result: unknown): Promise<ChatMessageInput[]> {
  if (!isObject(result) || !('response' in result)) {
    throw new TypeError('fromAiSdkResult: expected a generateText or streamText result');
  }
  const response: unknown = await (result.response as unknown);
  const messages = isObject(response) ? response.messages : undefined;
  if (!Array.isArray(messages)) {
    throw new TypeError(
      'fromAiSdkResult: the result has no response.messages (not a generateText or streamText result)',
    );
  }
  return fromModelMessages(messages as ModelMessage[]);
}
