import type {
  ContentBlock,
  ContentBlockParam,
  Message,
  MessageParam,
  ToolResultBlockParam,
  ToolUseBlock,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type {
  ChatContentPart,
  ChatMessageInput,
  ChatToolCall,
} from '../../chat-message.interfaces.js';
import { collapse } from '../common.js';
import {
  FILE_ID_SCHEME,
  PROVIDER_KEY,
  encodeBase64,
  extraFields,
  isJsonObject,
  toJson,
  withAnthropicData,
} from './shared.js';

/** A block of a `tool_result`'s content. */
type ToolResultContentBlock = Exclude<ToolResultBlockParam['content'], string | undefined>[number];

/** Any block `from*` may meet: in a response, in a request message, in a tool result. */
type AnyBlock = ContentBlock | ContentBlockParam | ToolResultContentBlock;

/**
 * Maps the `Message` that `client.messages.create` (or `stream(...).finalMessage()`) returns to
 * the messages to store: normally one `assistant` message, or none when the response has no
 * content blocks.
 *
 * - `text` -> a text part (`citations`, when not `null`, kept in `providerData.anthropic`);
 * - `thinking` -> a reasoning part, its `signature` in `providerData.anthropic.signature`;
 * - `redacted_thinking` -> an empty reasoning part holding `{ type: 'redacted_thinking', data }`
 *   in `providerData.anthropic`;
 * - `tool_use` -> a tool call; Anthropic returns `input` already parsed, so `arguments` is
 *   `JSON.stringify(input)` (compact JSON, not the model's own text). A `caller` other than
 *   `direct` and a `toolset_name` are kept in the call's `providerData.anthropic`;
 * - any other block (`server_tool_use`, `web_search_tool_result`, code execution results,
 *   `container_upload`, ...) -> an empty text part that holds the whole block in
 *   `providerData.anthropic.block`, so that `toAnthropicMessages` sends it back as it came.
 *
 * A content that is a single plain text block is stored as a string. Tool calls go to
 * `toolCalls`, so a text block that came after a `tool_use` block goes back before it. The
 * response's `id`, `model`, `stop_reason`, `stop_details` and `usage` are not stored.
 */
export function fromAnthropicMessage(message: Message): ChatMessageInput[] {
  if (message.content.length === 0) return [];
  return [assistantMessage(message.content)];
}

/**
 * Maps a list of request messages (`MessageParam[]`, as a tool loop accumulates them: user
 * turns, the assistant contents pushed back, the user turns holding `tool_result` blocks) to the
 * messages to store, in order.
 *
 * - `user` -> one `tool` message per `tool_result` block (`toolCallId` = `tool_use_id`; `name` =
 *   the name of the `tool_use` with that id earlier in the list, when there is one), then one
 *   `user` message with the other blocks (text, images, documents), if any. A result's content
 *   string stays a string; its blocks become parts. The fields of the `tool_result` block
 *   itself (`is_error`, `cache_control`, `toolset_name`) are kept in
 *   `providerData.anthropic.toolResult` of the first part of the tool message (an empty text
 *   part when the result has no content), so an error result is stored as parts, not a string;
 * - `assistant` -> one `assistant` message, as `fromAnthropicMessage` maps a response;
 * - `system` (a system message inside `messages`) -> a `system` message.
 *
 * Blocks: images -> image parts (`base64` -> `data` + `mediaType`; `url` -> `url`; a Files API
 * `file` -> `url: 'anthropic-file:<id>'`); documents -> file parts (a base64 PDF -> `data`; a
 * plain-text source -> its text as base64 `data` with `text/plain`; a PDF URL -> `url`; a file id
 * -> `anthropic-file:<id>` with media type `application/octet-stream`, informative only), the
 * `title` as `filename`. `cache_control` and the other block fields are kept in the part's
 * `providerData.anthropic`. Blocks with no matching part (`search_result`, documents with a
 * `content` source, server tool blocks, ...) are kept whole on an empty text part, as
 * `fromAnthropicMessage` does. A content that is a single plain text block is stored as a string.
 */
export function fromAnthropicMessages(messages: readonly MessageParam[]): ChatMessageInput[] {
  const out: ChatMessageInput[] = [];
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role === 'assistant') {
      if (typeof message.content === 'string') {
        out.push({ role: 'assistant', content: message.content });
        continue;
      }
      for (const block of message.content) {
        if (block.type === 'tool_use') toolNames.set(block.id, block.name);
      }
      out.push(assistantMessage(message.content));
    } else if (message.role === 'system') {
      out.push({
        role: 'system',
        content:
          typeof message.content === 'string'
            ? message.content
            : collapse(message.content.map(blockToPart)),
      });
    } else if (typeof message.content === 'string') {
      out.push({ role: 'user', content: message.content });
    } else {
      const rest: ChatContentPart[] = [];
      for (const block of message.content) {
        if (block.type === 'tool_result') out.push(toolMessage(block, toolNames));
        else rest.push(blockToPart(block));
      }
      if (rest.length > 0) out.push({ role: 'user', content: collapse(rest) });
    }
  }
  return out;
}

/** An assistant content (response or request) as one assistant message. */
function assistantMessage(
  blocks: ReadonlyArray<ContentBlock | ContentBlockParam>,
): ChatMessageInput {
  const parts: ChatContentPart[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'tool_use') toolCalls.push(toolCall(block));
    else parts.push(blockToPart(block));
  }
  const message: ChatMessageInput = { role: 'assistant', content: collapse(parts) };
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  return message;
}

function toolCall(block: ToolUseBlock | ToolUseBlockParam): ChatToolCall {
  const call: ChatToolCall = {
    id: block.id,
    name: block.name,
    arguments: JSON.stringify(block.input ?? {}),
  };
  const extra = extraFields(block, ['type', 'id', 'name', 'input']);
  // `direct` is what a call made by the model itself says; it is the default when sending.
  if (isJsonObject(extra.caller) && extra.caller.type === 'direct') delete extra.caller;
  return withAnthropicData(call, extra);
}

function toolMessage(block: ToolResultBlockParam, names: Map<string, string>): ChatMessageInput {
  const message: ChatMessageInput = { role: 'tool', toolCallId: block.tool_use_id, content: '' };
  const name = names.get(block.tool_use_id);
  if (name !== undefined) message.name = name;
  const parts =
    typeof block.content === 'string'
      ? block.content === ''
        ? []
        : [{ type: 'text' as const, text: block.content }]
      : (block.content ?? []).map(blockToPart);
  const resultFields = extraFields(block, ['type', 'tool_use_id', 'content']);
  if (Object.keys(resultFields).length > 0) {
    if (parts.length === 0) parts.push({ type: 'text', text: '' });
    withAnthropicData(parts[0], { toolResult: resultFields });
    message.content = parts;
  } else {
    message.content = collapse(parts);
  }
  return message;
}

/** One block as a part (tool calls and tool results are handled by the callers). */
function blockToPart(block: AnyBlock): ChatContentPart {
  switch (block.type) {
    case 'text':
      // `parsed_output` is what `messages.parse()` adds: the SDK's own, never sent to the API.
      return withAnthropicData(
        { type: 'text', text: block.text },
        extraFields(block, ['type', 'text', 'parsed_output']),
      );
    case 'thinking':
      return withAnthropicData(
        { type: 'reasoning', text: block.thinking },
        extraFields(block, ['type', 'thinking']),
      );
    case 'redacted_thinking':
      return withAnthropicData(
        { type: 'reasoning', text: '' },
        { type: 'redacted_thinking', data: block.data },
      );
    case 'image': {
      const extra = extraFields(block, ['type', 'source']);
      const { source } = block;
      if (source.type === 'base64') {
        return withAnthropicData(
          { type: 'image', data: source.data, mediaType: source.media_type },
          extra,
        );
      }
      if (source.type === 'url')
        return withAnthropicData({ type: 'image', url: source.url }, extra);
      return withAnthropicData({ type: 'image', url: FILE_ID_SCHEME + source.file_id }, extra);
    }
    case 'document': {
      if (block.source.type === 'content') return opaque(block);
      const extra = extraFields(block, ['type', 'source', 'title']);
      const { source } = block;
      const filename = typeof block.title === 'string' ? { filename: block.title } : {};
      if (source.type === 'base64') {
        return withAnthropicData(
          { type: 'file', data: source.data, mediaType: source.media_type, ...filename },
          extra,
        );
      }
      if (source.type === 'text') {
        return withAnthropicData(
          { type: 'file', data: encodeBase64(source.data), mediaType: 'text/plain', ...filename },
          extra,
        );
      }
      if (source.type === 'url') {
        return withAnthropicData(
          { type: 'file', url: source.url, mediaType: 'application/pdf', ...filename },
          extra,
        );
      }
      return withAnthropicData(
        {
          type: 'file',
          url: FILE_ID_SCHEME + source.file_id,
          mediaType: 'application/octet-stream',
          ...filename,
        },
        extra,
      );
    }
    default:
      return opaque(block);
  }
}

/** A block with no matching part, kept whole on an empty text part. */
function opaque(block: AnyBlock): ChatContentPart {
  return { type: 'text', text: '', providerData: { [PROVIDER_KEY]: { block: toJson(block) } } };
}
