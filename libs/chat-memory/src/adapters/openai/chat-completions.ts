import type {
  ChatCompletion,
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionContentPartRefusal,
  ChatCompletionContentPartText,
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';
import {
  FILE_ID_SCHEME,
  type OpenAIHistoryOptions,
  audioFormat,
  guessMediaType,
  nameOf,
  nameToolResults,
  openaiData,
  parseDataUrl,
  stringField,
  toDataUrl,
  toJson,
  unsupported,
  withOpenAIData,
} from './shared.js';

const TO = 'toOpenAIChatMessages';
const FROM = 'fromOpenAIChatMessages';

type CacheBreakpoint = { mode: 'explicit' };
type ImageDetail = 'auto' | 'low' | 'high';

// ---------------------------------------------------------------------------------------------
// ours -> Chat Completions
// ---------------------------------------------------------------------------------------------

/**
 * Maps stored history to Chat Completions `messages`.
 *
 * - `system` -> a `system` message (or `developer`, with `options.systemRole`);
 * - `user` -> a `user` message: text, images (`image_url`: the URL, or a `data:` URL built from
 *   `data`), PDF files (`file` with `file_data` as a `data:` URL, or `file_id` for an
 *   `openai-file:<id>` URL), wav/mp3 audio (`input_audio`);
 * - `assistant` -> an `assistant` message with its text and its `tool_calls` (function calls; a
 *   call stored from a custom tool goes back as a custom call); a text part marked as a refusal
 *   goes back as a `refusal` part; empty content next to tool calls is sent as `content: null`;
 * - `tool` -> a `tool` message with `tool_call_id`. A legacy tool message without `toolCallId`
 *   (written before tool calls were stored) cannot be matched to a call, so it is sent as a `user`
 *   message with the same content.
 *
 * Lossy: reasoning parts are left out (Chat Completions takes no reasoning input); a tool
 * message's `name` is left out (the API has no such field); `id`, `createdAt` and `metadata` are
 * ignored. Throws an `Error` naming the message and part for content the API cannot take: an
 * image or file outside a user message, a file given by an http(s) URL (Chat Completions takes
 * files only as data or an uploaded file id), an image given by file id.
 */
export function toOpenAIChatMessages(
  history: readonly ChatMessage[],
  options: OpenAIHistoryOptions = {},
): ChatCompletionMessageParam[] {
  return history.map((message, index): ChatCompletionMessageParam => {
    const at = `history[${index}]`;
    switch (message.role) {
      case 'system': {
        const content = textOnly(message.content, at);
        return options.systemRole === 'developer'
          ? { role: 'developer', content, ...nameOf(message) }
          : { role: 'system', content, ...nameOf(message) };
      }
      case 'user':
        return { role: 'user', content: userContent(message.content, at), ...nameOf(message) };
      case 'assistant':
        return assistantParam(message, at);
      case 'tool':
        if (message.toolCallId === undefined) {
          return { role: 'user', content: userContent(message.content, at) };
        }
        return {
          role: 'tool',
          tool_call_id: message.toolCallId,
          content: textOnly(message.content, at),
        };
      default:
        throw unsupported(TO, `${at}.role`, `unknown role ${JSON.stringify(message.role)}`);
    }
  });
}

function cacheBreakpoint(part: ChatContentPart): {
  prompt_cache_breakpoint?: CacheBreakpoint;
} {
  const value = openaiData(part)?.prompt_cache_breakpoint;
  return value === undefined || value === null
    ? {}
    : { prompt_cache_breakpoint: value as CacheBreakpoint };
}

function textPart(part: ChatContentPart & { text: string }): ChatCompletionContentPartText {
  return { type: 'text', text: part.text, ...cacheBreakpoint(part) };
}

/** Text-only content (system, tool): text parts kept, reasoning dropped, anything else throws. */
function textOnly(
  content: ChatMessage['content'],
  at: string,
): string | ChatCompletionContentPartText[] {
  if (typeof content === 'string') return content;
  const parts: ChatCompletionContentPartText[] = [];
  content.forEach((part, i) => {
    if (part.type === 'text') parts.push(textPart(part));
    else if (part.type !== 'reasoning') {
      throw unsupported(
        TO,
        `${at}.content[${i}]`,
        `Chat Completions takes only text in this message, not a ${part.type} part`,
      );
    }
  });
  return parts.length === 0 ? '' : parts;
}

function userContent(
  content: ChatMessage['content'],
  at: string,
): string | ChatCompletionContentPart[] {
  if (typeof content === 'string') return content;
  const parts: ChatCompletionContentPart[] = [];
  content.forEach((part, i) => {
    const path = `${at}.content[${i}]`;
    const data = openaiData(part);
    switch (part.type) {
      case 'text':
        parts.push(textPart(part));
        break;
      case 'image': {
        const url = part.url ?? toDataUrl(part.mediaType ?? 'image/png', part.data ?? '');
        if (url.startsWith(FILE_ID_SCHEME)) {
          throw unsupported(TO, path, 'Chat Completions takes no image by file id');
        }
        const detail = stringField(data, 'detail');
        parts.push({
          type: 'image_url',
          image_url:
            detail === 'auto' || detail === 'low' || detail === 'high'
              ? { url, detail: detail satisfies ImageDetail }
              : { url },
          ...cacheBreakpoint(part),
        });
        break;
      }
      case 'file': {
        const format = audioFormat(part.mediaType);
        if (format !== undefined && part.data !== undefined) {
          parts.push({
            type: 'input_audio',
            input_audio: { data: part.data, format },
            ...cacheBreakpoint(part),
          });
          break;
        }
        const file: { file_data?: string; file_id?: string; filename?: string } = {};
        if (part.data !== undefined) file.file_data = toDataUrl(part.mediaType, part.data);
        else if (part.url?.startsWith(FILE_ID_SCHEME)) {
          file.file_id = part.url.slice(FILE_ID_SCHEME.length);
        } else if (part.url?.startsWith('data:')) file.file_data = part.url;
        else {
          throw unsupported(
            TO,
            path,
            'Chat Completions takes a file only as data or an uploaded file id, not by URL',
          );
        }
        if (part.filename !== undefined) file.filename = part.filename;
        parts.push({ type: 'file', file, ...cacheBreakpoint(part) });
        break;
      }
      case 'reasoning':
        break;
    }
  });
  return parts.length === 0 ? '' : parts;
}

function assistantParam(message: ChatMessage, at: string): ChatCompletionAssistantMessageParam {
  const hasCalls = message.toolCalls !== undefined && message.toolCalls.length > 0;
  const param: ChatCompletionAssistantMessageParam = { role: 'assistant' };
  if (typeof message.content === 'string') {
    param.content = message.content === '' && hasCalls ? null : message.content;
  } else {
    const parts: Array<ChatCompletionContentPartText | ChatCompletionContentPartRefusal> = [];
    message.content.forEach((part, i) => {
      if (part.type === 'text') {
        parts.push(
          stringField(openaiData(part), 'type') === 'refusal'
            ? { type: 'refusal', refusal: part.text }
            : textPart(part),
        );
      } else if (part.type !== 'reasoning') {
        throw unsupported(
          TO,
          `${at}.content[${i}]`,
          `Chat Completions takes no ${part.type} part in an assistant message`,
        );
      }
    });
    param.content = parts.length > 0 ? parts : hasCalls ? null : '';
  }
  if (message.name !== undefined) param.name = message.name;
  if (hasCalls) param.tool_calls = message.toolCalls!.map(toolCallParam);
  return param;
}

function toolCallParam(call: ChatToolCall): ChatCompletionMessageToolCall {
  return stringField(openaiData(call), 'type') === 'custom'
    ? { type: 'custom', id: call.id, custom: { name: call.name, input: call.arguments } }
    : { type: 'function', id: call.id, function: { name: call.name, arguments: call.arguments } };
}

// ---------------------------------------------------------------------------------------------
// Chat Completions -> ours
// ---------------------------------------------------------------------------------------------

/**
 * Maps the assistant message of a Chat Completions response (`completion.choices[0].message`) to
 * a message to store.
 *
 * Text becomes the content (a string; a text part carrying `annotations` in `providerData` when
 * the message has URL citations); `tool_calls` become `toolCalls` with `arguments` as the model
 * wrote them; a `refusal` becomes a text part marked `providerData.openai.type: 'refusal'` (so it
 * is readable as text and goes back as a refusal); an audio reply is stored as its transcript.
 * `content: null` with tool calls becomes `''`.
 *
 * Lossy: the audio itself (only the transcript and its id are kept), `logprobs`, the deprecated
 * `function_call`.
 */
export function fromOpenAIChatMessage(message: ChatCompletionMessage): ChatMessageInput {
  return assistantFrom(message);
}

/**
 * Maps the first choice of a Chat Completions response to the messages to store: one assistant
 * message (see `fromOpenAIChatMessage`), or none when the response has no choice. Usable as the
 * `answer` of `@RecordChatTurn`:
 * `answer: (result) => fromOpenAIChatCompletion(result as ChatCompletion)`.
 */
export function fromOpenAIChatCompletion(completion: ChatCompletion): ChatMessageInput[] {
  const choice = completion.choices[0];
  return choice === undefined ? [] : [assistantFrom(choice.message)];
}

/**
 * Maps a list of Chat Completions messages (for example the `messages` a tool loop sent, with the
 * model's replies and the tool results appended) to messages to store, in order.
 *
 * `system` and `developer` become `system`; `user` content keeps text, images (a base64 `data:`
 * URL becomes `data` + `mediaType`), files (`file_data` likewise; a `file_id` becomes the URL
 * `openai-file:<id>`) and `input_audio` (a file part, `audio/wav` or `audio/mpeg`); assistant
 * messages as in `fromOpenAIChatMessage`; `tool` messages keep `tool_call_id` as `toolCallId` and
 * get the tool's `name` from the call they answer when it is in the list.
 *
 * Lossy: `developer` becomes `system` (send it back with `systemRole: 'developer'`). Throws for
 * the deprecated `function` role, which has no call id to store.
 */
export function fromOpenAIChatMessages(
  messages: readonly ChatCompletionMessageParam[],
): ChatMessageInput[] {
  const result = messages.map((message, index): ChatMessageInput => {
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: textFrom(message.content), ...nameFrom(message.name) };
      case 'user':
        return {
          role: 'user',
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map(userPartFrom),
          ...nameFrom(message.name),
        };
      case 'assistant':
        return assistantFrom(message);
      case 'tool':
        return {
          role: 'tool',
          toolCallId: message.tool_call_id,
          content: textFrom(message.content),
        };
      default:
        throw new Error(
          `${FROM}: messages[${index}]: the deprecated ${JSON.stringify(
            (message as { role: unknown }).role,
          )} role has no tool call id; use tool messages`,
        );
    }
  });
  return nameToolResults(result);
}

function nameFrom(name: string | undefined): { name?: string } {
  return name ? { name } : {};
}

function cacheFrom(part: { prompt_cache_breakpoint?: CacheBreakpoint | null }): JsonObject {
  return part.prompt_cache_breakpoint
    ? { prompt_cache_breakpoint: toJson(part.prompt_cache_breakpoint) }
    : {};
}

function textPartFrom(part: ChatCompletionContentPartText): ChatContentPart {
  return withOpenAIData({ type: 'text', text: part.text }, cacheFrom(part));
}

function textFrom(content: string | ChatCompletionContentPartText[]): ChatMessage['content'] {
  return typeof content === 'string' ? content : content.map(textPartFrom);
}

function userPartFrom(part: ChatCompletionContentPart): ChatContentPart {
  switch (part.type) {
    case 'text':
      return textPartFrom(part);
    case 'image_url': {
      const { url, detail } = part.image_url;
      const data = parseDataUrl(url);
      const extra = { ...cacheFrom(part), ...(detail ? { detail } : {}) };
      return withOpenAIData(
        data
          ? { type: 'image', data: data.data, mediaType: data.mediaType }
          : { type: 'image', url },
        extra,
      );
    }
    case 'input_audio':
      return withOpenAIData(
        {
          type: 'file',
          data: part.input_audio.data,
          mediaType: part.input_audio.format === 'mp3' ? 'audio/mpeg' : 'audio/wav',
        },
        cacheFrom(part),
      );
    case 'file': {
      const { file_data, file_id, filename } = part.file;
      const named = filename === undefined ? {} : { filename };
      const parsed = file_data === undefined ? undefined : parseDataUrl(file_data);
      let file: ChatContentPart;
      if (parsed) file = { type: 'file', data: parsed.data, mediaType: parsed.mediaType, ...named };
      else if (file_data !== undefined) {
        // Bare base64: Chat Completions takes PDFs only.
        file = { type: 'file', data: file_data, mediaType: 'application/pdf', ...named };
      } else {
        file = {
          type: 'file',
          url: `${FILE_ID_SCHEME}${file_id ?? ''}`,
          mediaType: guessMediaType(filename, 'application/pdf'),
          ...named,
        };
      }
      return withOpenAIData(file, cacheFrom(part));
    }
    default:
      throw new Error(
        `${FROM}: unknown user content part type ${JSON.stringify((part as { type: unknown }).type)}`,
      );
  }
}

function assistantFrom(
  message: ChatCompletionMessage | ChatCompletionAssistantMessageParam,
): ChatMessageInput {
  const parts: ChatContentPart[] = [];
  let plain: string | undefined;
  const { content } = message;
  const annotations = 'annotations' in message ? message.annotations : undefined;
  if (typeof content === 'string') {
    if (annotations && annotations.length > 0) {
      parts.push(
        withOpenAIData({ type: 'text', text: content }, { annotations: toJson(annotations) }),
      );
    } else {
      plain = content;
    }
  } else if (Array.isArray(content)) {
    for (const part of content) {
      parts.push(
        part.type === 'refusal'
          ? withOpenAIData({ type: 'text', text: part.refusal }, { type: 'refusal' })
          : textPartFrom(part),
      );
    }
  }
  const audio = message.audio;
  if (audio && 'transcript' in audio) {
    parts.push(
      withOpenAIData(
        { type: 'text', text: audio.transcript },
        { audio: { id: audio.id, expires_at: audio.expires_at } },
      ),
    );
  }
  if (typeof message.refusal === 'string') {
    parts.push(withOpenAIData({ type: 'text', text: message.refusal }, { type: 'refusal' }));
  }
  if (plain !== undefined && plain !== '' && parts.length > 0) {
    parts.unshift({ type: 'text', text: plain });
  }
  const result: ChatMessageInput = {
    role: 'assistant',
    content: parts.length > 0 ? parts : (plain ?? ''),
  };
  if ('name' in message && message.name) result.name = message.name;
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) {
    result.toolCalls = calls.map((call): ChatToolCall =>
      call.type === 'custom'
        ? withOpenAIData(
            { id: call.id, name: call.custom.name, arguments: call.custom.input },
            { type: 'custom' },
          )
        : { id: call.id, name: call.function.name, arguments: call.function.arguments },
    );
  }
  return result;
}
