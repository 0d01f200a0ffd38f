import { Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  ChatMemoryModule,
  InMemoryChatMemoryStore,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { openTelemetry } from 'nestjs-chat-memory/opentelemetry';
import { AdminKeyGuard } from './chat/admin-key.guard.js';
import { ChatModule } from './chat/chat.module.js';
import { summarizeEvicted } from './chat/summary.js';
import { titleFromFirstMessage } from './chat/title.js';
import { HealthModule } from './health/health.module.js';
import { PageModule } from './page/page.module.js';
import { chatUserOf } from './session/chat-user.js';
import { SessionModule } from './session/session.module.js';

/**
 * Environment: REDIS_URL (unset: an in-memory store, for trying the app without Redis),
 * CHAT_MAX_TURNS (default 10), CHAT_TTL_SECONDS (default: no expiry), CHAT_KEY_PREFIX
 * (default "chat-memory"), CHAT_ADMIN_KEY (the `x-api-key` of the conversations API at
 * /chat-memory/conversations; default "dev-admin-key", for local development only).
 *
 * Conversations belong to the signed-in user: the owner resolver reads the `chat_user` cookie that
 * `POST /session` sets (a demo sign-in, not authentication), and every chat route, the page's and
 * the conversations API serve only that user's conversations (401 without the cookie).
 */
export function chatMemoryOptions(config: ConfigService): ChatMemoryModuleOptions {
  const logger = new Logger('ChatApp');
  const maxTurns = config.get<string>('CHAT_MAX_TURNS');
  const ttlSeconds = config.get<string>('CHAT_TTL_SECONDS');
  const memoryConfig = {
    maxTurns: maxTurns ? Number(maxTurns) : undefined,
    ttlSeconds: ttlSeconds ? Number(ttlSeconds) : null,
    keyPrefix: config.get<string>('CHAT_KEY_PREFIX') || undefined,
    // What slides out of the window is summarized into the pinned system prompt.
    onEvict: summarizeEvicted,
    // A new conversation is titled after its first message, for the page's list.
    generateTitle: titleFromFirstMessage,
  };
  // A span per memory call; they go nowhere unless an SDK is registered (CHAT_OTEL_CONSOLE=1,
  // see telemetry.ts).
  const telemetry = openTelemetry();
  const url = config.get<string>('REDIS_URL');
  if (!url) {
    logger.warn(
      'REDIS_URL is not set: using the in-memory store (history is lost on restart and not shared between replicas)',
    );
    return {
      store: new InMemoryChatMemoryStore(),
      config: memoryConfig,
      owner: chatUserOf,
      telemetry,
    };
  }
  logger.log(`Using Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} for chat memory`);
  return { url, config: memoryConfig, owner: chatUserOf, telemetry };
}

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    ChatMemoryModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: chatMemoryOptions,
      // The REST API over the conversations, behind an API key.
      controller: { guards: [AdminKeyGuard] },
    }),
    ChatModule,
    SessionModule,
    PageModule,
    HealthModule,
  ],
})
export class AppModule {}
