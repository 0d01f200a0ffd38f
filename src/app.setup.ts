import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ChatMemoryExceptionFilter } from 'nestjs-chat-memory';

/** Global pipes and filters, shared by main.ts and the e2e tests. */
export function setupApp(app: INestApplication): INestApplication {
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.useGlobalFilters(new ChatMemoryExceptionFilter(app.get(HttpAdapterHost)));
  app.enableShutdownHooks();
  return app;
}
