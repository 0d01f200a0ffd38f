import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import {
  ChatMemoryService,
  ConversationHistory,
  RecordChatTurn,
  messageText,
  type ChatMessage,
  type ChatMessageInput,
} from 'nestjs-chat-memory';
import { concatMap, delay, from, of, type Observable } from 'rxjs';
import { ChatAgent } from './chat-agent.js';
import { ChatRequestDto, type ChatReplyDto } from './chat.dto.js';

/** Pause between two streamed events (steps, words), to make the streaming visible. */
const WORD_DELAY_MS = 30;

/** What `POST /chat/:conversationId` answered, as the turn to store: all its steps, or the reply. */
const answerOf = (result: unknown) =>
  (result as ChatReplyDto).steps ?? (result as ChatReplyDto).reply;

/**
 * What one event of `GET /chat/:conversationId/stream` adds to the stored turn: a `step` event
 * carries an agent step whole (an assistant message with tool calls, or a tool result), stored as
 * a message in order; any other event carries a word of the answer, whose text is accumulated.
 */
function streamedPart(event: unknown): string | ChatMessageInput | undefined {
  const { type, data } = event as MessageEvent;
  if (type === 'step') return data as ChatMessageInput;
  return typeof data === 'string' ? data : undefined;
}

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
   * The turn as Server-Sent Events (`GET /chat/:conversationId/stream?message=...`): first each
   * tool step of the agent as a `step` event (`event: step`, the `ChatMessageInput` as JSON: the
   * assistant's tool calls, then each tool result), then the answer word by word as plain
   * `message` events. `@RecordChatTurn()` stores the turn when the stream ends, like the POST
   * route: the user's message, the steps and the answer, in order. If the client leaves early,
   * what it was sent is stored: the steps, then the text so far marked `[interrupted]`, with
   * `metadata: { interrupted: true }` (a tool call whose result it was not sent is left out).
   */
  @Sse(':conversationId/stream')
  @RecordChatTurn({ message: (request) => request.query?.message, chunk: streamedPart })
  async stream(
    @Query() query: ChatRequestDto,
    @ConversationHistory() history: ChatMessage[],
  ): Promise<Observable<MessageEvent>> {
    const steps = await this.agent.run(history, { role: 'user', content: query.message });
    const answer = steps[steps.length - 1];
    const events: MessageEvent[] = [
      ...steps.slice(0, -1).map((step) => ({ type: 'step', data: step })),
      ...messageText(answer)
        .split(/(?<= )/)
        .map((word) => ({ data: word })),
    ];
    return from(events).pipe(
      concatMap((event, i) => of(event).pipe(delay(i === 0 ? 0 : WORD_DELAY_MS))),
    );
  }

  /** The remembered messages of the caller's conversation, oldest first. */
  @Get(':conversationId/history')
  history(
    @Req() request: unknown,
    @Param('conversationId') conversationId: string,
  ): Promise<ChatMessage[]> {
    // forRequest: the signed-in user's conversation (401 when nobody is signed in).
    return this.memory.forRequest(request).getHistory(conversationId);
  }
}
