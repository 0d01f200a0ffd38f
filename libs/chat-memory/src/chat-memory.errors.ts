import { DecoratorMessages, StoreMessages } from './chat-memory.messages.js';

/** Base class of every error thrown by nestjs-chat-memory. */
export class ChatMemoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input (conversation id, role or content); nothing was written. */
export class ChatMemoryValidationError extends ChatMemoryError {
  constructor(
    /** The argument that was rejected. */
    readonly field: 'conversationId' | 'role' | 'content' | 'message' | 'query' | 'owner',
    message: string,
  ) {
    super(message);
  }
}

/** A `getHistory` option (`maxTokens`, `limit`, `before`) is malformed or names no message in the window. */
export class InvalidHistoryQueryError extends ChatMemoryValidationError {
  constructor(message: string) {
    super('query', message);
  }
}

/** An owner id is not a string of 1-128 characters from `[A-Za-z0-9_.:@=-]`, or owners are not available. */
export class InvalidOwnerError extends ChatMemoryValidationError {
  constructor(message: string) {
    super('owner', message);
  }
}

/** The conversation id is not a non-empty string of at most 128 characters from `[A-Za-z0-9_.:@=-]`. */
export class InvalidConversationIdError extends ChatMemoryValidationError {
  constructor(message: string) {
    super('conversationId', message);
  }
}

/** The role is not one of `system`, `user`, `assistant`, `tool`. */
export class InvalidRoleError extends ChatMemoryValidationError {
  constructor(message: string) {
    super('role', message);
  }
}

/** The content is not a string, or is larger than `maxContentBytes`. */
export class InvalidContentError extends ChatMemoryValidationError {
  constructor(message: string) {
    super('content', message);
  }
}

/**
 * A message is malformed (an unknown field, a tool call on a non-assistant message, a missing
 * `toolCallId`, a bad part, id or metadata), or cannot be written in the configured `wireFormat`.
 */
export class InvalidMessageError extends ChatMemoryValidationError {
  constructor(
    /** Where in the input, e.g. `messages[1].toolCalls[0].arguments`. */
    readonly path: string,
    message: string,
  ) {
    super('message', `${path}: ${message}`);
  }
}

/** A module option is invalid; thrown while the application boots. */
export class ChatMemoryConfigError extends ChatMemoryError {
  constructor(
    /** The option at fault, e.g. `config.maxTurns`. */
    readonly option: string,
    message: string,
  ) {
    super(`Invalid ChatMemoryModule option "${option}": ${message}`);
  }
}

/**
 * `@RecordChatTurn()` or `@ConversationHistory()` is used where it cannot work (no
 * `ChatMemoryModule` visible to the handler's module, or `@ConversationHistory()` without
 * `@RecordChatTurn()`); thrown while the application boots.
 */
export class ChatMemoryDecoratorError extends ChatMemoryError {
  constructor(
    /** Each misuse, naming its handler (`Controller.method()`). */
    readonly problems: readonly string[],
  ) {
    super(DecoratorMessages.setup(problems));
  }
}

/** With `connection.failFast`, Redis was not ready in time at startup; the application does not start. */
export class ChatMemoryConnectionError extends ChatMemoryError {}

/** The store (Redis) failed or could not be reached in time; `cause` holds the underlying error. */
export class ChatMemoryStoreError extends ChatMemoryError {
  constructor(
    /** The service method that failed, e.g. `append`. */
    readonly operation: string,
    /** The conversation concerned. */
    readonly conversationId: string,
    cause: unknown,
  ) {
    super(StoreMessages.failed(operation, conversationId, cause), { cause });
  }
}
