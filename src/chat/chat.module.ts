import { Module } from '@nestjs/common';
import { AiSdkChatController } from './ai-sdk-chat.controller.js';
import { LocalAiSdkModel } from './ai-sdk-model.js';
import { CHAT_TOOLS, ChatAgent, exampleTools } from './chat-agent.js';
import { CHAT_MODEL, LocalRecallModel } from './chat-model.js';
import { ChatController } from './chat.controller.js';
import { ConversationsController } from './conversations.controller.js';

@Module({
  controllers: [ChatController, ConversationsController, AiSdkChatController],
  providers: [
    { provide: CHAT_MODEL, useClass: LocalRecallModel },
    { provide: CHAT_TOOLS, useValue: exampleTools },
    ChatAgent,
    LocalAiSdkModel,
  ],
})
export class ChatModule {}
