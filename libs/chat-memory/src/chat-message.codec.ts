import { CHAT_ROLES, MAX_NAME_LENGTH, MESSAGE_ID_PATTERN } from './chat-memory.constants.js';
import {
  InvalidContentError,
  InvalidMessageError,
  InvalidRoleError,
} from './chat-memory.errors.js';
import type { ChatMemoryWireFormat } from './chat-memory.interfaces.js';
import { ArgumentMessages, MessageMessages } from './chat-memory.messages.js';
import { assertContent, isChatRole } from './chat-memory.validation.js';
import type { ChatContentPart, ChatMessage, ChatRole } from './chat-message.interfaces.js';
import { lastIdTime, newMessageId, timeOfId } from './chat-message.ids.js';
import type { ChatMemoryStoreMessage } from './store/chat-memory-store.interface.js';

/**
 * @internal How messages become List entries and back.
 *
 * Native entries (`wireFormat: 'native'`) are versioned JSON with short keys, written in this
 * order: `{"v":1,"i":<id>,"k":<tokens>[,"t":<createdAt>],"r":<role>,"c":<content>
 * [,"tc":<toolCalls>][,"ti":<toolCallId>][,"n":<name>][,"m":<metadata>][,"p":1]}`. `k` is the
 * message's token count when it was written; `t` is left out when it equals the time encoded in a
 * ULID id (always so for ids the library assigns); `"p":1` marks the pinned system prompt, which
 * is the List's first entry. `c` is the content string or the
 * array of parts; `tc` the tool calls as given. Python-compatible entries (`'ractogateway'`, and
 * everything version 0.1 wrote) are `{"role":<role>,"content":<string>}`. Both are read.
 */

export const ENTRY_VERSION = 1;

/** The limits and format a message is checked and encoded against (from the resolved config). */
export interface MessageLimits {
  readonly maxContentBytes: number;
  readonly maxMetadataBytes: number;
  readonly wireFormat: ChatMemoryWireFormat;
  /** Counts a message's tokens (`config.tokenCounter`, checked). */
  readonly countTokens: (message: ChatMessage) => number;
}

/**
 * A checked message: the List entry to write, what the window rules need to know about it, and
 * the message as it will read back.
 */
export interface PreparedMessage extends ChatMemoryStoreMessage {
  readonly message: ChatMessage;
}

/** `{"role":"<role>","content":` for every role: the part of a Python-format entry that never changes. */
const LEGACY_PREFIX = Object.fromEntries(
  CHAT_ROLES.map((role) => [role, `{"role":${JSON.stringify(role)},"content":`]),
) as Record<ChatRole, string>;

/** `,"r":"<role>","c":` for every role. */
const ROLE_INFIX = Object.fromEntries(
  CHAT_ROLES.map((role) => [role, `,"r":${JSON.stringify(role)},"c":`]),
) as Record<ChatRole, string>;

/**
 * A Python-format entry, byte for byte what `JSON.stringify({ role, content })` gives (readable by
 * Python's `json.loads`), built without the object.
 */
export function encodeLegacy(role: ChatRole, content: string): string {
  return `${LEGACY_PREFIX[role]}${JSON.stringify(content)}}`;
}

/**
 * The hot path: a plain text message whose role and content are already checked, with a fresh id.
 * `now` in milliseconds.
 */
export function prepareText(
  role: ChatRole,
  content: string,
  limits: MessageLimits,
  now: number,
): PreparedMessage {
  if (limits.wireFormat === 'ractogateway') {
    const entry = encodeLegacy(role, content);
    const message = { role, content };
    return { entry, id: undefined, role, tokens: 0, toolCallIds: undefined, message };
  }
  const id = newMessageId(now);
  const message = { id, role, content, createdAt: lastIdTime() };
  const tokens = limits.countTokens(message);
  const entry = `{"v":1,"i":"${id}","k":${tokens}${ROLE_INFIX[role]}${JSON.stringify(content)}}`;
  return { entry, id, role, tokens, toolCallIds: undefined, message };
}

const MESSAGE_FIELDS = [
  'id',
  'role',
  'content',
  'toolCalls',
  'toolCallId',
  'name',
  'metadata',
  'createdAt',
] as const;
const MESSAGE_FIELD_SET: ReadonlySet<string> = new Set(MESSAGE_FIELDS);
const TOOL_CALL_FIELDS = ['id', 'name', 'arguments', 'providerData'] as const;
const TOOL_CALL_FIELD_SET: ReadonlySet<string> = new Set(TOOL_CALL_FIELDS);
const PART_FIELDS: Record<ChatContentPart['type'], readonly string[]> = {
  text: ['type', 'text', 'providerData'],
  image: ['type', 'url', 'data', 'mediaType', 'providerData'],
  file: ['type', 'url', 'data', 'mediaType', 'filename', 'providerData'],
  reasoning: ['type', 'text', 'providerData'],
};
const PART_FIELD_SETS: Partial<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries(PART_FIELDS).map(([type, fields]) => [type, new Set(fields)]),
);

/** Deepest nesting accepted in `metadata` and `providerData`. */
const MAX_JSON_DEPTH = 32;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const fail = (path: string, message: string): never => {
  throw new InvalidMessageError(path, message);
};

/** Throws unless every key of `value` whose value is not `undefined` is in `known`. */
function checkFields(
  value: Record<string, unknown>,
  known: ReadonlySet<string>,
  path: string,
): void {
  for (const key in value) {
    if (!known.has(key) && value[key] !== undefined) {
      fail(path, MessageMessages.unknownField(key, [...known]));
    }
  }
}

function checkString(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string') fail(path, MessageMessages.string(value));
}

function checkName(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    fail(path, MessageMessages.nonEmptyString(MAX_NAME_LENGTH, value));
  }
}

/** Throws unless `value` is JSON that reads back deep-equal: plain objects, arrays, finite numbers. */
function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) fail(path, MessageMessages.tooDeep(MAX_JSON_DEPTH));
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, MessageMessages.notJson(String(value)));
      return;
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}[${i}]`, depth + 1);
        return;
      }
      if (!isPlainObject(value)) fail(path, MessageMessages.notJson('an object of a class'));
      for (const key in value as Record<string, unknown>) {
        checkJson((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      }
      return;
    default:
      fail(path, MessageMessages.notJson(typeof value));
  }
}

function checkJsonObject(value: unknown, path: string): void {
  if (!isPlainObject(value)) fail(path, MessageMessages.jsonObject(value));
  checkJson(value, path, 0);
}

function checkPart(part: unknown, path: string): void {
  if (!isPlainObject(part)) return fail(path, MessageMessages.partType(part));
  const type = part.type as ChatContentPart['type'];
  const fields = PART_FIELD_SETS[type];
  if (typeof type !== 'string' || fields === undefined) {
    return fail(`${path}.type`, MessageMessages.partType(part.type));
  }
  checkFields(part, fields, path);
  if (type === 'text' || type === 'reasoning') {
    checkString(part.text, `${path}.text`);
  } else {
    const hasUrl = part.url !== undefined;
    const hasData = part.data !== undefined;
    if (hasUrl === hasData) fail(path, MessageMessages.urlOrData(type));
    if (hasUrl) checkString(part.url, `${path}.url`);
    else checkString(part.data, `${path}.data`);
    if (part.mediaType !== undefined) checkString(part.mediaType, `${path}.mediaType`);
    else if (type === 'file' || hasData) fail(path, MessageMessages.mediaTypeRequired(type));
    if (part.filename !== undefined) checkString(part.filename, `${path}.filename`);
  }
  if (part.providerData !== undefined) checkJsonObject(part.providerData, `${path}.providerData`);
}

function checkToolCalls(toolCalls: unknown, path: string): void {
  if (!Array.isArray(toolCalls) || toolCalls.length === 0) {
    fail(path, MessageMessages.toolCallsArray(toolCalls));
  }
  const ids = new Set<string>();
  (toolCalls as unknown[]).forEach((call, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(call)) return fail(at, MessageMessages.jsonObject(call));
    checkFields(call, TOOL_CALL_FIELD_SET, at);
    checkName(call.id, `${at}.id`);
    checkName(call.name, `${at}.name`);
    if (typeof call.arguments !== 'string') {
      fail(`${at}.arguments`, MessageMessages.argumentsType(call.arguments));
    }
    if (call.providerData !== undefined) checkJsonObject(call.providerData, `${at}.providerData`);
    if (ids.has(call.id as string))
      fail(`${at}.id`, MessageMessages.duplicateToolCallId(call.id as string));
    ids.add(call.id as string);
  });
}

/**
 * Checks metadata (a plain JSON object of at most `maxBytes` UTF-8 bytes) and returns its JSON;
 * throws `InvalidMessageError` naming `path` otherwise.
 */
export function prepareMetadata(metadata: unknown, path: string, maxBytes: number): string {
  checkJsonObject(metadata, path);
  const json = JSON.stringify(metadata);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) fail(path, MessageMessages.metadataSize(bytes, maxBytes));
  return json;
}

/**
 * Checks a caller's message and encodes it. Throws a `ChatMemoryValidationError` (naming `path`)
 * for anything malformed or over a limit, or that `limits.wireFormat` cannot represent. `now` in
 * milliseconds.
 */
export function prepareMessage(
  input: unknown,
  path: string,
  limits: MessageLimits,
  now: number,
  pinned = false,
): PreparedMessage {
  if (!isPlainObject(input)) return fail(path, MessageMessages.notAnObject(input));
  checkFields(input, MESSAGE_FIELD_SET, path);
  const { role, content, toolCalls, toolCallId, name, metadata } = input;
  if (!isChatRole(role)) throw new InvalidRoleError(ArgumentMessages.role(role, `${path}.role`));

  if (limits.wireFormat === 'ractogateway') {
    for (const field of ['id', 'toolCalls', 'toolCallId', 'name', 'metadata', 'createdAt']) {
      if (input[field] !== undefined) fail(`${path}.${field}`, MessageMessages.ractogateway(field));
    }
    if (role === 'tool') fail(`${path}.role`, MessageMessages.ractogateway('a tool message'));
    if (typeof content !== 'string') {
      fail(`${path}.content`, MessageMessages.ractogateway('content parts'));
    }
    assertContent(content, limits.maxContentBytes, `${path}.content`);
    const message = { role, content: content as string };
    const entry = encodeLegacy(role, message.content);
    return { entry, id: undefined, role, tokens: 0, toolCallIds: undefined, message };
  }

  let contentJson: string;
  if (typeof content === 'string') {
    contentJson = JSON.stringify(content);
  } else if (Array.isArray(content)) {
    content.forEach((part, i) => checkPart(part, `${path}.content[${i}]`));
    contentJson = JSON.stringify(content);
  } else {
    throw new InvalidContentError(ArgumentMessages.messageContentType(`${path}.content`, content));
  }

  let toolCallsJson: string | undefined;
  if (toolCalls !== undefined) {
    if (role !== 'assistant') fail(`${path}.toolCalls`, MessageMessages.toolCallsRole(role));
    checkToolCalls(toolCalls, `${path}.toolCalls`);
    toolCallsJson = JSON.stringify(toolCalls);
  }
  // The body: the content string (or its parts' JSON) and the tool calls' JSON. A UTF-16 code
  // unit is at most 3 UTF-8 bytes, so the exact count is needed only for large bodies.
  const body = typeof content === 'string' ? content : contentJson;
  if ((body.length + (toolCallsJson?.length ?? 0)) * 3 > limits.maxContentBytes) {
    const bytes =
      Buffer.byteLength(body, 'utf8') +
      (toolCallsJson === undefined ? 0 : Buffer.byteLength(toolCallsJson, 'utf8'));
    if (bytes > limits.maxContentBytes) {
      throw new InvalidContentError(
        `${path}: ${MessageMessages.bodySize(bytes, limits.maxContentBytes)}`,
      );
    }
  }

  if (role === 'tool') {
    if (toolCallId === undefined) fail(`${path}.toolCallId`, MessageMessages.toolCallIdRequired());
    checkName(toolCallId, `${path}.toolCallId`);
  } else if (toolCallId !== undefined) {
    fail(`${path}.toolCallId`, MessageMessages.toolCallIdRole(role));
  }
  if (name !== undefined) checkName(name, `${path}.name`);

  let metadataJson: string | undefined;
  if (metadata !== undefined) {
    checkJsonObject(metadata, `${path}.metadata`);
    metadataJson = JSON.stringify(metadata);
    const bytes = Buffer.byteLength(metadataJson, 'utf8');
    if (bytes > limits.maxMetadataBytes) {
      fail(`${path}.metadata`, MessageMessages.metadataSize(bytes, limits.maxMetadataBytes));
    }
  }

  let id: string;
  let createdAt: number;
  if (input.id === undefined) {
    id = newMessageId(now);
    createdAt = lastIdTime();
  } else {
    if (typeof input.id !== 'string' || !MESSAGE_ID_PATTERN.test(input.id)) {
      fail(`${path}.id`, MessageMessages.messageId(input.id));
    }
    id = input.id as string;
    createdAt = now;
  }
  if (input.createdAt !== undefined) {
    const given = input.createdAt;
    if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < 0) {
      fail(`${path}.createdAt`, MessageMessages.createdAt(given));
    }
    createdAt = given as number;
  }

  let entry = timeOfId(id) === createdAt ? '' : `,"t":${createdAt}`;
  entry += `${ROLE_INFIX[role]}${contentJson}`;
  const message: ChatMessage = {
    id,
    role,
    content: typeof content === 'string' ? content : (JSON.parse(contentJson) as ChatContentPart[]),
  };
  if (toolCallsJson !== undefined) {
    entry += `,"tc":${toolCallsJson}`;
    message.toolCalls = JSON.parse(toolCallsJson);
  }
  if (toolCallId !== undefined) {
    entry += `,"ti":${JSON.stringify(toolCallId)}`;
    message.toolCallId = toolCallId as string;
  }
  if (name !== undefined) {
    entry += `,"n":${JSON.stringify(name)}`;
    message.name = name as string;
  }
  if (metadataJson !== undefined) {
    entry += `,"m":${metadataJson}`;
    message.metadata = JSON.parse(metadataJson);
  }
  message.createdAt = createdAt;
  const tokens = limits.countTokens(message);
  let toolCallIds: string[] | undefined;
  if (message.toolCalls) toolCallIds = message.toolCalls.map((call) => call.id);
  else if (message.toolCallId !== undefined) toolCallIds = [message.toolCallId];
  return {
    entry: `{"v":1,"i":"${id}","k":${tokens}${entry}${pinned ? ',"p":1' : ''}}`,
    id,
    role,
    tokens,
    toolCallIds,
    message,
  };
}

/**
 * Whether a stored part has what readers rely on (its type and the string fields of that type), so
 * that an entry written by something else cannot hand out a part that breaks `ChatContentPart`.
 */
function isStoredPart(part: unknown): boolean {
  if (part === null || typeof part !== 'object') return false;
  const { type, text, url, data, mediaType } = part as Record<string, unknown>;
  switch (type) {
    case 'text':
    case 'reasoning':
      return typeof text === 'string';
    case 'image':
      return typeof url === 'string' || typeof data === 'string';
    case 'file':
      return (typeof url === 'string' || typeof data === 'string') && typeof mediaType === 'string';
    default:
      return false;
  }
}

/** Whether a stored tool call has string `id`, `name` and `arguments`. */
function isStoredToolCall(call: unknown): boolean {
  if (call === null || typeof call !== 'object') return false;
  const { id, name, arguments: args } = call as Record<string, unknown>;
  return typeof id === 'string' && typeof name === 'string' && typeof args === 'string';
}

/** Returns a fresh message when `value` is a stored entry this version reads, otherwise `undefined`. */
export function toMessage(value: unknown): ChatMessage | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const version = entry.v;
  if (version === undefined) {
    // Python original, version 0.1, wireFormat 'ractogateway'.
    const { role, content } = entry;
    if (!isChatRole(role) || typeof content !== 'string') return undefined;
    return { role, content };
  }
  if (version !== ENTRY_VERSION) return undefined;
  const { i: id, r: role, c: content, tc, ti, n, m, t } = entry;
  if (typeof id !== 'string' || !isChatRole(role)) return undefined;
  if (typeof content !== 'string' && !(Array.isArray(content) && content.every(isStoredPart))) {
    return undefined;
  }
  const message: ChatMessage = { id, role, content: content as string | ChatContentPart[] };
  if (tc !== undefined) {
    if (!Array.isArray(tc) || !tc.every(isStoredToolCall)) return undefined;
    message.toolCalls = tc;
  }
  if (ti !== undefined) {
    if (typeof ti !== 'string') return undefined;
    message.toolCallId = ti;
  }
  if (n !== undefined) {
    if (typeof n !== 'string') return undefined;
    message.name = n;
  }
  if (m !== undefined) {
    if (!isPlainObject(m)) return undefined;
    message.metadata = m as ChatMessage['metadata'];
  }
  const createdAt = t === undefined ? timeOfId(id) : t;
  if (typeof createdAt !== 'number') return undefined;
  message.createdAt = createdAt;
  return message;
}

/** The result of decoding stored entries: the messages, and the indexes of entries that were skipped. */
export interface DecodedHistory {
  messages: ChatMessage[];
  skipped: number[];
}

/**
 * Decodes stored entries, oldest first, one `JSON.parse` per entry. Entries that are not JSON, or
 * JSON that is not a message this version reads (a newer entry version included), are reported
 * in `skipped` and left out. (Parsing the joined entries at once was tried: barely faster without
 * checks, and once it had to check that no value straddled two entries, 2.5x slower than this;
 * see bench/README.md.)
 */
export function decodeMessages(entries: readonly string[]): DecodedHistory {
  const messages: ChatMessage[] = [];
  const skipped: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    let message: ChatMessage | undefined;
    try {
      message = toMessage(JSON.parse(entries[i]));
    } catch {
      message = undefined;
    }
    if (message) messages.push(message);
    else skipped.push(i);
  }
  return { messages, skipped };
}

/**
 * The text of a message: its content string, or its `text` parts joined (reasoning, images and
 * files left out).
 */
export function messageText(message: Pick<ChatMessage, 'content'>): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
