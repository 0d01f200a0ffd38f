import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ChatMemoryService, estimateTokens, type ChatConversationPage } from 'nestjs-chat-memory';
import type { ChatWindowDto } from './chat.dto.js';

/** Conversations listed per call. */
const LIST_SIZE = 30;

/**
 * What the chat page shows beside a conversation: the signed-in user's conversations, and the
 * memory window of one of them. Both through the library's public API, for the caller only
 * (`forRequest` / the owner resolver: a request without a signed-in user answers 401).
 */
@Controller('chat')
export class ConversationsController {
  constructor(private readonly memory: ChatMemoryService) {}

  /**
   * `GET /chat`: the caller's conversations, most recently active first (`{ conversations:
   * [{ id, title, messageCount, createdAt, updatedAt, metadata }], nextCursor }`); `?cursor=` for
   * the next page.
   */
  @Get()
  list(@Req() request: unknown, @Query('cursor') cursor?: string): Promise<ChatConversationPage> {
    const owner = this.memory.forRequest(request).owner!;
    return this.memory.listConversations(owner, { limit: LIST_SIZE, cursor });
  }

  /**
   * `GET /chat/:conversationId/window`: what the memory keeps of the conversation now, against the
   * configured window, so the page can show old turns sliding out.
   */
  @Get(':conversationId/window')
  async window(
    @Req() request: unknown,
    @Param('conversationId') conversationId: string,
  ): Promise<ChatWindowDto> {
    const mine = this.memory.forRequest(request);
    const [history, ttlSeconds] = await Promise.all([
      mine.getHistory(conversationId),
      mine.getTtl(conversationId),
    ]);
    return {
      messages: history.length,
      turns: history.filter((message) => message.role === 'user').length,
      maxTurns: mine.maxTurns,
      // The app counts tokens with the library's default counter, `estimateTokens`.
      tokens: history.reduce((sum, message) => sum + estimateTokens(message), 0),
      maxTokens: mine.maxTokens,
      ttlSeconds,
      configuredTtlSeconds: mine.ttlSeconds,
    };
  }
}
