import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ChatMemoryHealthIndicator } from 'nestjs-chat-memory/health';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [ChatMemoryHealthIndicator],
})
export class HealthModule {}
