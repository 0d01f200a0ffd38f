import type { DynamicToolUIPart, FileUIPart, ToolUIPart, UIMessage } from 'ai';
import type {
  ChatContentPart,
  ChatMessage,
  ChatMessageInput,
  ChatToolCall,
  JsonObject,
} from '../../chat-message.interfaces.js';
import {
  ANY_IMAGE,
  addMessageData,
  addOwnData,
  collapse,
  decodeToolResult,
  encodeToolResult,
  firstHolder,
  isMessageId,
  isObject,
  jsonObject,
  locate,
  objectField,
  ownData,
  parseArguments,
  partOptions,
  stringField,
  stringifyInput,
  textOf,
  toUrl,
  type ToolOutput,
} from './shared.js';

type UIPart = UIMessage['parts'][number];
type AnyToolPart = ToolUIPart | DynamicToolUIPart;

/** The prefix of a static tool part's `type` (`tool-<name>`). */
const TOOL_PREFIX = 'tool-';

/**
 * Converts stored history into `UIMessage[]`, e.g. the initial `messages` of `useChat()`.
 *
 * - The id of a UIMessage is the id a `fromUIMessages` call could not store (kept in
 *   `providerData`), else the message id, else `history-<index>` (entries of older versions have
 *   no id). `metadata` is the message's `metadata`.
 * - `system` and `user` messages: text parts, and file parts for images and files (base64 data as
 *   a `data:` URL; an image with no media type as `image/*`).
 * - An `assistant` message and the ones after it up to the next `user` / `system` message (its
 *   tool results, the next steps) make one UIMessage, as `useChat` shows an agent's turn: each
 *   assistant message starts with a `step-start` part, then its text (`state: 'done'`),
 *   reasoning and file parts, then one `tool-<name>` part per tool call whose state comes from
 *   the matching `tool` message: `output-available` (`output` = the content string, or the JSON
 *   value of a `json` result), `output-error` (`errorText`), `output-denied`, or `input-available`
 *   when there is no result. The metadata of the merged messages is merged (later keys win).
 * - A `tool` message whose call is not in the history gets a tool part of its own (with no
 *   input); one with no `toolCallId` (older versions) shows as a text part.
 *
 * Kept provider fields come back as `providerMetadata` / `callProviderMetadata` /
 * `resultProviderMetadata`. `createdAt` and `name` (other than a tool's) are left out.
 */
export function toUIMessages(history: readonly ChatMessage[]): UIMessage[] {
  const out: UIMessage[] = [];
  let turn: UIMessage | undefined;
  let calls = new Map<string, { part: Record<string, unknown>; call: ChatToolCall }>();

  const startTurn = (message: ChatMessage, index: number): UIMessage => {
    if (turn) {
      if (message.metadata) turn.metadata = { ...(turn.metadata as object), ...message.metadata };
      return turn;
    }
    turn = { id: uiId(message, index), role: 'assistant', parts: [] };
    if (message.metadata) turn.metadata = message.metadata;
    out.push(turn);
    return turn;
  };

  history.forEach((message, index) => {
    switch (message.role) {
      case 'system':
      case 'user': {
        turn = undefined;
        calls = new Map();
        const ui: UIMessage = {
          id: uiId(message, index),
          role: message.role,
          parts: contentParts(message.content, false, false),
        };
        if (message.metadata) ui.metadata = message.metadata;
        out.push(ui);
        return;
      }
      case 'assistant': {
        const ui = startTurn(message, index);
        const toolCalls = message.toolCalls ?? [];
        ui.parts.push({ type: 'step-start' });
        ui.parts.push(...contentParts(message.content, true, toolCalls.length > 0));
        for (const call of toolCalls) {
          const part = toolPart(call.name, call.id, ownData(call));
          part.state = 'input-available';
          part.input = parseArguments(call);
          const options = partOptions(call);
          if (options) part.callProviderMetadata = options;
          calls.set(call.id, { part, call });
          ui.parts.push(part as unknown as UIPart);
        }
        return;
      }
      case 'tool': {
        const ui = startTurn(message, index);
        if (message.toolCallId === undefined) {
          ui.parts.push({ type: 'text', text: textOf(message.content), state: 'done' });
          return;
        }
        let part = calls.get(message.toolCallId)?.part;
        if (!part) {
          part = toolPart(message.name ?? 'unknown', message.toolCallId, undefined);
          part.input = undefined;
          ui.parts.push(part as unknown as UIPart);
        }
        applyResult(part, message);
        return;
      }
      default:
        throw new Error(
          `toUIMessages: message ${index} has an unknown role ${JSON.stringify((message as { role?: unknown }).role)}`,
        );
    }
  });
  return out;
}

function uiId(message: ChatMessage, index: number): string {
  return (
    stringField(ownData(firstHolder(message)), 'uiMessageId') ?? message.id ?? `history-${index}`
  );
}

function contentParts(
  content: string | ChatContentPart[],
  assistant: boolean,
  hasToolCalls: boolean,
): UIPart[] {
  const done = assistant ? { state: 'done' as const } : {};
  if (typeof content === 'string') {
    return content === '' && hasToolCalls ? [] : [{ type: 'text', text: content, ...done }];
  }
  return content.map((part): UIPart => {
    const options = partOptions(part);
    const metadata = options ? { providerMetadata: options } : {};
    switch (part.type) {
      case 'text':
      case 'reasoning':
        return { type: part.type, text: part.text, ...done, ...metadata };
      case 'image': {
        const filename = stringField(ownData(part), 'filename');
        const file: FileUIPart = {
          type: 'file',
          mediaType: part.mediaType ?? ANY_IMAGE,
          url: toUrl(part),
          ...metadata,
        };
        if (filename !== undefined) file.filename = filename;
        return file;
      }
      case 'file': {
        const file: FileUIPart = { type: 'file', mediaType: part.mediaType, url: toUrl(part) };
        if (part.filename !== undefined) file.filename = part.filename;
        return { ...file, ...metadata };
      }
    }
  });
}

/** A tool part to fill in: `tool-<name>`, or `dynamic-tool` when the call came from one. */
function toolPart(
  name: string,
  toolCallId: string,
  data: JsonObject | undefined,
): Record<string, unknown> {
  const part: Record<string, unknown> =
    data?.dynamic === true
      ? { type: 'dynamic-tool', toolName: name, toolCallId }
      : { type: `${TOOL_PREFIX}${name}`, toolCallId };
  const title = stringField(data, 'title');
  if (title !== undefined) part.title = title;
  const toolMetadata = objectField(data, 'toolMetadata');
  if (toolMetadata) part.toolMetadata = toolMetadata;
  if (data?.providerExecuted === true) part.providerExecuted = true;
  return part;
}

/** Sets the state and output of a tool part from its `tool` message. */
function applyResult(part: Record<string, unknown>, message: ChatMessage): void {
  const { output, extras } = decodeToolResult(message);
  const resultMetadata = extras.resultProviderOptions;
  switch (output.type) {
    case 'text':
      part.state = 'output-available';
      part.output = output.value;
      break;
    case 'json':
      part.state = 'output-available';
      part.output = output.value;
      break;
    case 'content':
      part.state = 'output-available';
      part.output = output.value;
      break;
    case 'error-text':
      part.state = 'output-error';
      part.errorText = output.value;
      break;
    case 'error-json':
      part.state = 'output-error';
      part.errorText = JSON.stringify(output.value);
      break;
    case 'execution-denied': {
      part.state = 'output-denied';
      const approval: Record<string, unknown> = {
        id: extras.approvalId ?? (part.toolCallId as string),
        approved: false,
      };
      if (output.reason !== undefined) approval.reason = output.reason;
      part.approval = approval;
      return;
    }
  }
  if (resultMetadata) part.resultProviderMetadata = resultMetadata;
}

/**
 * Converts `UIMessage`s (what `useChat()` sends) into messages to store.
 *
 * - `text`, `reasoning` and `file` parts become our parts (a file with an `image/*` media type
 *   an image part, its file name kept in `providerData`; a `data:` URL base64 `data`);
 *   `providerMetadata` is kept in `providerData.aiSdk.providerOptions`. Content that is a single
 *   text part with no provider metadata is stored as a string.
 * - An assistant UIMessage is split into steps (at `step-start` parts, and where text follows a
 *   tool result): each step becomes an assistant message with its tool parts as `toolCalls`
 *   (`arguments` = `JSON.stringify(input)`, or the input when it is a string), followed by one
 *   `tool` message per tool part that has a result: `output-available` -> the output (a string as
 *   it is, any other value as a `json` result), `output-error` -> an `error-text` result,
 *   `output-denied` -> an `execution-denied` result (same rule as `fromModelMessages`).
 * - The UIMessage `id` becomes the id of its first message when it is a valid message id (1-128
 *   characters of `[A-Za-z0-9_.:-]`, starting with a letter or digit); otherwise it is kept in
 *   `providerData.aiSdk.uiMessageId` of the first part, so that `toUIMessages` gives it back.
 *   `metadata` becomes the first message's `metadata` when it is a JSON object.
 *
 * Left out: `step-start` boundaries that `toUIMessages` puts back anyway, text `state`, a
 * reasoning part's `id`, `source-url`, `source-document` and `data-*` parts, tool parts still
 * streaming their input (`input-streaming`), preliminary outputs, and approval requests.
 */
export function fromUIMessages(messages: readonly UIMessage[]): ChatMessageInput[] {
  const out: ChatMessageInput[] = [];
  messages.forEach((ui, index) => {
    if (!isObject(ui) || !Array.isArray(ui.parts)) {
      throw new Error(`fromUIMessages: message ${index} is not a UIMessage (no parts array)`);
    }
    const steps: Step[] =
      ui.role === 'assistant'
        ? assistantSteps(ui.parts)
        : ui.role === 'system' || ui.role === 'user'
          ? [{ parts: ui.parts.flatMap(fromPart), calls: [], results: [] }]
          : fail(index, ui.role);
    if (steps.length === 0) return;

    const first = steps[0];
    const validId = isMessageId(ui.id);
    addMessageData(first.parts, first.calls, {
      uiMessageId: !validId && typeof ui.id === 'string' && ui.id !== '' ? ui.id : undefined,
    });
    const metadata = jsonObject(ui.metadata);
    steps.forEach((step, stepIndex) => {
      const message: ChatMessageInput = { role: ui.role, content: collapse(step.parts) };
      if (step.calls.length > 0) message.toolCalls = step.calls;
      if (stepIndex === 0) {
        if (validId) message.id = ui.id;
        if (metadata) message.metadata = metadata;
      }
      out.push(message, ...step.results);
    });
  });
  return out;
}

function fail(index: number, role: unknown): never {
  throw new Error(`fromUIMessages: message ${index} has an unknown role ${JSON.stringify(role)}`);
}

interface Step {
  parts: ChatContentPart[];
  calls: ChatToolCall[];
  results: ChatMessageInput[];
}

function assistantSteps(parts: readonly UIPart[]): Step[] {
  const steps: Step[] = [];
  let step: Step = { parts: [], calls: [], results: [] };
  let afterResult = false;
  const close = (): void => {
    if (step.parts.length > 0 || step.calls.length > 0) steps.push(step);
    step = { parts: [], calls: [], results: [] };
    afterResult = false;
  };
  for (const part of parts) {
    if (!isObject(part)) continue;
    if (part.type === 'step-start') {
      close();
      continue;
    }
    const tool = asToolPart(part);
    if (tool) {
      if (tool.state === 'input-streaming') continue;
      const name =
        tool.type === 'dynamic-tool' ? tool.toolName : tool.type.slice(TOOL_PREFIX.length);
      step.calls.push(toolCall(tool, name));
      const result = toolResult(tool, name);
      if (result) {
        step.results.push(result);
        if (tool.providerExecuted !== true) afterResult = true;
      }
      continue;
    }
    const converted = fromPart(part);
    if (converted.length === 0) continue;
    if (afterResult) close();
    step.parts.push(...converted);
  }
  close();
  return steps;
}

function asToolPart(part: UIPart): AnyToolPart | undefined {
  return part.type === 'dynamic-tool' || part.type.startsWith(TOOL_PREFIX)
    ? (part as AnyToolPart)
    : undefined;
}

function toolCall(part: AnyToolPart, name: string): ChatToolCall {
  const input =
    part.input === undefined && 'rawInput' in part && part.rawInput !== undefined
      ? part.rawInput
      : part.input;
  const { text, stringInput } = stringifyInput(input);
  const call: ChatToolCall = { id: part.toolCallId, name, arguments: text };
  return addOwnData(call, {
    providerOptions: jsonObject(part.callProviderMetadata),
    providerExecuted: part.providerExecuted === true ? true : undefined,
    stringInput,
    title: part.title,
    toolMetadata: jsonObject(part.toolMetadata),
    dynamic: part.type === 'dynamic-tool' ? true : undefined,
  });
}

function toolResult(part: AnyToolPart, name: string): ChatMessageInput | undefined {
  let output: ToolOutput;
  switch (part.state) {
    case 'output-available':
      if (part.preliminary === true) return undefined;
      output =
        typeof part.output === 'string'
          ? { type: 'text', value: part.output }
          : { type: 'json', value: JSON.parse(JSON.stringify(part.output ?? null)) };
      break;
    case 'output-error':
      output = { type: 'error-text', value: part.errorText };
      break;
    case 'output-denied':
      output =
        part.approval.reason === undefined
          ? { type: 'execution-denied' }
          : { type: 'execution-denied', reason: part.approval.reason };
      break;
    default:
      return undefined;
  }
  return encodeToolResult(part.toolCallId, name, output, {
    resultProviderOptions:
      'resultProviderMetadata' in part ? part.resultProviderMetadata : undefined,
    providerExecuted: part.providerExecuted === true ? true : undefined,
    approvalId: part.state === 'output-denied' ? part.approval.id : undefined,
  });
}

function fromPart(part: UIPart): ChatContentPart[] {
  let converted: ChatContentPart;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      converted = { type: part.type, text: part.text };
      break;
    case 'file': {
      const where = locate(part.url, part.mediaType);
      const image = part.mediaType.startsWith('image/');
      if (image) {
        converted =
          'data' in where
            ? { type: 'image', data: where.data, mediaType: where.mediaType ?? part.mediaType }
            : { type: 'image', url: where.url };
        if ('url' in where && part.mediaType !== ANY_IMAGE) converted.mediaType = part.mediaType;
        addOwnData(converted, { filename: part.filename });
      } else {
        converted = { type: 'file', ...where, mediaType: where.mediaType ?? part.mediaType };
        if (part.filename !== undefined) converted.filename = part.filename;
      }
      break;
    }
    default:
      return [];
  }
  return [addOwnData(converted, { providerOptions: jsonObject(part.providerMetadata) })];
}
