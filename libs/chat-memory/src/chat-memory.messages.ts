import {
  CHAT_ROLES,
  MAX_CONVERSATION_ID_LENGTH,
  MAX_MESSAGE_ID_LENGTH,
} from './chat-memory.constants.js';

/**
 * @internal Every text the library throws or logs, in one place. Values from the caller are shown
 * shortened (`describeValue`), never whole.
 */

/** A short, safe rendering of a value for an error message. */
function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message || error.name : String(error);

/** Boot-time option errors: the text after `Invalid ChatMemoryModule option "<option>": `. */
export const OptionMessages = {
  expected: (expected: string, got: unknown) => `expected ${expected}, got ${describeValue(got)}`,
  unknown: (known: readonly string[]) =>
    `is not an option of ChatMemoryModule (known here: ${known.join(', ')})`,
  extraInFactory: (option: string) =>
    `belongs beside useFactory / useClass / useExisting in forRootAsync({ ${option}, ... }), not in the options it returns`,
  badUrl: (url: string) => `is not a URL (${describeValue(url.replace(/\/\/[^@/]*@/, '//***@'))})`,
  badUrlScheme: (protocol: string) =>
    `must use the redis: or rediss: scheme, got ${describeValue(protocol)}`,
  notCombinable: (others: readonly string[]) =>
    `cannot be combined with ${others.map((o) => `"${o}"`).join(', ')}; give one way to reach Redis`,
  ownerWithRactogateway: () =>
    `cannot be used with wireFormat 'ractogateway': the Python original knows no owners; use the default wireFormat 'native'`,
  notWithRactogateway: () =>
    `cannot be used with wireFormat 'ractogateway': the Python original's entries carry no token counts; use the default wireFormat 'native'`,
  notAStore: (missing: readonly string[]) =>
    `not a ChatMemoryStore (missing ${missing.join(', ')})`,
  redisOptionsUnused: (kind: 'cluster' | 'client' | 'store') =>
    `is not used with "${kind}"` +
    (kind === 'cluster'
      ? ': pass node options as cluster.options.redisOptions'
      : kind === 'client'
        ? ': the client you pass keeps its own options'
        : ''),
  failFastWithStore: () => 'does not apply with "store"',
} as const;

/** Per-call argument errors (`ChatMemoryValidationError` and subclasses). */
export const ArgumentMessages = {
  conversationIdType: (got: unknown) =>
    `conversationId must be a string, got ${describeValue(got)}`,
  conversationIdLength: (length: number) =>
    `conversationId must be 1-${MAX_CONVERSATION_ID_LENGTH} characters long, got ${length}`,
  conversationIdCharacters: (got: string) =>
    `conversationId may only contain letters, digits and _ . : @ = -, got ${describeValue(got)}`,
  role: (got: unknown, label = 'role') =>
    `${label} must be one of ${CHAT_ROLES.join(', ')}, got ${describeValue(got)}`,
  contentType: (label: string, got: unknown) =>
    `${label} must be a string, got ${describeValue(got)}`,
  messageContentType: (label: string, got: unknown) =>
    `${label} must be a string or an array of parts, got ${describeValue(got)}`,
  contentSize: (label: string, bytes: number, max: number) =>
    `${label} is ${bytes} bytes, more than the limit of ${max} bytes (config.maxContentBytes)`,
} as const;

/** Errors of `InvalidMessageError`: the text after `<path>: `. */
export const MessageMessages = {
  notAnObject: (got: unknown) => `must be a message object, got ${describeValue(got)}`,
  unknownField: (field: string, known: readonly string[]) =>
    `unknown field ${JSON.stringify(field)} (known: ${known.join(', ')})`,
  noMessages: () => 'needs at least one message',
  tooManyMessages: (count: number, max: number) =>
    `has ${count} messages, more than ${max} in one call`,
  string: (got: unknown) => `must be a string, got ${describeValue(got)}`,
  nonEmptyString: (max: number, got: unknown) =>
    `must be a string of 1-${max} characters, got ${describeValue(got)}`,
  messageId: (got: unknown) =>
    `must be 1-${MAX_MESSAGE_ID_LENGTH} characters from [A-Za-z0-9_.:-], starting with a letter or digit, got ${describeValue(got)}`,
  duplicateId: (id: string) =>
    `repeats the id ${JSON.stringify(id)} of an earlier message of the same call`,
  createdAt: (got: unknown) =>
    `must be a non-negative integer (milliseconds since the epoch), got ${describeValue(got)}`,
  partType: (got: unknown) =>
    `must be a part of type text, image, file or reasoning, got ${describeValue(got)}`,
  urlOrData: (type: string) => `a ${type} part needs exactly one of url and data`,
  mediaTypeRequired: (type: string) =>
    type === 'file' ? 'a file part needs a mediaType' : 'an image given as data needs a mediaType',
  toolCallsRole: (role: string) =>
    `tool calls belong on assistant messages, not on ${role} messages`,
  toolCallsArray: (got: unknown) =>
    `must be a non-empty array of tool calls, got ${describeValue(got)}`,
  duplicateToolCallId: (id: string) => `repeats the tool call id ${JSON.stringify(id)}`,
  argumentsType: (got: unknown) =>
    `must be a string (the JSON text of the arguments, as the model produced it), got ${describeValue(got)}`,
  toolCallIdRequired: () => 'a tool message needs toolCallId, the id of the tool call it answers',
  toolCallIdRole: (role: string) => `toolCallId belongs on tool messages, not on ${role} messages`,
  jsonObject: (got: unknown) => `must be a JSON object, got ${describeValue(got)}`,
  notJson: (what: string) => `is not JSON: ${what}`,
  tooDeep: (max: number) => `nests deeper than ${max} levels`,
  bodySize: (bytes: number, max: number) =>
    `content and tool calls are ${bytes} bytes, more than the limit of ${max} bytes (config.maxContentBytes)`,
  metadataSize: (bytes: number, max: number) =>
    `is ${bytes} bytes of JSON, more than the limit of ${max} bytes (config.maxMetadataBytes)`,
  turnRole: (expected: string, got: unknown) =>
    `must have role ${expected}, got ${describeValue(got)}`,
  orphanToolResult: () =>
    'answers no open tool call: a tool message must follow the assistant message that made the call, and each call is answered once',
  openToolCalls: () =>
    'cannot be stored while the newest assistant message still has tool calls without results; append a tool message (an error result is fine) for each call first',
  pinRactogateway: () =>
    `a pinned system prompt cannot be stored with wireFormat 'ractogateway' (the Python original would trim it like any message); use config.systemPrompt, which is not stored`,
  pinnedRole: (got: unknown) => `must have role system, got ${describeValue(got)}`,
  readOptions: (detail: string) => detail,
  ractogateway: (field: string) =>
    `${field} cannot be stored with wireFormat 'ractogateway', which writes only {"role","content"} (plain text) for the Python original; use the default wireFormat 'native'`,
} as const;

/** Errors about owners. */
export const OwnerMessages = {
  owner: (got: unknown) =>
    `owner: expected 1-128 characters from [A-Za-z0-9_.:@=-], got ${describeValue(got)}`,
  ractogateway: () =>
    `owner: conversations with an owner need the default wireFormat 'native' (the Python original knows no owners)`,
  storeWithoutOwners: () =>
    'this ChatMemoryStore has no owner methods (listOwned, updateOwned, eraseOwned)',
  title: (max: number) => `must be null or a string of 1-${max} characters`,
  noOwner: () =>
    "owner: the module's owner resolver gave no owner for this request (is the authentication guard in front of the route?)",
} as const;

/** Errors about where the decorators are used, found when the application boots. */
export const DecoratorMessages = {
  noMemory: (handler: string, memory: string | undefined, module: string) =>
    `@RecordChatTurn(${memory === undefined ? '' : `{ memory: ${JSON.stringify(memory)} }`}) on ${handler}: ` +
    `no ChatMemoryModule${memory === undefined ? '' : ` named ${JSON.stringify(memory)}`} is visible in ${module}; ` +
    `import ChatMemoryModule.forRoot(${memory === undefined ? '' : `{ name: ${JSON.stringify(memory)}, ... }`}) there, or register it with isGlobal: true`,
  historyWithoutRecording: (handler: string) =>
    `@ConversationHistory() on ${handler} needs @RecordChatTurn() on the handler or its controller`,
  setup: (problems: readonly string[]) =>
    `nestjs-chat-memory decorators cannot work as used:\n- ${problems.join('\n- ')}`,
} as const;

/** Everything the recording interceptor logs. */
export const RecordingMessages = {
  noUserMessage: (source: string) => `no user message in ${source}`,
  noAnswer: () =>
    'no answer in the handler result (a string, a string reply or content field, or the message(s) the answer option returns)',
  notRecorded: (conversationId: string | undefined, error: unknown) =>
    `Could not record the chat turn of conversation ${JSON.stringify(conversationId ?? null)}: ${reasonOf(error)}`,
  hookFailed: (error: unknown) => `onRecordError failed: ${reasonOf(error)}`,
  respondsItself: (handler: string) =>
    `@RecordChatTurn() on ${handler}: the handler uses @Res() and sent the response itself; its turns are not recorded`,
  fileBody: (handler: string) =>
    `@RecordChatTurn() on ${handler} returns a file or stream body: its turns are not recorded`,
} as const;

/** Connection log lines and errors. */
export const ConnectionMessages = {
  connected: (target: string) => `Connected to ${target}`,
  restored: (target: string) => `Connection to ${target} restored`,
  givenClient: (status: string) => `Using the given Redis client (status: ${status})`,
  lost: (error: unknown) =>
    `Redis connection error: ${reasonOf(error)} (retrying in the background)`,
  unreachableAtStartup: (target: string, error: unknown) =>
    `${target} is not reachable at startup (${reasonOf(error)}): starting anyway; calls fail ` +
    'with ChatMemoryStoreError until it is. Set connection.failFast to refuse to start instead.',
  notReady: (target: string, timeoutMs: number, error: unknown) =>
    `${target} was not ready within ${timeoutMs} ms (${reasonOf(error)}); ` +
    'not starting because connection.failFast is set',
  closeFailed: (error: unknown) => `Closing the Redis connection failed: ${reasonOf(error)}`,
} as const;

/** What the health indicator reports when Redis is down. */
export const HealthMessages = {
  notReady: (status: string) => `Redis connection is ${status}`,
  noClusterMaster: () => 'No Redis Cluster master known',
  pingTimeout: (ms: number) => `Redis did not answer PING within ${ms} ms`,
} as const;

/** Everything else. */
export const StoreMessages = {
  failed: (operation: string, conversationId: string, cause: unknown) =>
    `Chat memory ${operation} failed for conversation "${conversationId}": ${reasonOf(cause)}`,
  titleFailed: (conversationId: string, error: unknown) =>
    `config.generateTitle failed for conversation "${conversationId}" (the write itself succeeded): ${reasonOf(error)}`,
  evictHookFailed: (conversationId: string, error: unknown) =>
    `config.onEvict failed for conversation "${conversationId}" (the write itself succeeded): ${reasonOf(error)}`,
  skippedEntries: (key: string, skipped: readonly number[]) =>
    `Skipped ${skipped.length} stored entr${skipped.length === 1 ? 'y' : 'ies'} of "${key}" ` +
    `that ${skipped.length === 1 ? 'is' : 'are'} not a message this version can read (index ${skipped.join(', ')})`,
  unguardedController: (path: string) =>
    `The chat memory controller at /${path} has no guards and no canAccess: anyone who ` +
    'can reach it can read, write and delete every conversation',
} as const;
