import { Logger, type INestApplication } from '@nestjs/common';
import { ChatMemoryService } from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import {
  HTTP_ADAPTERS,
  readThenDisconnect,
  startExampleApp,
  type AdapterFactory,
} from './support/http-apps.js';
import { redisUrl, uniquePrefix } from './support/helpers.js';

const ADMIN = { 'x-api-key': 'test-admin-key' };

/** The example app, with the admin key the tests send. */
const startApp = (env: Record<string, string | undefined>, adapter?: AdapterFactory) =>
  startExampleApp({ CHAT_ADMIN_KEY: ADMIN['x-api-key'], ...env }, adapter);

const stores = [
  [
    'Redis',
    () => ({ REDIS_URL: redisUrl(), CHAT_KEY_PREFIX: uniquePrefix('app'), CHAT_MAX_TURNS: '3' }),
  ],
  [
    'the in-memory store',
    () => ({ REDIS_URL: undefined, CHAT_KEY_PREFIX: undefined, CHAT_MAX_TURNS: '3' }),
  ],
] as const;
const cases = stores.flatMap(([store, env]) =>
  HTTP_ADAPTERS.map(([adapterName, adapter]) => [store, adapterName, env, adapter] as const),
);

describe.each(cases)('example chat app on %s, %s', (_store, _adapter, env, adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startApp(env(), adapter));
  });
  afterAll(async () => {
    await app.close();
  });

  const history = (id: string) =>
    request(url).get(`/chat-memory/conversations/${id}/messages`).set(ADMIN);

  it('answers, remembers the turn, and uses the history in later answers', async () => {
    await request(url)
      .post('/chat/conv-1')
      .send({ message: 'Hello, my name is Ada' })
      .expect(200, { reply: 'Nice to meet you, Ada! I will remember that.' });
    await request(url)
      .post('/chat/conv-1')
      .send({ message: "What's my name?" })
      .expect(200, { reply: 'Your name is Ada.' });
    await request(url)
      .post('/chat/other')
      .send({ message: "What's my name?" })
      .expect(200)
      .expect((res) => expect(res.body.reply).toMatch(/haven't told me your name/));
    const res = await history('conv-1').expect(200);
    expect(res.body).toEqual([
      { role: 'user', content: 'Hello, my name is Ada' },
      { role: 'assistant', content: 'Nice to meet you, Ada! I will remember that.' },
      { role: 'user', content: "What's my name?" },
      { role: 'assistant', content: 'Your name is Ada.' },
    ]);
  });

  it('forgets what slid out of the window (CHAT_MAX_TURNS=3)', async () => {
    await request(url).post('/chat/window').send({ message: 'my name is Grace' }).expect(200);
    for (const message of ['one', 'two', 'three']) {
      await request(url).post('/chat/window').send({ message }).expect(200);
    }
    await request(url)
      .post('/chat/window')
      .send({ message: 'what is my name?' })
      .expect(200)
      .expect((res) => expect(res.body.reply).toMatch(/slid out of my memory window/));
    const res = await history('window').expect(200);
    expect(res.body).toHaveLength(6);
  });

  it('answers 400 to an invalid body or conversation id, and stores nothing', async () => {
    await request(url).post('/chat/bad').send({}).expect(400);
    await request(url).post('/chat/bad').send({ message: 42 }).expect(400);
    await request(url).post('/chat/bad').send({ message: 'x', role: 'system' }).expect(400);
    const res = await request(url).post('/chat/has%20space').send({ message: 'hi' }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
    await request(url).get('/chat/bad/stream').expect(400);
    await history('bad').expect(200, []);
  });

  it('streams the answer word by word and records it once the stream ends', async () => {
    await request(url).post('/chat/s1').send({ message: 'my name is Linus' }).expect(200);
    const res = await request(url).get('/chat/s1/stream?message=what%20is%20my%20name').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = [...res.text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
    expect(events).toEqual(['Your ', 'name ', 'is ', 'Linus.']);
    const turns = await history('s1').expect(200);
    expect(turns.body.slice(2)).toEqual([
      { role: 'user', content: 'what is my name' },
      { role: 'assistant', content: 'Your name is Linus.' },
    ]);
  });

  it('records what was streamed, marked, when the client leaves early', async () => {
    const long = 'a b c d e f g h i j k l m n o p q r s t u v w x y z';
    await readThenDisconnect(`${url}/chat/s2/stream?message=${encodeURIComponent(long)}`, 'said');
    await expect
      .poll(async () => (await history('s2')).body, { timeout: 5000, interval: 50 })
      .toHaveLength(2);
    const [, assistant] = (await history('s2')).body;
    expect(assistant.content).toMatch(/^You said: .* \[interrupted\]$/);
    expect(assistant.content.length).toBeLessThan(`You said: "${long}"`.length);
  });

  it('keeps the conversations API behind the x-api-key guard', async () => {
    await request(url).post('/chat/g1').send({ message: 'secret stuff' }).expect(200);
    await request(url).get('/chat-memory/conversations/g1/messages').expect(403);
    await request(url)
      .get('/chat-memory/conversations/g1/messages')
      .set('x-api-key', 'wrong')
      .expect(403);
    await request(url).delete('/chat-memory/conversations/g1').expect(403);
    await request(url)
      .get('/chat-memory/conversations/g1')
      .set(ADMIN)
      .expect(200, { conversationId: 'g1', count: 2, ttlSeconds: null });
    await request(url).delete('/chat-memory/conversations/g1').set(ADMIN).expect(204);
    expect(await app.get(ChatMemoryService).count('g1')).toBe(0);
  });
});

describe('example chat app when Redis goes down', () => {
  let server: TestRedisServer;
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    server = await startRedisServer();
    ({ app, url } = await startApp({
      REDIS_URL: server.url,
      CHAT_KEY_PREFIX: uniquePrefix('down'),
    }));
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 503, keeps running, and serves again when Redis is back', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await request(url).post('/chat/c').send({ message: 'hi' }).expect(200);
    await server.stop();
    // The chat endpoint needs the history to answer.
    const down = await request(url).post('/chat/c').send({ message: 'hi' }).expect(503);
    expect(down.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Conversation memory is unavailable',
    });
    await request(url).get('/chat-memory/conversations/c/messages').set(ADMIN).expect(503);
    await server.restart();
    await expect
      .poll(
        async () =>
          (await request(url).get('/chat-memory/conversations/c/messages').set(ADMIN)).status,
        { timeout: 8000, interval: 200 },
      )
      .toBe(200);
  });
});
