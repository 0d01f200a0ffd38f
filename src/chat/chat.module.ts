import { Module } from '@nestjs/common';
import { CHAT_MODEL, LocalRecallModel } from './chat-model.js';
import { ChatController } from './chat.controller.js';

@Module({
  controllers: [ChatController],
  providers: [{ provide: CHAT_MODEL, useClass: LocalRecallModel }],
})
export class ChatModule {}
