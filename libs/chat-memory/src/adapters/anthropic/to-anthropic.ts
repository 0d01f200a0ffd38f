import type {
  Base64ImageSource,
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type {
  ChatContentPart,
  ChatFilePart,
  ChatImagePart,
  ChatMessage,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';
import {
  FILE_ID_SCHEME,
  anthropicData,
  blockFields,
  decodeBase64,
  isJsonObject,
  parseDataUrl,
} from './shared.js';

const TO = 'toAnthropicMessages';

/**
 * What `toAnthropicMessages` returns: the `system` and `messages` fields of a
 * `client.messages.create` request. `system` is left out when the history has no system text.
 */
export interface AnthropicHistory {
  /**
   * The text of every `system` message: one string (the texts joined by a blank line), or one
   * text block per text when one of them carries Anthropic fields such as `cache_control` in
   * `providerData.anthropic`.
   */
  system?: string | TextBlockParam[];
  /** The conversation, as alternating `user` and `assistant` turns. */
  messages: MessageParam[];
}

/** A turn being built: tool results go first in a user turn, as the API requires. */
interface Turn {
  role: 'user' | 'assistant';
  results: ToolResultBlockParam[];
  blocks: ContentBlockParam[];
}

type ToolResultContent = Exclude<ToolResultBlockParam['content'], string | undefined>;

/**
 * Maps stored history to the `system` and `messages` of a Messages API request:
 * `client.messages.create({ model, max_tokens, ...toAnthropicMessages(history) })`.
 *
 * - `system` messages -> `system`, all of them in order, wherever they are in the history: their
 *   texts joined by a blank line, or text blocks when a text part carries Anthropic fields (such
 *   as `cache_control`). Image, file and reasoning parts of a system message are dropped (the
 *   system prompt takes text only);
 * - `user` -> a `user` turn: text -> `text` blocks; images -> `image` blocks (`data` -> a
 *   `base64` source, a base64 `data:` URL too; `anthropic-file:<id>` -> a `file` source; any
 *   other `url` -> a `url` source); files -> `document` blocks (PDF data -> `base64`, `text/*`
 *   data -> a plain-text source, `anthropic-file:<id>` -> `file`, any other URL -> `url`, and
 *   `filename` -> `title`). Reasoning parts are dropped;
 * - `assistant` -> an `assistant` turn: text and reasoning parts, then one `tool_use` block per
 *   tool call (`input` = the parsed `arguments`; empty `arguments` are sent as `{}`). A
 *   reasoning part goes as a `thinking` block only with the signature Anthropic gave
 *   (`providerData.anthropic.signature`, or a flat `providerData.signature`), or as
 *   `redacted_thinking` when `fromAnthropicMessage*` stored one; unsigned reasoning (another
 *   provider's) is dropped, since the API refuses it. Image and file parts are dropped (an
 *   assistant turn takes none);
 * - `tool` -> a `tool_result` block (`tool_use_id` = `toolCallId`) in a `user` turn, with the
 *   content as a string, or as text / image / document blocks; the `is_error`, `cache_control`
 *   and `toolset_name` kept in `providerData.anthropic.toolResult` of the first part go back on
 *   the block. A tool message without `toolCallId` (written by an older version), or whose call
 *   is not in the assistant turn just before (cut off by the history window, say), or that
 *   answers a call already answered, is sent as plain `user` content, since the API would refuse
 *   such a `tool_result`.
 *
 * Consecutive messages that map to the same role are merged into one turn, as the API requires:
 * a run of tool results and the user text after them become one `user` turn, with the
 * `tool_result` blocks first. A single plain text block is sent as a string. Empty text parts are
 * not sent (the API refuses empty text blocks), and a message that maps to no block at all is
 * left out. The other fields kept in `providerData.anthropic` (`cache_control`, `citations`,
 * `caller`, ...) are spread back onto their block, and a block kept whole by `from*` is sent as
 * it is. `id`, `createdAt`, `metadata` and `name` are not sent (Anthropic has no such fields).
 *
 * Throws an `Error` naming the message (`messages[i]...`) when a tool call's `arguments` are not
 * the JSON text of an object, or for a file with `data` that is neither a PDF nor text.
 */
export function toAnthropicMessages(history: readonly ChatMessage[]): AnthropicHistory {
  const system: TextBlockParam[] = [];
  const turns: Turn[] = [];
  /** The calls of the latest assistant turn that have no result yet. */
  let openCalls = new Set<string>();

  const push = (
    role: Turn['role'],
    blocks: ContentBlockParam[],
    results: ToolResultBlockParam[],
  ) => {
    if (blocks.length === 0 && results.length === 0) return false;
    const last = turns.at(-1);
    if (last?.role === role) {
      last.blocks.push(...blocks);
      last.results.push(...results);
      return false;
    }
    turns.push({ role, blocks, results });
    return true;
  };

  history.forEach((message, index) => {
    const path = `messages[${index}]`;
    switch (message.role) {
      case 'system':
        system.push(...systemBlocks(message.content));
        break;
      case 'user':
        push('user', userBlocks(message.content, path), []);
        break;
      case 'assistant': {
        const calls = message.toolCalls ?? [];
        const blocks = [
          ...assistantBlocks(message.content),
          ...calls.map((call, j) => toolUseBlock(call, `${path}.toolCalls[${j}]`)),
        ];
        if (push('assistant', blocks, [])) openCalls = new Set();
        for (const call of calls) openCalls.add(call.id);
        break;
      }
      case 'tool': {
        const id = message.toolCallId;
        if (id !== undefined && openCalls.has(id)) {
          openCalls.delete(id);
          push('user', [], [toolResultBlock(id, message.content, path)]);
        } else {
          push('user', userBlocks(message.content, path), []);
        }
        break;
      }
      default:
        throw new Error(`${TO}: ${path}.role: unknown role ${JSON.stringify(message.role)}`);
    }
  });

  const out: AnthropicHistory = {
    messages: turns.map((turn) => ({
      role: turn.role,
      content: asContent([...turn.results, ...turn.blocks]),
    })),
  };
  if (system.length > 0) {
    out.system = system.every(isPlainText)
      ? system.map((block) => block.text).join('\n\n')
      : system;
  }
  return out;
}

/** A single plain text block as a string, anything else as the blocks. */
function asContent(blocks: ContentBlockParam[]): string | ContentBlockParam[] {
  return blocks.length === 1 && isPlainText(blocks[0]) ? blocks[0].text : blocks;
}

function isPlainText(block: ContentBlockParam): block is TextBlockParam {
  return block.type === 'text' && Object.keys(block).length === 2;
}

function systemBlocks(content: ChatMessage['content']): TextBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.flatMap((part): TextBlockParam[] =>
    part.type === 'text' && part.text !== ''
      ? [{ ...blockFields(part), type: 'text', text: part.text }]
      : [],
  );
}

/** The blocks of a user message (or of a tool result sent as user content). */
function userBlocks(content: ChatMessage['content'], path: string): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.flatMap((part, j): ContentBlockParam[] => {
    switch (part.type) {
      case 'text':
        return textBlock(part);
      case 'image':
        return [imageBlock(part, `${path}.content[${j}]`)];
      case 'file':
        return [documentBlock(part, `${path}.content[${j}]`)];
      default:
        return [];
    }
  });
}

function assistantBlocks(content: ChatMessage['content']): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.flatMap((part): ContentBlockParam[] => {
    if (part.type === 'text') return textBlock(part);
    if (part.type === 'reasoning') return reasoningBlock(part);
    return [];
  });
}

/** A text part: a block kept whole by `from*`, a text block, or nothing for empty text. */
function textBlock(part: ChatContentPart & { type: 'text' }): ContentBlockParam[] {
  const kept = anthropicData(part)?.block;
  if (isJsonObject(kept)) return [kept as unknown as ContentBlockParam];
  if (part.text === '') return [];
  return [{ ...blockFields(part), type: 'text', text: part.text } as TextBlockParam];
}

function reasoningBlock(part: ChatContentPart & { type: 'reasoning' }): ContentBlockParam[] {
  const data = anthropicData(part);
  if (data?.type === 'redacted_thinking' && typeof data.data === 'string') {
    return [{ type: 'redacted_thinking', data: data.data }];
  }
  const flat = part.providerData?.signature;
  const signature = typeof data?.signature === 'string' ? data.signature : flat;
  if (typeof signature !== 'string') return [];
  return [{ ...blockFields(part), type: 'thinking', thinking: part.text, signature }];
}

/**
 * Where an image or file part points: a Files API id, a URL, or inline base64 data (a base64
 * `data:` URL counts as data).
 */
type Source =
  | { kind: 'file'; fileId: string }
  | { kind: 'url'; url: string }
  | { kind: 'data'; data: string; mediaType: string };

function sourceOf(part: ChatImagePart | ChatFilePart, path: string): Source {
  if (part.url !== undefined) {
    if (part.url.startsWith(FILE_ID_SCHEME)) {
      return { kind: 'file', fileId: part.url.slice(FILE_ID_SCHEME.length) };
    }
    const inline = parseDataUrl(part.url);
    return inline ? { kind: 'data', ...inline } : { kind: 'url', url: part.url };
  }
  if (part.data === undefined || part.mediaType === undefined) {
    throw new Error(`${TO}: ${path}: a part needs a url, or data with a mediaType`);
  }
  return { kind: 'data', data: part.data, mediaType: part.mediaType };
}

function imageBlock(part: ChatImagePart, path: string): ImageBlockParam {
  const where = sourceOf(part, path);
  const image = (source: ImageBlockParam['source']): ImageBlockParam => ({
    ...(blockFields(part) as Partial<ImageBlockParam>),
    type: 'image',
    source,
  });
  if (where.kind === 'file') return image({ type: 'file', file_id: where.fileId });
  if (where.kind === 'url') return image({ type: 'url', url: where.url });
  // The API takes JPEG, PNG, GIF and WebP; any other type is sent as it is, for the API to judge.
  const media_type = where.mediaType as Base64ImageSource['media_type'];
  return image({ type: 'base64', media_type, data: where.data });
}

function documentBlock(part: ChatFilePart, path: string): DocumentBlockParam {
  const where = sourceOf(part, path);
  const document = (source: DocumentBlockParam['source']): DocumentBlockParam => ({
    ...(blockFields(part) as Partial<DocumentBlockParam>),
    ...(part.filename === undefined ? {} : { title: part.filename }),
    type: 'document',
    source,
  });
  if (where.kind === 'file') return document({ type: 'file', file_id: where.fileId });
  if (where.kind === 'url') return document({ type: 'url', url: where.url });
  const mediaType = where.mediaType.toLowerCase();
  if (mediaType === 'application/pdf') {
    return document({ type: 'base64', media_type: 'application/pdf', data: where.data });
  }
  if (mediaType.startsWith('text/')) {
    return document({ type: 'text', media_type: 'text/plain', data: decodeBase64(where.data) });
  }
  throw new Error(
    `${TO}: ${path}: Anthropic takes PDF and plain-text documents only, not ${JSON.stringify(where.mediaType)}`,
  );
}

function toolUseBlock(call: ChatToolCall, path: string): ToolUseBlockParam {
  return {
    ...blockFields(call),
    type: 'tool_use',
    id: call.id,
    name: call.name,
    input: parseArguments(call, path),
  };
}

/** The tool input: `arguments` parsed; it must be a JSON object (`''` counts as `{}`). */
function parseArguments(call: ChatToolCall, path: string): JsonObject {
  if (call.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch (error) {
    throw new Error(
      `${TO}: ${path}.arguments is not valid JSON (${(error as Error).message}); Anthropic takes a tool call's input as an object`,
      { cause: error },
    );
  }
  if (!isJsonObject(input)) {
    throw new Error(
      `${TO}: ${path}.arguments must be the JSON text of an object, not ${call.arguments}`,
    );
  }
  return input;
}

function toolResultBlock(
  toolUseId: string,
  content: ChatMessage['content'],
  path: string,
): ToolResultBlockParam {
  const first = typeof content === 'string' ? undefined : content[0];
  const own = first && anthropicData(first)?.toolResult;
  const block: ToolResultBlockParam = {
    ...(isJsonObject(own) ? (own as Partial<ToolResultBlockParam>) : {}),
    type: 'tool_result',
    tool_use_id: toolUseId,
  };
  const blocks = userBlocks(content, path) as ToolResultContent;
  if (blocks.length > 0) {
    block.content = asContent(blocks as ContentBlockParam[]) as ToolResultBlockParam['content'];
  }
  return block;
}
