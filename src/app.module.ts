import { Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  ChatMemoryModule,
  InMemoryChatMemoryStore,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { AdminKeyGuard } from './chat/admin-key.guard.js';
import { ChatModule } from './chat/chat.module.js';
import { summarizeEvicted } from './chat/summary.js';
import { HealthModule } from './health/health.module.js';

/**
 * Environment: REDIS_URL (unset: an in-memory store, for trying the app without Redis),
 * CHAT_MAX_TURNS (default 10), CHAT_TTL_SECONDS (default: no expiry), CHAT_KEY_PREFIX
 * (default "chat-memory"), CHAT_ADMIN_KEY (the `x-api-key` of the conversations API at
 * /chat-memory/conversations; default "dev-admin-key", for local development only).
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
  };
  const url = config.get<string>('REDIS_URL');
  if (!url) {
    logger.warn(
      'REDIS_URL is not set: using the in-memory store (history is lost on restart and not shared between replicas)',
    );
    return { store: new InMemoryChatMemoryStore(), config: memoryConfig };
  }
  logger.log(`Using Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} for chat memory`);
  return { url, config: memoryConfig };
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
    HealthModule,
  ],
})
export class AppModule {}
