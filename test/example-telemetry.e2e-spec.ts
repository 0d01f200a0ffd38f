import type { INestApplication } from '@nestjs/common';
import { metrics, trace } from '@opentelemetry/api';
import request from 'supertest';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startConsoleTelemetry } from '../src/telemetry.js';
import { startExampleApp } from './support/http-apps.js';
import { redisUrl, uniquePrefix } from './support/helpers.js';

describe('the example app with CHAT_OTEL_CONSOLE=1', () => {
  let app: INestApplication | undefined;
  afterAll(async () => {
    await app?.close();
    trace.disable();
    metrics.disable();
  });

  it('prints a span per memory call to the console, without the content', async () => {
    startConsoleTelemetry({ CHAT_OTEL_CONSOLE: '1' });
    // ConsoleSpanExporter prints each span with console.dir.
    const printed: unknown[] = [];
    vi.spyOn(console, 'dir').mockImplementation((value: unknown) => void printed.push(value));
    let url: string;
    ({ app, url } = await startExampleApp({
      REDIS_URL: redisUrl(),
      CHAT_KEY_PREFIX: uniquePrefix('otel-app'),
      CHAT_MAX_TURNS: '3',
    }));
    const user = request.agent(url);
    await user.post('/session').send({ name: 'otto' }).expect(200);
    await user.post('/chat/traced').send({ message: 'Hi, my name is Otto' }).expect(200);
    const spans = printed as { name?: string; attributes?: Record<string, unknown> }[];
    // The chat turn: the history read for the handler, then the recorded turn.
    expect(spans.map((span) => span.name)).toEqual(
      expect.arrayContaining(['chat_memory.getHistory', 'chat_memory.appendTurn']),
    );
    expect(spans.find((span) => span.name === 'chat_memory.appendTurn')?.attributes).toMatchObject({
      'chat_memory.operation': 'appendTurn',
      'chat_memory.store': 'redis',
      'chat_memory.messages.written': 2,
    });
    expect(JSON.stringify(printed)).not.toContain('Otto');
  });

  it('registers nothing without it', () => {
    trace.disable();
    startConsoleTelemetry({});
    expect(trace.getTracer('check').startSpan('probe').isRecording()).toBe(false);
  });
});
