import { Logger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { setupApp } from '../src/app.setup.js';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { startRedisServer, type TestRedisServer } from './support/redis-server.js';

async function startApp(env: Record<string, string | undefined>): Promise<INestApplication> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = setupApp(moduleRef.createNestApplication({ logger: false }));
  await app.init();
  return app;
}

describe.each([
  [
    'Redis',
    () => ({ REDIS_URL: redisUrl(), CHAT_KEY_PREFIX: uniquePrefix('app'), CHAT_MAX_TURNS: '3' }),
  ],
  [
    'the in-memory store',
    () => ({ REDIS_URL: undefined, CHAT_KEY_PREFIX: undefined, CHAT_MAX_TURNS: '3' }),
  ],
])('example chat app on %s', (_name, env) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startApp(env());
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers, remembers the turn, and uses the history in later answers', async () => {
    const server = app.getHttpServer();
    await request(server)
      .post('/chat/conv-1')
      .send({ message: 'Hello, my name is Ada' })
      .expect(200, { reply: 'Nice to meet you, Ada! I will remember that.' });
    await request(server)
      .post('/chat/conv-1')
      .send({ message: "What's my name?" })
      .expect(200, { reply: 'Your name is Ada.' });
    await request(server)
      .post('/chat/other')
      .send({ message: "What's my name?" })
      .expect(200)
      .expect((res) => expect(res.body.reply).toMatch(/haven't told me your name/));
    const history = await request(server).get('/chat/conv-1/history').expect(200);
    expect(history.body).toEqual([
      { role: 'user', content: 'Hello, my name is Ada' },
      { role: 'assistant', content: 'Nice to meet you, Ada! I will remember that.' },
      { role: 'user', content: "What's my name?" },
      { role: 'assistant', content: 'Your name is Ada.' },
    ]);
  });

  it('forgets what slid out of the window (CHAT_MAX_TURNS=3)', async () => {
    const server = app.getHttpServer();
    await request(server).post('/chat/window').send({ message: 'my name is Grace' }).expect(200);
    for (const message of ['one', 'two', 'three']) {
      await request(server).post('/chat/window').send({ message }).expect(200);
    }
    await request(server)
      .post('/chat/window')
      .send({ message: 'what is my name?' })
      .expect(200)
      .expect((res) => expect(res.body.reply).toMatch(/slid out of my memory window/));
    const history = await request(server).get('/chat/window/history').expect(200);
    expect(history.body).toHaveLength(6);
  });

  it('answers 400 to an invalid body or conversation id, and stores nothing', async () => {
    const server = app.getHttpServer();
    await request(server).post('/chat/bad').send({}).expect(400);
    await request(server).post('/chat/bad').send({ message: 42 }).expect(400);
    await request(server).post('/chat/bad').send({ message: 'x', role: 'system' }).expect(400);
    const res = await request(server).post('/chat/has%20space').send({ message: 'hi' }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
    await request(server).get('/chat/bad/history').expect(200, []);
  });
});

describe('example chat app when Redis goes down', () => {
  let server: TestRedisServer;
  let app: INestApplication;
  beforeAll(async () => {
    server = await startRedisServer();
    app = await startApp({ REDIS_URL: server.url, CHAT_KEY_PREFIX: uniquePrefix('down') });
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 503, keeps running, and serves again when Redis is back', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const http = app.getHttpServer();
    await request(http).post('/chat/c').send({ message: 'hi' }).expect(200);
    await server.stop();
    const down = await request(http).post('/chat/c').send({ message: 'hi' }).expect(503);
    expect(down.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Conversation memory is unavailable',
    });
    await request(http).get('/chat/c/history').expect(503);
    await server.restart();
    await expect
      .poll(async () => (await request(http).get('/chat/c/history')).status, {
        timeout: 8000,
        interval: 200,
      })
      .toBe(200);
  });
});
