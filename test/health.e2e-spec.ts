import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CHAT_MEMORY_REDIS } from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { uniquePrefix } from './support/helpers.js';
import { startExampleApp } from './support/http-apps.js';

describe('GET /health (ChatMemoryHealthIndicator with @nestjs/terminus)', () => {
  let server: TestRedisServer;
  let app: INestApplication;
  beforeAll(async () => {
    server = await startRedisServer();
    ({ app } = await startExampleApp({
      REDIS_URL: server.url,
      CHAT_KEY_PREFIX: uniquePrefix('health'),
    }));
    // The app does not wait for Redis at boot, and the first check below expects it up.
    const client = app.get<Redis>(CHAT_MEMORY_REDIS);
    await waitFor(async () => client.status === 'ready', 'the Redis client to be ready');
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('is up with the Redis latency, down (503) while Redis is stopped, and up again after', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const http = app.getHttpServer();
    const up = await request(http).get('/health').expect(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      info: { 'chat-memory': { status: 'up' } },
      error: {},
    });
    const latency = up.body.info['chat-memory'].latencyMs;
    expect(typeof latency).toBe('number');
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(1000);

    await server.stop();
    const started = Date.now();
    const down = await request(http).get('/health').expect(503);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { 'chat-memory': { status: 'down' } },
    });
    expect(down.body.error['chat-memory'].message).toMatch(
      /Redis|connect|PING|closed|ECONNREFUSED/i,
    );

    await server.restart();
    await expect
      .poll(async () => (await request(http).get('/health')).status, {
        timeout: 8000,
        interval: 200,
      })
      .toBe(200);
  });
});

describe('GET /health with the in-memory store', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startExampleApp({ REDIS_URL: undefined, CHAT_KEY_PREFIX: undefined }));
  });
  afterAll(async () => {
    await app.close();
  });

  it('is up and says no Redis is used', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.info).toEqual({ 'chat-memory': { status: 'up', store: 'memory' } });
  });
});

describe('the health indicator is optional', () => {
  it('nothing outside src/health imports @nestjs/terminus, so the main entry works without it', () => {
    const root = join(import.meta.dirname, '../libs/chat-memory/src');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path !== join(root, 'health')) walk(path);
        } else if (/@nestjs\/terminus|\/health\//.test(readFileSync(path, 'utf8'))) {
          offenders.push(path);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, '../package.json'), 'utf8'));
    expect(pkg.peerDependenciesMeta['@nestjs/terminus']).toEqual({ optional: true });
    expect(pkg.exports['./health'].default).toBe('./dist/health/index.js');
  });
});
