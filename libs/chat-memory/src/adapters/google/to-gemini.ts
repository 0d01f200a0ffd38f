import type {
  Blob as GeminiBlob,
  Content,
  FileData,
  FunctionResponse,
  FunctionResponsePart,
  Part,
} from '@google/genai';
import type {
  ChatContentPart,
  ChatFilePart,
  ChatImagePart,
  ChatMessage,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';
import { OWN_KEYS, googleData, isJsonObject, parseDataUrl } from './shared.js';

const TO = 'toGeminiContents';

/** What `toGeminiContents` returns: the two fields of a `generateContent` request it fills. */
export interface GeminiHistory {
  /**
   * The text of every `system` message, as one `Content` (one part per text), for
   * `config.systemInstruction`; `undefined` when the history has no system message.
   */
  systemInstruction: Content | undefined;
  /** The conversation, for `contents`: `user` and `model` turns. */
  contents: Content[];
}

/** What `toGeminiContents` remembers of a tool call, to answer its result. */
interface KnownCall {
  name: string;
  /** The id was made up by `fromGeminiContent`: Gemini sent none, so none is sent back. */
  idGenerated: boolean;
}

/**
 * Maps stored history to Gemini's `contents` and `systemInstruction`, for
 * `ai.models.generateContent({ model, contents, config: { systemInstruction } })` (or
 * `generateContentStream`, or `ai.chats.create({ history })`).
 *
 * - `system` messages -> `systemInstruction`, all of them, in order, wherever they are in the
 *   history (Gemini has no system turn);
 * - `user` -> a `user` turn: text -> `{ text }`; an image or file with `data` (or a base64
 *   `data:` URL) -> `inlineData` (`data`, `mimeType`); with any other `url` -> `fileData`
 *   (`fileUri`, `mimeType`); a file's `filename` -> `displayName`;
 * - `assistant` -> a `model` turn: its parts, then one `functionCall` part per tool call (`id`,
 *   `name`, `args` = the parsed `arguments`); reasoning parts -> parts with `thought: true`;
 * - `tool` -> a `functionResponse` part in a `user` turn: `name` is the message's `name` or, if
 *   it has none, the name of the call with the same id earlier in the history; `id` is the
 *   `toolCallId`; `response` is the content parsed as JSON when the content is the text of a
 *   JSON object (so write a tool error as `{"error": "..."}`: Gemini's own convention), and
 *   `{ output: content }` for any other content. Image and file parts of a tool result go in
 *   `functionResponse.parts`.
 *
 * Consecutive messages that map to the same role are merged into one turn (a run of tool results
 * becomes the one `user` turn Gemini expects after parallel calls).
 *
 * Gemini's own fields kept in `providerData.google` of a part or tool call by
 * `fromGeminiContent` go back on the part: above all the `thoughtSignature` that Gemini 3
 * requires on the function calls of the current turn. Ids that `fromGeminiContent` made up are
 * not sent (Gemini sent none).
 *
 * Lossy: `name` of user, assistant and system messages (Gemini has no such field), and the
 * position of system messages; `id`, `createdAt` and `metadata` are ignored; a message that
 * maps to no part at all (`''` content and no tool calls) is left out; reasoning and the
 * `providerData` of text parts are dropped in a tool result. A `tool` message whose tool name
 * cannot be found (a legacy one, without `toolCallId` or `name`, or one whose call is no longer
 * in the history) is sent as `user` text, since Gemini needs the name of the function.
 *
 * Throws an `Error` naming the message (`messages[i]...`) when a tool call's `arguments` are not
 * the JSON text of an object (Gemini takes `args` as an object; empty `arguments` are sent as
 * `{}`), or for a part of an unknown type.
 */
export function toGeminiContents(history: readonly ChatMessage[]): GeminiHistory {
  const system: Part[] = [];
  const contents: Content[] = [];
  const calls = new Map<string, KnownCall>();

  const push = (role: 'user' | 'model', parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role && last.parts) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  history.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
        system.push(...toParts(message.content, `${at}.content`));
        break;
      case 'user':
        push('user', toParts(message.content, `${at}.content`));
        break;
      case 'assistant': {
        const parts = toParts(message.content, `${at}.content`);
        message.toolCalls?.forEach((call, j) => {
          const part = toFunctionCallPart(call, `${at}.toolCalls[${j}]`);
          calls.set(call.id, { name: call.name, idGenerated: part.functionCall?.id === undefined });
          parts.push(part);
        });
        push('model', parts);
        break;
      }
      case 'tool': {
        const call = message.toolCallId === undefined ? undefined : calls.get(message.toolCallId);
        const name = message.name ?? call?.name;
        if (name === undefined) push('user', toParts(message.content, `${at}.content`));
        else push('user', [toFunctionResponsePart(message, name, call)]);
        break;
      }
      default:
        throw new Error(`${TO}: ${at}.role: unknown role ${JSON.stringify(message.role)}`);
    }
  });

  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

/** Gemini's fields kept on a part or tool call, without our own keys: spread onto the `Part`. */
function partFields(holder: { providerData?: JsonObject }): Partial<Part> {
  const data = googleData(holder);
  if (data === undefined) return {};
  const fields: JsonObject = {};
  for (const key in data) if (!OWN_KEYS.has(key)) fields[key] = data[key];
  return fields as Partial<Part>;
}

function toParts(content: string | readonly ChatContentPart[], at: string): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, k) => toPart(part, `${at}[${k}]`));
}

function toPart(part: ChatContentPart, at: string): Part {
  switch (part.type) {
    case 'text': {
      const kept = googleData(part)?.part;
      if (isJsonObject(kept)) return kept as Part;
      return { ...partFields(part), text: part.text };
    }
    case 'reasoning':
      return { ...partFields(part), text: part.text, thought: true };
    case 'image':
    case 'file':
      return { ...partFields(part), ...toMedia(part) };
    default:
      throw new Error(
        `${TO}: ${at}.type: unknown part type ${JSON.stringify((part as { type: unknown }).type)}`,
      );
  }
}

/** `{ inlineData }` or `{ fileData }` of an image or file part. */
function toMedia(part: ChatImagePart | ChatFilePart): {
  inlineData?: GeminiBlob;
  fileData?: FileData;
} {
  const displayName =
    part.type === 'file' ? part.filename : (googleData(part)?.displayName as string | undefined);
  const named = displayName === undefined ? {} : { displayName };
  const inline =
    part.data !== undefined
      ? { data: part.data, mimeType: part.mediaType }
      : parseDataUrl(part.url ?? '');
  if (inline !== undefined) return { inlineData: { ...inline, ...named } };
  return {
    fileData: {
      fileUri: part.url,
      ...(part.mediaType === undefined ? {} : { mimeType: part.mediaType }),
      ...named,
    },
  };
}

function toFunctionCallPart(call: ChatToolCall, at: string): Part {
  const idGenerated = googleData(call)?.idGenerated === true;
  return {
    ...partFields(call),
    functionCall: {
      ...(idGenerated ? {} : { id: call.id }),
      name: call.name,
      args: parseArguments(call.arguments, `${at}.arguments`),
    },
  };
}

function parseArguments(text: string, at: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${TO}: ${at}: not valid JSON (${(error as Error).message}); Gemini takes the arguments of a function call as a JSON object`,
      { cause: error },
    );
  }
  if (!isJsonObject(value)) {
    throw new Error(
      `${TO}: ${at}: not a JSON object; Gemini takes the arguments of a function call as a JSON object`,
    );
  }
  return value;
}

function toFunctionResponsePart(
  message: ChatMessage,
  name: string,
  call: KnownCall | undefined,
): Part {
  let text = '';
  const media: FunctionResponsePart[] = [];
  if (typeof message.content === 'string') {
    text = message.content;
  } else {
    for (const part of message.content) {
      if (part.type === 'text') text += part.text;
      else if (part.type === 'image' || part.type === 'file') media.push(toMedia(part));
    }
  }
  const sendId = message.toolCallId !== undefined && call?.idGenerated !== true;
  const functionResponse: FunctionResponse = {
    ...(sendId ? { id: message.toolCallId } : {}),
    name,
    response: toResponse(text),
    ...(media.length > 0 ? { parts: media } : {}),
  };
  return { functionResponse };
}

/** The tool result's `response`: the object when `text` is a JSON object, else `{ output: text }`. */
function toResponse(text: string): Record<string, unknown> {
  if (text.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (isJsonObject(value)) return value;
    } catch {
      // Not JSON: sent as output text.
    }
  }
  return { output: text };
}
