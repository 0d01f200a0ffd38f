import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ChatMemoryHealthIndicator } from 'nestjs-chat-memory/health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly chatMemory: ChatMemoryHealthIndicator,
  ) {}

  /** 200 with `{ status: 'ok', info: { 'chat-memory': { status: 'up', latencyMs } } }`, else 503. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.chatMemory.isHealthy('chat-memory')]);
  }
}
