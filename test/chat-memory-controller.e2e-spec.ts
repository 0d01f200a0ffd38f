import {
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { ChatMemoryModule, ChatMemoryService } from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { HTTP_ADAPTERS, startHttpApp } from './support/http-apps.js';
import { redisUrl, roleContent, ULID_PATTERN, uniquePrefix } from './support/helpers.js';

type HeaderRequest = { headers: Record<string, string | undefined> };

/** Lets through requests with `x-api-key: secret`. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<HeaderRequest>().headers['x-api-key'] === 'secret';
  }
}

/** A user owns the conversations whose id starts with their name and a dash. */
const canAccess = async (req: unknown, conversationId: string) =>
  conversationId.startsWith(`${(req as HeaderRequest).headers['x-user']}-`);

// No global ValidationPipe nor exception filter: the controller brings its own.
const noGlobals = { filter: false };

describe.each(HTTP_ADAPTERS)('the chat memory controller on %s', (_name, adapter) => {
  describe('with its defaults (controller: true)', () => {
    let app: INestApplication;
    let url: string;
    let memory: ChatMemoryService;
    beforeAll(async () => {
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      ({ app, url } = await startHttpApp(
        adapter,
        {
          imports: [
            ChatMemoryModule.forRoot({
              url: redisUrl(),
              config: { keyPrefix: uniquePrefix('ctl'), ttlSeconds: 60, maxContentBytes: 100 },
              controller: true,
            }),
          ],
        },
        noGlobals,
      ));
      memory = app.get(ChatMemoryService);
    });
    afterAll(async () => {
      vi.restoreAllMocks();
      await app.close();
    });

    it('warned at boot that it is unguarded', () => {
      const warn = vi.mocked(Logger.prototype.warn);
      expect(
        warn.mock.calls.some((call) =>
          String(call[0]).includes('/chat-memory/conversations has no guards and no canAccess'),
        ),
      ).toBe(true);
    });

    it('appends (201), lists, describes and deletes (204) a conversation', async () => {
      const base = `/chat-memory/conversations/c1`;
      await request(url).get(`${base}/messages`).expect(200, []);
      const hello = await request(url)
        .post(`${base}/messages`)
        .send({ role: 'user', content: 'hello' })
        .expect(201);
      expect(hello.body).toEqual({
        id: expect.stringMatching(ULID_PATTERN),
        role: 'user',
        content: 'hello',
        createdAt: expect.any(Number),
      });
      const hi = await request(url)
        .post(`${base}/messages`)
        .send({ role: 'assistant', content: 'hi there' })
        .expect(201);
      expect(hi.body).toMatchObject({ role: 'assistant', content: 'hi there' });
      expect(hi.body.id > hello.body.id).toBe(true);
      await request(url).get(`${base}/messages`).expect(200, [hello.body, hi.body]);
      const info = await request(url).get(base).expect(200);
      expect(info.body).toMatchObject({ conversationId: 'c1', count: 2 });
      expect(info.body.ttlSeconds).toBeGreaterThan(55);
      expect(info.body.ttlSeconds).toBeLessThanOrEqual(60);
      await request(url).delete(base).expect(204, '');
      await request(url)
        .get(base)
        .expect(200, { conversationId: 'c1', count: 0, ttlSeconds: null });
    });

    it.each([
      [
        'an unknown role',
        { role: 'boss', content: 'x' },
        /role must be one of the following values/,
      ],
      ['no content', { role: 'user' }, /content should not be null or undefined/],
      [
        'a content that is not a string',
        { role: 'user', content: 42 },
        /content must be a string or an array of parts/,
      ],
      [
        'a tool message without toolCallId',
        { role: 'tool', content: 'x' },
        /a tool message needs toolCallId/,
      ],
      [
        'an unknown field',
        { role: 'user', content: 'x', extra: 1 },
        /property extra should not exist/,
      ],
      [
        'a content over maxContentBytes',
        { role: 'user', content: 'é'.repeat(51) },
        /more than the limit of 100 bytes/,
      ],
    ])('answers 400 to %s and writes nothing', async (_case, body, message) => {
      const res = await request(url)
        .post('/chat-memory/conversations/bad/messages')
        .send(body)
        .expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
      expect(await memory.count('bad')).toBe(0);
    });

    it('answers 400 to an invalid conversation id', async () => {
      const res = await request(url)
        .post('/chat-memory/conversations/a%20b/messages')
        .send({ role: 'user', content: 'x' })
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
      await request(url).get('/chat-memory/conversations/a%20b').expect(400);
    });
  });

  describe('with a path, guards and canAccess (forRootAsync)', () => {
    let app: INestApplication;
    let url: string;
    let memory: ChatMemoryService;
    beforeAll(async () => {
      ({ app, url } = await startHttpApp(
        adapter,
        {
          imports: [
            ChatMemoryModule.forRootAsync({
              useFactory: () => ({ url: redisUrl(), config: { keyPrefix: uniquePrefix('ctl') } }),
              controller: { path: 'admin/memory', guards: [ApiKeyGuard], canAccess },
            }),
          ],
        },
        noGlobals,
      ));
      memory = app.get(ChatMemoryService);
    });
    afterAll(async () => {
      await app.close();
    });

    const message = { role: 'user', content: 'mine' };

    it('serves the owner behind the guard, at its own path', async () => {
      await request(url)
        .post('/admin/memory/ada-1/messages')
        .set({ 'x-api-key': 'secret', 'x-user': 'ada' })
        .send(message)
        .expect(201);
      await request(url)
        .get('/admin/memory/ada-1/messages')
        .set({ 'x-api-key': 'secret', 'x-user': 'ada' })
        .expect(200)
        .then((res) => expect(roleContent(res.body)).toEqual([message]));
      await request(url).get('/chat-memory/conversations/ada-1/messages').expect(404);
      expect(await memory.count('ada-1')).toBe(1);
    });

    it('answers 403 without the key, or to someone else, and writes nothing', async () => {
      await request(url).post('/admin/memory/bob-1/messages').send(message).expect(403);
      await request(url)
        .post('/admin/memory/bob-1/messages')
        .set({ 'x-api-key': 'wrong', 'x-user': 'bob' })
        .send(message)
        .expect(403);
      const res = await request(url)
        .post('/admin/memory/bob-1/messages')
        .set({ 'x-api-key': 'secret', 'x-user': 'eve' })
        .send(message)
        .expect(403);
      expect(res.body.message).toBe('You may not access this conversation');
      await request(url)
        .get('/admin/memory/ada-1/messages')
        .set({ 'x-api-key': 'secret', 'x-user': 'eve' })
        .expect(403);
      await request(url)
        .delete('/admin/memory/ada-1')
        .set({ 'x-api-key': 'secret', 'x-user': 'eve' })
        .expect(403);
      expect(await memory.count('bob-1')).toBe(0);
      expect(await memory.count('ada-1')).toBe(1);
    });
  });

  describe('when off (the default)', () => {
    it('mounts no route', async () => {
      const { app, url } = await startHttpApp(
        adapter,
        { imports: [ChatMemoryModule.forRoot({ url: redisUrl() })] },
        noGlobals,
      );
      try {
        const res = await request(url).get('/chat-memory/conversations/x/messages');
        expect(res.status).toBe(404);
      } finally {
        await app.close();
      }
    });
  });

  describe('when Redis stops', () => {
    let server: TestRedisServer;
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      server = await startRedisServer();
      ({ app, url } = await startHttpApp(
        adapter,
        {
          imports: [
            ChatMemoryModule.forRoot({
              url: server.url,
              redisOptions: { commandTimeout: 500 },
              controller: { canAccess: () => true },
            }),
          ],
        },
        noGlobals,
      ));
    });
    afterAll(async () => {
      await app.close();
      await server.stop();
    });
    afterEach(() => vi.restoreAllMocks());

    it('answers 503, and serves again once Redis is back', async () => {
      vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const base = '/chat-memory/conversations/d1';
      await request(url).post(`${base}/messages`).send({ role: 'user', content: 'x' }).expect(201);
      await server.stop();
      try {
        const res = await request(url)
          .post(`${base}/messages`)
          .send({ role: 'user', content: 'y' })
          .expect(503);
        expect(res.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Conversation memory is unavailable',
        });
        await request(url).get(`${base}/messages`).expect(503);
      } finally {
        await server.restart();
      }
      await expect
        .poll(async () => (await request(url).get(`${base}/messages`)).status, {
          timeout: 8000,
          interval: 200,
        })
        .toBe(200);
    });
  });
});
