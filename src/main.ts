import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import { startConsoleTelemetry } from './telemetry.js';

async function bootstrap(): Promise<void> {
  startConsoleTelemetry();
  const app = setupApp(await NestFactory.create(AppModule));
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  new Logger('ChatApp').log(`Chat example listening on http://localhost:${port}`);
}

void bootstrap();
