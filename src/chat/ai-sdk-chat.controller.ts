import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import type { UIMessage } from 'ai';
import {
  ChatMemoryService,
  ConversationHistory,
  RecordChatTurn,
  type ChatMessage,
  type ChatMessageInput,
} from 'nestjs-chat-memory';
import {
  fromModelMessages,
  fromUIMessages,
  toModelMessages,
  toUIMessages,
} from 'nestjs-chat-memory/ai-sdk';
import { LocalAiSdkModel } from './ai-sdk-model.js';
import { AiSdkChatRequestDto, type AiSdkChatReplyDto } from './chat.dto.js';

/**
 * The chat routes for clients of the Vercel AI SDK: the same conversations as `/chat/:id`, in
 * the AI SDK's message types, converted by the library's adapter (`nestjs-chat-memory/ai-sdk`).
 */
@Controller('chat')
export class AiSdkChatController {
  constructor(
    private readonly model: LocalAiSdkModel,
    private readonly memory: ChatMemoryService,
  ) {}

  /**
   * `POST /chat/:conversationId/ai-sdk` with `{ messages: UIMessage[] }` (what `useChat()` sends;
   * the last one is the user's new message), answered with `{ messages: ModelMessage[] }`, the
   * messages the turn added. The model's input is the stored history as `ModelMessage`s
   * (`toModelMessages`) and the new message. `@RecordChatTurn()` stores the user's message
   * (`fromUIMessages`) and the new messages (`fromModelMessages`: tool calls, tool results, the
   * answer) in one atomic write. With the AI SDK's own `generateText` result, `fromAiSdkResult`
   * gives the messages to store.
   */
  @Post(':conversationId/ai-sdk')
  @HttpCode(200)
  @RecordChatTurn({
    message: (request) => newUserMessage(request.body),
    answer: (result) => fromModelMessages((result as AiSdkChatReplyDto).messages),
  })
  async chat(
    @Body() body: AiSdkChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<AiSdkChatReplyDto> {
    const user = newUserMessage(body);
    const result = await this.model.generateText({
      messages: toModelMessages([...history, user]),
    });
    return { messages: result.response.messages };
  }

  /**
   * `GET /chat/:conversationId/ai-sdk`: the remembered conversation as `UIMessage`s, e.g. the
   * initial `messages` of `useChat()` when a page loads.
   */
  @Get(':conversationId/ai-sdk')
  async history(
    @Req() request: unknown,
    @Param('conversationId') conversationId: string,
  ): Promise<UIMessage[]> {
    return toUIMessages(await this.memory.forRequest(request).getHistory(conversationId));
  }
}

/**
 * The user's new message: the last of the body's `UIMessage`s, as a message to store. A 400 when
 * it is not a user message the adapter can convert.
 */
function newUserMessage(body: unknown): ChatMessageInput {
  const messages = (body as { messages?: unknown } | null)?.messages;
  const last: unknown = Array.isArray(messages) ? messages[messages.length - 1] : undefined;
  if ((last as { role?: unknown } | undefined)?.role !== 'user') {
    throw new BadRequestException('The last of messages must be the user message to answer');
  }
  let converted: ChatMessageInput[];
  try {
    converted = fromUIMessages([last as UIMessage]);
  } catch (error) {
    throw new BadRequestException(
      `The last message is not a UIMessage: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (converted.length !== 1 || converted[0].role !== 'user') {
    throw new BadRequestException('The last of messages must be the user message to answer');
  }
  return converted[0];
}
