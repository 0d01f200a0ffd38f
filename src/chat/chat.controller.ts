import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import {
  ChatMemoryService,
  ConversationHistory,
  RecordChatTurn,
  type ChatMessage,
} from 'nestjs-chat-memory';
import { concatMap, delay, from, of, type Observable } from 'rxjs';
import { CHAT_MODEL, type ChatModel } from './chat-model.js';
import { ChatRequestDto, type ChatReplyDto } from './chat.dto.js';

/** Pause between two streamed words, to make the streaming visible. */
const WORD_DELAY_MS = 30;

@Controller('chat')
export class ChatController {
  constructor(
    @Inject(CHAT_MODEL) private readonly model: ChatModel,
    private readonly memory: ChatMemoryService,
  ) {}

  /**
   * Answers the message using the conversation's history. `@RecordChatTurn()` stores the turn
   * (the message and `reply`) once the answer is ready; the handler has no memory code.
   */
  @Post(':conversationId')
  @HttpCode(200)
  @RecordChatTurn()
  async chat(
    @Body() body: ChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<ChatReplyDto> {
    return { reply: await this.model.reply(history, body.message) };
  }

  /**
   * The same answer as Server-Sent Events, word by word
   * (`GET /chat/:conversationId/stream?message=...`). The turn is recorded once the stream ends;
   * if the client leaves early, what it was sent is recorded, marked `[interrupted]`.
   */
  @Sse(':conversationId/stream')
  @RecordChatTurn({ message: (request) => request.query?.message })
  async stream(
    @Query() query: ChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<Observable<MessageEvent>> {
    const reply = await this.model.reply(history, query.message);
    const words = reply.split(/(?<= )/);
    return from(words).pipe(
      concatMap((word, i) => of({ data: word }).pipe(delay(i === 0 ? 0 : WORD_DELAY_MS))),
    );
  }

  /** The remembered messages of the conversation, oldest first. */
  @Get(':conversationId/history')
  history(@Param('conversationId') conversationId: string): Promise<ChatMessage[]> {
    return this.memory.getHistory(conversationId);
  }
}
