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

/** A message as the history returns it: with the id and time the library assigned. */
const stored = (role: string, content: unknown, fields: Record<string, unknown> = {}) => ({
  id: expect.any(String),
  role,
  content,
  createdAt: expect.any(Number),
  ...fields,
});

/** The example app, with the admin key the tests send. */
const startApp = (env: Record<string, string | undefined>, adapter?: AdapterFactory) =>
  startExampleApp({ CHAT_ADMIN_KEY: ADMIN['x-api-key'], ...env }, adapter);

/** A user `UIMessage` of the AI SDK, as `useChat()` sends it. */
const userUI = (id: string, text: string) => ({
  id,
  role: 'user',
  parts: [{ type: 'text', text }],
});

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
  const sendAiSdk = (id: string, body: object) =>
    request(url).post(`/chat/${id}/ai-sdk`).send(body);

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
      stored('user', 'Hello, my name is Ada'),
      stored('assistant', 'Nice to meet you, Ada! I will remember that.'),
      stored('user', "What's my name?"),
      stored('assistant', 'Your name is Ada.'),
    ]);
    expect(new Set(res.body.map((m: { id: string }) => m.id)).size).toBe(4);
  });

  it('summarizes what slid out of the window (CHAT_MAX_TURNS=3) into the pinned prompt, with onEvict', async () => {
    await request(url).post('/chat/window').send({ message: 'my name is Grace' }).expect(200);
    await request(url).post('/chat/window').send({ message: 'what is 6 * 7?' }).expect(200);
    for (const message of ['one', 'two', 'three']) {
      await request(url).post('/chat/window').send({ message }).expect(200);
    }
    // The hook runs after the write: wait for the summary to be pinned.
    await expect
      .poll(async () => (await history('window')).body[0]?.content, { timeout: 5000, interval: 50 })
      .toBe("Summary of 6 earlier messages: the user's name is Grace; calculated 6 * 7 = 42.");
    const res = await history('window').expect(200);
    // The prompt, then the three newest turns.
    expect(res.body.map((m: { role: string }) => m.role)).toEqual([
      'system',
      ...Array.from({ length: 3 }, () => ['user', 'assistant']).flat(),
    ]);
    await request(url)
      .post('/chat/window')
      .send({ message: 'what is my name?' })
      .expect(200, { reply: 'Your name is Grace (from my summary of earlier turns).' });
    await request(url)
      .post('/chat/window')
      .send({ message: 'what did you calculate before?' })
      .expect(200, { reply: 'Before, I calculated 6 * 7 = 42.' });
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
      stored('user', 'what is my name'),
      stored('assistant', 'Your name is Linus.'),
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
    expect(assistant.metadata).toEqual({ interrupted: true });
  });

  it('calls the calculator, stores the tool call, result and answer, and replays them later', async () => {
    const res = await request(url)
      .post('/chat/calc')
      .send({ message: 'What is 12 * 7?' })
      .expect(200);
    expect(res.body.reply).toBe('12 * 7 = 84');
    expect(res.body.steps.map((m: { role: string }) => m.role)).toEqual([
      'assistant',
      'tool',
      'assistant',
    ]);

    const turn = (await history('calc').expect(200)).body;
    expect(turn).toEqual([
      stored('user', 'What is 12 * 7?'),
      stored('assistant', '', {
        toolCalls: [
          { id: expect.any(String), name: 'calculator', arguments: '{"expression":"12 * 7"}' },
        ],
      }),
      stored('tool', '84', { toolCallId: turn[1].toolCalls[0].id, name: 'calculator' }),
      stored('assistant', '12 * 7 = 84'),
    ]);
    expect(new Set(turn.map((m: { id: string }) => m.id)).size).toBe(4);

    // The model reads the stored calls and results back from the history.
    await request(url)
      .post('/chat/calc')
      .send({ message: 'What did you calculate before?' })
      .expect(200, { reply: 'Before, I calculated 12 * 7 = 84.' });
    const next = await request(url)
      .post('/chat/calc')
      .send({ message: 'and what is that + 1?' })
      .expect(200);
    expect(next.body.reply).toBe('84 + 1 = 85');
    expect(next.body.steps[0].toolCalls[0].arguments).toBe('{"expression":"84 + 1"}');
    // The same question elsewhere has no earlier result to use.
    await request(url)
      .post('/chat/calc-empty')
      .send({ message: 'what is that + 1?' })
      .expect(200)
      .expect((r) => expect(r.body.reply).toMatch(/^I have no earlier result/));
  });

  it('stores a failed calculation as the tool result the answer reports', async () => {
    const res = await request(url)
      .post('/chat/calc-error')
      .send({ message: 'calculate 1 / (2 - 2)' })
      .expect(200);
    expect(res.body).toEqual({
      reply: 'I could not calculate 1 / (2 - 2): division by zero.',
      steps: [
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            {
              id: expect.any(String),
              name: 'calculator',
              arguments: '{"expression":"1 / (2 - 2)"}',
            },
          ],
        },
        {
          role: 'tool',
          toolCallId: expect.any(String),
          name: 'calculator',
          content: 'Error: division by zero',
        },
        { role: 'assistant', content: 'I could not calculate 1 / (2 - 2): division by zero.' },
      ],
    });
    const turn = (await history('calc-error').expect(200)).body;
    expect(turn.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
  });

  it('takes and returns AI SDK messages on /chat/:id/ai-sdk, in the same memory', async () => {
    // What useChat() sends with its default transport.
    const first = await sendAiSdk('ai', {
      id: 'chat-1',
      trigger: 'submit-message',
      messages: [userUI('u1', 'What is 6 * 7?')],
    }).expect(200);
    const callId = first.body.messages[0]?.content[0]?.toolCallId;
    expect(first.body).toEqual({
      messages: [
        {
          role: 'assistant',
          content: [
            {
              type: 'tool-call',
              toolCallId: callId,
              toolName: 'calculator',
              input: { expression: '6 * 7' },
            },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: callId,
              toolName: 'calculator',
              output: { type: 'text', value: '42' },
            },
          ],
        },
        { role: 'assistant', content: '6 * 7 = 42' },
      ],
    });
    expect(callId).toMatch(/^call_/);

    // Stored through the library: the UIMessage id is the user message's id.
    const turn = (await history('ai').expect(200)).body;
    expect(turn).toEqual([
      stored('user', 'What is 6 * 7?', { id: 'u1' }),
      stored('assistant', '', {
        toolCalls: [{ id: callId, name: 'calculator', arguments: '{"expression":"6 * 7"}' }],
      }),
      stored('tool', '42', { toolCallId: callId, name: 'calculator' }),
      stored('assistant', '6 * 7 = 42'),
    ]);

    // The model reads the stored tool call and result back (toModelMessages of the history).
    const second = await sendAiSdk('ai', {
      messages: [userUI('u2', 'What did you calculate before?')],
    }).expect(200);
    expect(second.body.messages).toEqual([
      { role: 'assistant', content: 'Before, I calculated 6 * 7 = 42.' },
    ]);

    // The conversation as UIMessages (what useChat() loads): one UIMessage per agent turn.
    const ui = await request(url).get('/chat/ai/ai-sdk').expect(200);
    expect(ui.body.map((m: { id: string; role: string }) => [m.role, m.id])).toEqual([
      ['user', 'u1'],
      ['assistant', turn[1].id],
      ['user', 'u2'],
      ['assistant', expect.any(String)],
    ]);
    expect(ui.body[1].parts).toEqual([
      { type: 'step-start' },
      {
        type: 'tool-calculator',
        toolCallId: callId,
        state: 'output-available',
        input: { expression: '6 * 7' },
        output: '42',
      },
      { type: 'step-start' },
      { type: 'text', text: '6 * 7 = 42', state: 'done' },
    ]);

    // The plain route shares the conversation.
    await request(url)
      .post('/chat/ai')
      .send({ message: 'what is that * 2' })
      .expect(200)
      .expect((res) => expect(res.body.reply).toBe('42 * 2 = 84'));
  });

  it('answers 400 on /chat/:id/ai-sdk unless the last message is a user UIMessage', async () => {
    await sendAiSdk('ai-bad', {}).expect(400);
    await sendAiSdk('ai-bad', { messages: [] }).expect(400);
    await sendAiSdk('ai-bad', { messages: ['hi'] }).expect(400);
    await sendAiSdk('ai-bad', { messages: [userUI('u', 'hi')], extra: 1 }).expect(400);
    await sendAiSdk('ai-bad', { messages: [{ id: 'u', role: 'user' }] }).expect(400);
    const res = await sendAiSdk('ai-bad', {
      messages: [userUI('u', 'hi'), { id: 'a', role: 'assistant', parts: [] }],
    }).expect(400);
    expect(res.body.message).toMatch(/must be the user message/);
    await history('ai-bad').expect(200, []);
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
