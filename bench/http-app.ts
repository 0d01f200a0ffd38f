/**
 * The HTTP app of the HTTP benchmark, run in a child process so that it does not share its event
 * loop with the load generator: `node http-app.js <express|fastify> <redisUrl>` prints
 * `LISTENING <port>` once it serves.
 *
 * Three routes run the example app's chat handler (the same LocalRecallModel):
 * - `/recorded/:conversationId`: `@RecordChatTurn()` + `@ConversationHistory()`, no memory code;
 * - `/manual/:conversationId`: the same work written by hand (getHistory, then appendTurn);
 * - `/plain/:conversationId`: the handler without any memory (empty history, nothing stored).
 */
import {
  Body,
  Controller,
  HttpCode,
  Module,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ChatMemoryModule,
  ChatMemoryService,
  ConversationHistory,
  messageText,
  RecordChatTurn,
  type ChatMessage,
} from 'nestjs-chat-memory';
import { ChatAgent, exampleTools } from '../src/chat/chat-agent.js';
import { LocalRecallModel } from '../src/chat/chat-model.js';

const agent = new ChatAgent(new LocalRecallModel(), exampleTools);

/** The example app's answer (the bench's messages call no tool: one step, the reply). */
const model = {
  async reply(history: ChatMessage[], message: string): Promise<string> {
    const steps = await agent.run(history, { role: 'user', content: message });
    return messageText(steps[steps.length - 1]);
  },
};

interface ChatBody {
  message: string;
}

@Controller('recorded')
class RecordedController {
  @Post(':conversationId')
  @HttpCode(200)
  @RecordChatTurn()
  async chat(@Body() body: ChatBody, @ConversationHistory() history: ChatMessage[]) {
    return { reply: await model.reply(history, body.message) };
  }
}

@Controller('manual')
class ManualController {
  constructor(private readonly memory: ChatMemoryService) {}

  @Post(':conversationId')
  @HttpCode(200)
  async chat(@Param('conversationId') conversationId: string, @Body() body: ChatBody) {
    const history = await this.memory.getHistory(conversationId);
    const reply = await model.reply(history, body.message);
    await this.memory.appendTurn(conversationId, body.message, reply);
    return { reply };
  }
}

@Controller('plain')
class PlainController {
  @Post(':conversationId')
  @HttpCode(200)
  async chat(@Body() body: ChatBody) {
    return { reply: await model.reply([], body.message) };
  }
}

async function main(): Promise<void> {
  const [adapter, url] = process.argv.slice(2);
  if ((adapter !== 'express' && adapter !== 'fastify') || !url) {
    throw new Error('usage: http-app.js <express|fastify> <redisUrl>');
  }

  @Module({
    imports: [ChatMemoryModule.forRoot({ url, config: { maxTurns: 10, ttlSeconds: 3600 } })],
    controllers: [RecordedController, ManualController, PlainController],
  })
  class HttpBenchModule {}

  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(HttpBenchModule, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(HttpBenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  console.log(`LISTENING ${address.port}`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
