import { Body, Controller, Logger, Module, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  ChatMemoryDecoratorError,
  ChatMemoryModule,
  ConversationHistory,
  InMemoryChatMemoryStore,
  RecordChatTurn,
  type ChatMessage,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { HTTP_ADAPTERS, startHttpApp } from './support/http-apps.js';
import { bootModuleError } from './support/modules.js';

@Controller('recorded')
class RecordedController {
  @Post(':conversationId')
  @RecordChatTurn()
  chat(@Body('message') message: string) {
    return { reply: message };
  }
}

@Controller('history-only')
class HistoryOnlyController {
  @Post(':conversationId')
  chat(@ConversationHistory() history: ChatMessage[]) {
    return { reply: String(history.length) };
  }
}

@Controller('named')
class NamedController {
  @Post(':conversationId')
  @RecordChatTurn({ memory: 'missing' })
  chat() {
    return { reply: 'x' };
  }
}

const store = () => new InMemoryChatMemoryStore();

describe('the recording decorators are checked when the application boots', () => {
  it('stops an app with @RecordChatTurn() and no ChatMemoryModule at all, naming the handler', async () => {
    @Module({ controllers: [RecordedController] })
    class Feature {}
    const error = await bootModuleError({ imports: [Feature] });
    expect(error).toBeInstanceOf(ChatMemoryDecoratorError);
    expect((error as ChatMemoryDecoratorError).problems).toEqual([
      expect.stringContaining(
        '@RecordChatTurn() on RecordedController.chat(): no ChatMemoryModule is visible in Feature',
      ),
    ]);
  });

  it('stops an app whose ChatMemoryModule is imported elsewhere, not global', async () => {
    @Module({ controllers: [RecordedController] })
    class FeatureA {}
    @Module({ imports: [ChatMemoryModule.forRoot({ store: store() })] })
    class FeatureB {}
    const error = await bootModuleError({ imports: [FeatureA, FeatureB] });
    expect(error).toBeInstanceOf(ChatMemoryDecoratorError);
    expect((error as Error).message).toMatch(
      /RecordedController\.chat\(\): no ChatMemoryModule is visible in FeatureA; import ChatMemoryModule\.forRoot\(\) there, or register it with isGlobal: true/,
    );
  });

  it('stops an app that records to an instance name nobody registered', async () => {
    const error = await bootModuleError({
      imports: [
        ChatMemoryModule.forRoot({ store: store(), isGlobal: true }),
        { module: class Named {}, controllers: [NamedController] },
      ],
    });
    expect((error as Error).message).toMatch(
      /@RecordChatTurn\(\{ memory: "missing" \}\) on NamedController\.chat\(\): no ChatMemoryModule named "missing"/,
    );
  });

  it('stops an app with @ConversationHistory() but no @RecordChatTurn(), naming the handler', async () => {
    const error = await bootModuleError({
      imports: [
        ChatMemoryModule.forRoot({ store: store(), isGlobal: true }),
        { module: class Plain {}, controllers: [HistoryOnlyController] },
      ],
    });
    expect(error).toBeInstanceOf(ChatMemoryDecoratorError);
    expect((error as ChatMemoryDecoratorError).problems).toEqual([
      '@ConversationHistory() on HistoryOnlyController.chat() needs @RecordChatTurn() on the handler or its controller',
    ]);
  });

  it('stops an app with @ConversationHistory() but no @RecordChatTurn() and no ChatMemoryModule at all', async () => {
    const error = await bootModuleError({
      imports: [{ module: class NoMemory {}, controllers: [HistoryOnlyController] }],
    });
    expect(error).toBeInstanceOf(ChatMemoryDecoratorError);
    expect((error as ChatMemoryDecoratorError).problems).toEqual([
      '@ConversationHistory() on HistoryOnlyController.chat() needs @RecordChatTurn() on the handler or its controller',
    ]);
  });

  it('lists every misuse at once', async () => {
    @Module({ controllers: [RecordedController, NamedController, HistoryOnlyController] })
    class Feature {}
    const error = await bootModuleError({
      imports: [ChatMemoryModule.forRoot({ store: store() }), Feature],
    });
    expect((error as ChatMemoryDecoratorError).problems).toHaveLength(3);
  });

  it('boots when the module is imported where the controller is, or global', async () => {
    @Module({
      imports: [ChatMemoryModule.forRoot({ store: store() })],
      controllers: [RecordedController],
    })
    class Local {}
    await expect(bootModuleError({ imports: [Local] })).resolves.toEqual(new Error('booted'));
    await expect(
      bootModuleError({
        imports: [
          ChatMemoryModule.forRoot({ store: store(), isGlobal: true }),
          { module: class Global {}, controllers: [RecordedController] },
        ],
      }),
    ).resolves.toEqual(new Error('booted'));
  });
});

describe.each(HTTP_ADAPTERS)('what a turn it cannot record logs, on %s', (_name, adapter) => {
  let redis: Redis;
  const keyPrefix = uniquePrefix('log');
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    const started = await startHttpApp(adapter, {
      imports: [ChatMemoryModule.forRoot({ url: redisUrl(), config: { keyPrefix } })],
      controllers: [RecordedController],
    });
    url = started.url;
    close = () => started.app.close();
  });
  afterAll(async () => {
    await close();
    await redis.quit();
  });

  it('says there was no user message in body.message, and writes nothing', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await request(url).post('/recorded/m1').send({ other: 'x' }).expect(201);
      const logged = warn.mock.calls.map((call) => String(call[0]));
      expect(logged).toEqual([
        'Could not record the chat turn of conversation "m1": no user message in body.message',
      ]);
      await expect(redis.exists(`${keyPrefix}:m1`)).resolves.toBe(0);
    } finally {
      warn.mockRestore();
    }
  });
});
