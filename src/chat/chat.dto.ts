import type { ModelMessage, UIMessage } from 'ai';
import {
  ArrayNotEmpty,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import type { ChatMessageInput } from 'nestjs-chat-memory';

/** Body of `POST /chat/:conversationId`, and query of `GET /chat/:conversationId/stream`. */
export class ChatRequestDto {
  /** What the user says. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  message: string;
}

/** Response of `POST /chat/:conversationId`. */
export interface ChatReplyDto {
  /** The answer's text. */
  reply: string;
  /**
   * Only when the model used a tool: the messages the turn added after the user's, in order (the
   * assistant's tool calls, the tool results, the answer). `GET /chat/:conversationId/history`
   * shows them as stored, with their ids.
   */
  steps?: ChatMessageInput[];
}

/**
 * Body of `POST /chat/:conversationId/ai-sdk`: what `useChat()` of the AI SDK sends with its
 * default transport, `{ id, messages, trigger, messageId }` (`id`, `trigger` and `messageId` are
 * accepted and not used: the conversation is the route's). The last of `messages` is the user's
 * new message; the earlier ones are not read, the server's memory is the history (so a client
 * may send only the last one, with `prepareSendMessagesRequest`).
 */
export class AiSdkChatRequestDto {
  /** The chat's `UIMessage`s; the last one, with role `user`, is the new message. */
  @IsArray()
  @ArrayNotEmpty()
  @IsObject({ each: true })
  messages: UIMessage[];

  /** The chat id of `useChat()` (not used). */
  @IsOptional()
  @IsString()
  id?: string;

  /** `submit-message` or `regenerate-message` (not used). */
  @IsOptional()
  @IsString()
  trigger?: string;

  /** The message to regenerate (not used). */
  @IsOptional()
  @IsString()
  messageId?: string;
}

/** Response of `POST /chat/:conversationId/ai-sdk`. */
export interface AiSdkChatReplyDto {
  /**
   * The messages the turn added after the user's, as the AI SDK's `ModelMessage`s (what
   * `generateText()` returns in `response.messages`): the assistant's tool calls, the tool
   * results and the answer, or only the answer.
   */
  messages: ModelMessage[];
}

/** Response of `GET /chat/:conversationId/window`: the conversation's memory window now. */
export interface ChatWindowDto {
  /** Messages kept, a pinned summary included. */
  messages: number;
  /** Turns kept (user messages), and the most the window keeps (`CHAT_MAX_TURNS`). */
  turns: number;
  maxTurns: number;
  /** Estimated tokens of the messages kept, and the configured cap (`null`: none). */
  tokens: number;
  maxTokens: number | null;
  /** Seconds until the conversation expires (`null`: it does not, or it does not exist). */
  ttlSeconds: number | null;
  /** The TTL each write sets again (`CHAT_TTL_SECONDS`; `null`: none). */
  configuredTtlSeconds: number | null;
}
