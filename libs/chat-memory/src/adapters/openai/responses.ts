import type {
  EasyInputMessage,
  ResponseCustomToolCall,
  ResponseFunctionToolCall,
  ResponseInputContent,
  ResponseInputFile,
  ResponseInputFileContent,
  ResponseInputImage,
  ResponseInputImageContent,
  ResponseInputItem,
  ResponseInputText,
  ResponseInputTextContent,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputRefusal,
  ResponseOutputText,
  ResponseReasoningItem,
} from 'openai/resources/responses/responses';
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
  guessMediaType,
  nameToolResults,
  openaiData,
  parseDataUrl,
  stringField,
  toDataUrl,
  toJson,
  unsupported,
  withOpenAIData,
} from './shared.js';

const TO = 'toOpenAIResponsesInput';
const FROM = 'fromOpenAIResponsesOutput';

type CacheBreakpoint = { mode: 'explicit' };
type OutputContent = ResponseOutputText | ResponseOutputRefusal;

// ---------------------------------------------------------------------------------------------
// ours -> Responses input
// ---------------------------------------------------------------------------------------------

/**
 * Maps stored history to Responses API `input` items (for `responses.create({ input })`, with
 * `store: false` or without `previous_response_id`).
 *
 * - `system` -> a `system` message item (or `developer`, with `options.systemRole`); `user` -> a
 *   `user` message item. Their parts become `input_text`, `input_image` (`image_url`: the URL or
 *   a `data:` URL; `file_id` for an `openai-file:<id>` URL) and `input_file` (`file_data` as a
 *   `data:` URL, `file_url`, or `file_id`).
 * - `assistant` -> in content order, then the tool calls: reasoning parts kept from an OpenAI
 *   reasoning item become that `reasoning` item again (id, summary, `encrypted_content`); text
 *   parts kept from an output message become that `message` item again (id, `phase`,
 *   annotations; a part marked as a refusal becomes a `refusal`); other text (a string, or parts
 *   with no OpenAI item id) becomes an assistant message with string content, one per part;
 *   each tool call becomes a `function_call` (`call_id`, `name`, `arguments`, and its `fc_` id
 *   when stored) or, for a call stored from a custom tool, a `custom_tool_call`.
 * - `tool` -> a `function_call_output` (or `custom_tool_call_output`) with `call_id`; parts
 *   become an output list (text, images, files). A legacy tool message without `toolCallId`
 *   cannot be matched to a call and is sent as a `user` message with the same content.
 *
 * Lossy: reasoning parts that did not come from OpenAI (no item id in `providerData`) are left
 * out, since the API takes reasoning only as its own items; `name`, `id`, `createdAt` and
 * `metadata` are ignored. Throws an `Error` naming the message and part for an image or file in
 * an assistant message (the API has no place for it).
 */
export function toOpenAIResponsesInput(
  history: readonly ChatMessage[],
  options: OpenAIHistoryOptions = {},
): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  const customCalls = new Set<string>();
  history.forEach((message, index) => {
    const at = `history[${index}]`;
    switch (message.role) {
      case 'system':
        items.push({
          type: 'message',
          role: options.systemRole ?? 'system',
          content: inputContent(message.content),
        });
        break;
      case 'user':
        items.push({ type: 'message', role: 'user', content: inputContent(message.content) });
        break;
      case 'assistant':
        assistantItems(message, at, items, customCalls);
        break;
      case 'tool': {
        const content = inputContent(message.content);
        if (message.toolCallId === undefined) {
          items.push({ type: 'message', role: 'user', content });
        } else if (customCalls.has(message.toolCallId)) {
          items.push({
            type: 'custom_tool_call_output',
            call_id: message.toolCallId,
            output: content,
          });
        } else {
          items.push({
            type: 'function_call_output',
            call_id: message.toolCallId,
            output: content,
          });
        }
        break;
      }
      default:
        throw unsupported(TO, `${at}.role`, `unknown role ${JSON.stringify(message.role)}`);
    }
  });
  return items;
}

function cacheBreakpoint(part: ChatContentPart): {
  prompt_cache_breakpoint?: CacheBreakpoint;
} {
  const value = openaiData(part)?.prompt_cache_breakpoint;
  return value === undefined || value === null
    ? {}
    : { prompt_cache_breakpoint: value as CacheBreakpoint };
}

function inputContent(content: ChatMessage['content']): string | ResponseInputContent[] {
  if (typeof content === 'string') return content;
  const parts: ResponseInputContent[] = [];
  for (const part of content) {
    const data = openaiData(part);
    switch (part.type) {
      case 'text':
        parts.push({ type: 'input_text', text: part.text, ...cacheBreakpoint(part) });
        break;
      case 'image': {
        const detail = stringField(data, 'detail');
        const image: ResponseInputImage = {
          type: 'input_image',
          detail: detail === 'low' || detail === 'high' || detail === 'original' ? detail : 'auto',
          ...cacheBreakpoint(part),
        };
        if (part.url?.startsWith(FILE_ID_SCHEME)) {
          image.file_id = part.url.slice(FILE_ID_SCHEME.length);
        } else {
          image.image_url = part.url ?? toDataUrl(part.mediaType ?? 'image/png', part.data ?? '');
        }
        parts.push(image);
        break;
      }
      case 'file': {
        const file: ResponseInputFile = { type: 'input_file', ...cacheBreakpoint(part) };
        if (part.data !== undefined) file.file_data = toDataUrl(part.mediaType, part.data);
        else if (part.url?.startsWith(FILE_ID_SCHEME)) {
          file.file_id = part.url.slice(FILE_ID_SCHEME.length);
        } else if (part.url?.startsWith('data:')) file.file_data = part.url;
        else if (part.url !== undefined) file.file_url = part.url;
        if (part.filename !== undefined) file.filename = part.filename;
        const detail = stringField(data, 'detail');
        if (detail === 'auto' || detail === 'low' || detail === 'high') file.detail = detail;
        parts.push(file);
        break;
      }
      case 'reasoning':
        break;
    }
  }
  return parts.length === 0 ? '' : parts;
}

function assistantItems(
  message: ChatMessage,
  at: string,
  items: ResponseInputItem[],
  customCalls: Set<string>,
): void {
  const start = items.length;
  // The reasoning item and the output message being filled, if the previous part belonged to one.
  let reasoning: ResponseReasoningItem | undefined;
  let output: ResponseOutputMessage | undefined;
  if (typeof message.content === 'string') {
    if (message.content !== '' || !message.toolCalls?.length) {
      items.push({ type: 'message', role: 'assistant', content: message.content });
    }
  } else {
    message.content.forEach((part, i) => {
      const data = openaiData(part);
      const id = stringField(data, 'id');
      if (part.type === 'reasoning') {
        output = undefined;
        if (id === undefined) return; // not an OpenAI reasoning item: the API cannot take it
        if (reasoning?.id !== id) {
          reasoning = { type: 'reasoning', id, summary: [] };
          items.push(reasoning);
        }
        const kind = stringField(data, 'type');
        if (kind === 'reasoning_text') {
          (reasoning.content ??= []).push({ type: 'reasoning_text', text: part.text });
        } else if (part.text !== '' || kind !== undefined) {
          reasoning.summary.push({ type: 'summary_text', text: part.text });
        }
        const encrypted = stringField(data, 'encrypted_content');
        if (encrypted !== undefined) reasoning.encrypted_content = encrypted;
        return;
      }
      reasoning = undefined;
      if (part.type !== 'text') {
        throw unsupported(
          TO,
          `${at}.content[${i}]`,
          `the Responses API takes no ${part.type} part in an assistant message`,
        );
      }
      if (id === undefined) {
        output = undefined;
        items.push({ type: 'message', role: 'assistant', content: part.text });
        return;
      }
      if (output?.id !== id) {
        output = { type: 'message', role: 'assistant', id, status: 'completed', content: [] };
        const phase = stringField(data, 'phase');
        if (phase === 'commentary' || phase === 'final_answer') output.phase = phase;
        items.push(output);
      }
      output.content.push(
        stringField(data, 'type') === 'refusal'
          ? { type: 'refusal', refusal: part.text }
          : {
              type: 'output_text',
              text: part.text,
              annotations: (Array.isArray(data?.annotations)
                ? data.annotations
                : []) as unknown as ResponseOutputText['annotations'],
            },
      );
    });
  }
  for (const call of message.toolCalls ?? []) {
    const data = openaiData(call);
    const extra: { id?: string; namespace?: string } = {};
    const id = stringField(data, 'id');
    const namespace = stringField(data, 'namespace');
    if (id !== undefined) extra.id = id;
    if (namespace !== undefined) extra.namespace = namespace;
    const caller = data?.caller as ResponseFunctionToolCall['caller'] | undefined;
    if (caller) Object.assign(extra, { caller });
    if (stringField(data, 'type') === 'custom') {
      customCalls.add(call.id);
      items.push({
        type: 'custom_tool_call',
        call_id: call.id,
        name: call.name,
        input: call.arguments,
        ...extra,
      });
    } else {
      items.push({
        type: 'function_call',
        call_id: call.id,
        name: call.name,
        arguments: call.arguments,
        ...extra,
      });
    }
  }
  if (items.length === start) items.push({ type: 'message', role: 'assistant', content: '' });
}

// ---------------------------------------------------------------------------------------------
// Responses output -> ours
// ---------------------------------------------------------------------------------------------

type AnyItem = ResponseOutputItem | ResponseInputItem;
type MessageItem = EasyInputMessage | ResponseInputItem.Message | ResponseOutputMessage;

/**
 * Maps Responses API items to messages to store: `response.output`, or the whole `input` list a
 * tool loop built (its input messages and `function_call_output` items are read too).
 *
 * Consecutive reasoning, output message and function call items of one turn become one assistant
 * message: reasoning and text parts in their order, then `toolCalls`; a reasoning or message
 * item after a function call starts a new assistant message, and a tool output, user or system
 * message ends it. A lone plain text (an assistant message item given as a string) becomes string
 * content.
 *
 * - `reasoning` -> one reasoning part per summary text (and per `reasoning_text`, marked
 *   `providerData.openai.type: 'reasoning_text'`), each with the item id in
 *   `providerData.openai.id`, the first also with `encrypted_content`; an item with no summary
 *   becomes one empty reasoning part, so its id and encrypted content are kept.
 * - output `message` -> one text part per `output_text` (with the `msg_` id, `phase` on the first,
 *   annotations when there are any) or `refusal` (marked `providerData.openai.type: 'refusal'`).
 * - `function_call` -> a tool call (`call_id` as `id`, `arguments` verbatim; the `fc_` item id,
 *   `namespace`, `caller` in `providerData.openai`); `custom_tool_call` likewise, `input` as
 *   `arguments` and marked `type: 'custom'`.
 * - `function_call_output` / `custom_tool_call_output` -> a `tool` message (`toolCallId`, and the
 *   tool's `name` when its call is in the list); `user` / `system` / `developer` messages ->
 *   `user` / `system` messages, with images (a base64 `data:` URL becomes `data` + `mediaType`)
 *   and files (`file_id` becomes the URL `openai-file:<id>`).
 *
 * Lossy: item `status`, `logprobs`, tool output item ids; `developer` becomes `system`. Items of
 * other types (built-in tool calls such as web search, MCP, computer use, item references,
 * compaction) are skipped.
 */
export function fromOpenAIResponsesOutput(items: readonly AnyItem[]): ChatMessageInput[] {
  const messages: ChatMessageInput[] = [];
  let turn: { content: ChatContentPart[]; toolCalls: ChatToolCall[] } | undefined;
  const flush = (): void => {
    if (turn !== undefined) messages.push(assistantMessage(turn.content, turn.toolCalls));
    turn = undefined;
  };
  /** The current assistant turn, a new one when content would follow its tool calls. */
  const open = (content: boolean): { content: ChatContentPart[]; toolCalls: ChatToolCall[] } => {
    if (content && turn !== undefined && turn.toolCalls.length > 0) flush();
    return (turn ??= { content: [], toolCalls: [] });
  };

  items.forEach((item, index) => {
    if (isMessage(item)) {
      if (item.role !== 'assistant') {
        flush();
        messages.push({
          role: item.role === 'user' ? 'user' : 'system',
          content:
            typeof item.content === 'string'
              ? item.content
              : item.content.map((part) => inputPartFrom(part, `items[${index}]`)),
        });
        return;
      }
      if (!('id' in item) && turn?.content.some((part) => part.type === 'text')) flush();
      const { content } = open(true);
      if (typeof item.content === 'string') {
        content.push({ type: 'text', text: item.content });
        return;
      }
      item.content.forEach((part, i) => {
        content.push(
          outputPartFrom(part as OutputContent | ResponseInputContent, item, i === 0, index),
        );
      });
      return;
    }
    switch (item.type) {
      case 'reasoning':
        open(true).content.push(...reasoningFrom(item));
        return;
      case 'function_call':
      case 'custom_tool_call': {
        if (turn?.toolCalls.some((call) => call.id === item.call_id)) flush();
        open(false).toolCalls.push(toolCallFrom(item));
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
        flush();
        messages.push({
          role: 'tool',
          toolCallId: item.call_id,
          content:
            typeof item.output === 'string'
              ? item.output
              : item.output.map((part) => inputPartFrom(part, `items[${index}].output`)),
        });
        return;
      default:
        return; // built-in tools, references, compaction: nothing to store
    }
  });
  flush();
  return nameToolResults(messages);
}

function isMessage(item: AnyItem): item is MessageItem {
  return (item.type === 'message' || item.type === undefined) && 'role' in item;
}

function assistantMessage(content: ChatContentPart[], toolCalls: ChatToolCall[]): ChatMessageInput {
  const only = content.length === 1 ? content[0] : undefined;
  const message: ChatMessageInput = {
    role: 'assistant',
    content:
      content.length === 0
        ? ''
        : only?.type === 'text' && only.providerData === undefined
          ? only.text
          : content,
  };
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  return message;
}

function reasoningFrom(item: ResponseReasoningItem): ChatContentPart[] {
  const entries = [
    ...item.summary.map((entry) => ({ text: entry.text, kind: 'summary_text' })),
    ...(item.content ?? []).map((entry) => ({ text: entry.text, kind: 'reasoning_text' })),
  ];
  const head: JsonObject = { id: item.id };
  if (typeof item.encrypted_content === 'string') head.encrypted_content = item.encrypted_content;
  if (entries.length === 0) return [withOpenAIData({ type: 'reasoning', text: '' }, head)];
  return entries.map(({ text, kind }, i) => {
    const data: JsonObject = i === 0 ? { ...head } : { id: item.id };
    // An empty summary text is marked, to tell it from the part of an item with no summary.
    if (kind === 'reasoning_text' || text === '') data.type = kind;
    return withOpenAIData({ type: 'reasoning', text }, data);
  });
}

function outputPartFrom(
  part: OutputContent | ResponseInputContent,
  item: MessageItem,
  first: boolean,
  index: number,
): ChatContentPart {
  const data: JsonObject = {};
  if ('id' in item) {
    data.id = item.id;
    if (first && item.phase) data.phase = item.phase;
  }
  switch (part.type) {
    case 'output_text':
      if (part.annotations.length > 0) data.annotations = toJson(part.annotations);
      return withOpenAIData({ type: 'text', text: part.text }, data);
    case 'refusal':
      data.type = 'refusal';
      return withOpenAIData({ type: 'text', text: part.refusal }, data);
    case 'input_text':
      return withOpenAIData({ type: 'text', text: part.text }, data);
    default:
      throw new Error(`${FROM}: items[${index}]: an assistant message takes no ${part.type} part`);
  }
}

function cacheFrom(part: { prompt_cache_breakpoint?: CacheBreakpoint | null }): JsonObject {
  return part.prompt_cache_breakpoint
    ? { prompt_cache_breakpoint: toJson(part.prompt_cache_breakpoint) }
    : {};
}

function inputPartFrom(
  part:
    | ResponseInputText
    | ResponseInputImage
    | ResponseInputFile
    | ResponseInputTextContent
    | ResponseInputImageContent
    | ResponseInputFileContent,
  at: string,
): ChatContentPart {
  const data = cacheFrom(part);
  switch (part.type) {
    case 'input_text':
      return withOpenAIData({ type: 'text', text: part.text }, data);
    case 'input_image': {
      if (part.detail && part.detail !== 'auto') data.detail = part.detail;
      if (part.file_id) {
        return withOpenAIData({ type: 'image', url: `${FILE_ID_SCHEME}${part.file_id}` }, data);
      }
      if (!part.image_url)
        throw new Error(`${FROM}: ${at}: an input_image with no image_url or file_id`);
      const parsed = parseDataUrl(part.image_url);
      return withOpenAIData(
        parsed
          ? { type: 'image', data: parsed.data, mediaType: parsed.mediaType }
          : { type: 'image', url: part.image_url },
        data,
      );
    }
    case 'input_file': {
      if (part.detail) data.detail = part.detail;
      const named = part.filename ? { filename: part.filename } : {};
      const fallback = 'application/octet-stream';
      let file: ChatContentPart;
      if (part.file_data) {
        const parsed = parseDataUrl(part.file_data);
        file = parsed
          ? { type: 'file', data: parsed.data, mediaType: parsed.mediaType, ...named }
          : {
              type: 'file',
              data: part.file_data,
              mediaType: guessMediaType(part.filename ?? undefined, fallback),
              ...named,
            };
      } else if (part.file_id) {
        file = {
          type: 'file',
          url: `${FILE_ID_SCHEME}${part.file_id}`,
          mediaType: guessMediaType(part.filename ?? undefined, fallback),
          ...named,
        };
      } else if (part.file_url) {
        file = {
          type: 'file',
          url: part.file_url,
          mediaType: guessMediaType(part.filename ?? part.file_url, fallback),
          ...named,
        };
      } else {
        throw new Error(`${FROM}: ${at}: an input_file with no file_data, file_id or file_url`);
      }
      return withOpenAIData(file, data);
    }
    default:
      throw new Error(
        `${FROM}: ${at}: unknown content part type ${JSON.stringify((part as { type: unknown }).type)}`,
      );
  }
}

function toolCallFrom(item: ResponseFunctionToolCall | ResponseCustomToolCall): ChatToolCall {
  const data: JsonObject = {};
  if (item.type === 'custom_tool_call') data.type = 'custom';
  if (item.id) data.id = item.id;
  if (item.namespace) data.namespace = item.namespace;
  if (item.caller) data.caller = toJson(item.caller);
  return withOpenAIData(
    {
      id: item.call_id,
      name: item.name,
      arguments: item.type === 'custom_tool_call' ? item.input : item.arguments,
    },
    data,
  );
}
