import {
  Body,
  Controller,
  Get,
  HttpCode,
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
  messageText,
  type ChatMessage,
} from 'nestjs-chat-memory';
import { concatMap, delay, from, of, type Observable } from 'rxjs';
import { ChatAgent } from './chat-agent.js';
import { ChatRequestDto, type ChatReplyDto } from './chat.dto.js';

/** Pause between two streamed words, to make the streaming visible. */
const WORD_DELAY_MS = 30;

/** What `POST /chat/:conversationId` answered, as the turn to store: all its steps, or the reply. */
const answerOf = (result: unknown) =>
  (result as ChatReplyDto).steps ?? (result as ChatReplyDto).reply;

@Controller('chat')
export class ChatController {
  constructor(
    private readonly agent: ChatAgent,
    private readonly memory: ChatMemoryService,
  ) {}

  /**
   * Answers the message using the conversation's history, running the model's tool calls (the
   * calculator) on the way. `@RecordChatTurn()` stores the turn once the answer is ready: the
   * user's message and every step (assistant tool calls, tool results, the answer), in one atomic
   * write; the handler has no memory code.
   */
  @Post(':conversationId')
  @HttpCode(200)
  @RecordChatTurn({ answer: answerOf })
  async chat(
    @Body() body: ChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<ChatReplyDto> {
    const steps = await this.agent.run(history, { role: 'user', content: body.message });
    const reply = messageText(steps[steps.length - 1]);
    return steps.length > 1 ? { reply, steps } : { reply };
  }

  /**
   * The answer as Server-Sent Events, word by word (`GET /chat/:conversationId/stream?message=...`).
   * Text only: the turn is recorded as the message and the streamed text once the stream ends
   * (tool steps are not stored); if the client leaves early, what it was sent is recorded, marked
   * `[interrupted]` and with `metadata: { interrupted: true }`.
   */
  @Sse(':conversationId/stream')
  @RecordChatTurn({ message: (request) => request.query?.message })
  async stream(
    @Query() query: ChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<Observable<MessageEvent>> {
    const steps = await this.agent.run(history, { role: 'user', content: query.message });
    const words = messageText(steps[steps.length - 1]).split(/(?<= )/);
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
