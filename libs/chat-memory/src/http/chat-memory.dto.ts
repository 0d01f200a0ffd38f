import {
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateIf,
} from 'class-validator';
import { CHAT_ROLES, MESSAGE_ID_PATTERN } from '../chat-memory.constants.js';
import type {
  ChatContentPart,
  ChatMessageInput,
  ChatRole,
  ChatToolCall,
  JsonObject,
} from '../chat-message.interfaces.js';

/**
 * Body of `POST /:conversationId/messages`: one message to append (a `ChatMessageInput`). The
 * fields are checked here for their kind; the service then checks the message in full (parts,
 * tool calls, sizes) and answers 400 for anything it refuses.
 */
export class AppendChatMessageDto implements ChatMessageInput {
  /** A message id of your own; assigned by the library when left out. */
  @IsOptional()
  @IsString()
  id?: string;

  /** `system`, `user`, `assistant` or `tool`. */
  @IsIn(CHAT_ROLES)
  role: ChatRole;

  /** The text, or an array of parts; at most `maxContentBytes` UTF-8 bytes. */
  @IsDefined()
  content: string | ChatContentPart[];

  /** Tool calls of an assistant message. */
  @IsOptional()
  @IsArray()
  toolCalls?: ChatToolCall[];

  /** The id of the tool call a tool message answers. */
  @IsOptional()
  @IsString()
  toolCallId?: string;

  @IsOptional()
  @IsString()
  name?: string;

  @IsOptional()
  @IsObject()
  metadata?: JsonObject;

  @IsOptional()
  @IsInt()
  createdAt?: number;
}

/**
 * Query of `GET /:conversationId/messages`: with `limit` and/or `before`, a page of the history
 * (and a `Link: <...>; rel="next"` header to the page before it, when there is one).
 */
export class ChatHistoryQueryDto {
  /** At most this many messages, 1-1000. */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,3}$/, { message: 'limit must be an integer from 1 to 1000' })
  limit?: string;

  /** The id of a message: only messages before it. */
  @IsOptional()
  @Matches(MESSAGE_ID_PATTERN, { message: 'before must be a message id' })
  before?: string;
}

/** Query of `GET /` (the caller's conversations). */
export class ChatListQueryDto {
  /** At most this many conversations, 1-100 (default 20). */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,2}$/, { message: 'limit must be an integer from 1 to 100' })
  limit?: string;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** Body of `PATCH /:conversationId`: a title and/or metadata (`null` removes it). */
export class UpdateChatConversationDto {
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  title?: string | null;

  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsObject()
  metadata?: JsonObject | null;
}
