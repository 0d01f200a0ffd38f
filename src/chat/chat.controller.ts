import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ChatMemoryService, type ChatMessage } from 'nestjs-chat-memory';
import { CHAT_MODEL, type ChatModel } from './chat-model.js';
import { ChatRequestDto, type ChatReplyDto } from './chat.dto.js';

@Controller('chat')
export class ChatController {
  constructor(
    private readonly memory: ChatMemoryService,
    @Inject(CHAT_MODEL) private readonly model: ChatModel,
  ) {}

  /** Answers the message using the conversation's history, then remembers the turn. */
  @Post(':conversationId')
  @HttpCode(200)
  async chat(
    @Param('conversationId') conversationId: string,
    @Body() body: ChatRequestDto,
  ): Promise<ChatReplyDto> {
    const history = await this.memory.getHistory(conversationId);
    const reply = await this.model.reply(history, body.message);
    await this.memory.appendTurn(conversationId, body.message, reply);
    return { reply };
  }

  /** The remembered messages, oldest first. */
  @Get(':conversationId/history')
  history(@Param('conversationId') conversationId: string): Promise<ChatMessage[]> {
    return this.memory.getHistory(conversationId);
  }
}
