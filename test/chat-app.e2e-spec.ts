import { Logger, type INestApplication } from '@nestjs/common';
import { ChatMemoryService, estimateTokens, type ChatMessage } from 'nestjs-chat-memory';
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
/** The user the tests sign in as (the example's demo sign-in: a name in a cookie). */
const USER = 'tester';

/** A supertest agent: it keeps the cookies it is given, like a browser. */
type Agent = ReturnType<typeof request.agent>;

/** An agent signed in as `name` (`POST /session`, which sets the `chat_user` cookie). */
async function signedIn(url: string, name: string): Promise<Agent> {
  const agent = request.agent(url);
  await agent.post('/session').send({ name }).expect(200, { name });
  return agent;
}

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
  /** Signed in as `USER`: every chat route reads and writes that user's conversations. */
  let user: Agent;
  beforeAll(async () => {
    ({ app, url } = await startApp(env(), adapter));
    user = await signedIn(url, USER);
  });
  afterAll(async () => {
    await app.close();
  });

  const history = (id: string) => user.get(`/chat-memory/conversations/${id}/messages`).set(ADMIN);
  const sendAiSdk = (id: string, body: object) => user.post(`/chat/${id}/ai-sdk`).send(body);

  it('answers, remembers the turn, and uses the history in later answers', async () => {
    await user
      .post('/chat/conv-1')
      .send({ message: 'Hello, my name is Ada' })
      .expect(200, { reply: 'Nice to meet you, Ada! I will remember that.' });
    await user
      .post('/chat/conv-1')
      .send({ message: "What's my name?" })
      .expect(200, { reply: 'Your name is Ada.' });
    await user
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
    await user.post('/chat/window').send({ message: 'my name is Grace' }).expect(200);
    await user.post('/chat/window').send({ message: 'what is 6 * 7?' }).expect(200);
    for (const message of ['one', 'two', 'three']) {
      await user.post('/chat/window').send({ message }).expect(200);
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
    await user
      .post('/chat/window')
      .send({ message: 'what is my name?' })
      .expect(200, { reply: 'Your name is Grace (from my summary of earlier turns).' });
    await user
      .post('/chat/window')
      .send({ message: 'what did you calculate before?' })
      .expect(200, { reply: 'Before, I calculated 6 * 7 = 42.' });
  });

  it('answers 400 to an invalid body or conversation id, and stores nothing', async () => {
    await user.post('/chat/bad').send({}).expect(400);
    await user.post('/chat/bad').send({ message: 42 }).expect(400);
    await user.post('/chat/bad').send({ message: 'x', role: 'system' }).expect(400);
    const res = await user.post('/chat/has%20space').send({ message: 'hi' }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
    await user.get('/chat/bad/stream').expect(400);
    // The user has no such conversation: the conversations API answers 404.
    await history('bad').expect(404);
  });

  it('streams the answer word by word and records it once the stream ends', async () => {
    await user.post('/chat/s1').send({ message: 'my name is Linus' }).expect(200);
    const res = await user.get('/chat/s1/stream?message=what%20is%20my%20name').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = [...res.text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
    expect(events).toEqual(['Your ', 'name ', 'is ', 'Linus.']);
    const turns = await history('s1').expect(200);
    expect(turns.body.slice(2)).toEqual([
      stored('user', 'what is my name'),
      stored('assistant', 'Your name is Linus.'),
    ]);
  });

  it('streams the tool steps as `step` events, then the answer, and stores them all in order', async () => {
    const res = await user.get(`/chat/s3/stream?message=${encodeURIComponent('What is 12 * 7?')}`);
    expect(res.status).toBe(200);
    // Each event: its type (`event:`, `message` when absent) and its data.
    const events = res.text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => ({
        type: /^event: (.*)$/m.exec(block)?.[1] ?? 'message',
        data: /^data: (.*)$/m.exec(block)?.[1],
      }));
    const callId = JSON.parse(events[0].data ?? '{}').toolCalls?.[0]?.id;
    expect(events).toEqual([
      {
        type: 'step',
        data: JSON.stringify({
          role: 'assistant',
          content: '',
          toolCalls: [{ id: callId, name: 'calculator', arguments: '{"expression":"12 * 7"}' }],
        }),
      },
      {
        type: 'step',
        data: JSON.stringify({
          role: 'tool',
          toolCallId: callId,
          name: 'calculator',
          content: '84',
        }),
      },
      ...['12 ', '* ', '7 ', '= ', '84'].map((data) => ({ type: 'message', data })),
    ]);
    // The owner's history (the cookie's user): the message, the tool call, its result, the answer.
    const turn = (await user.get('/chat/s3/history').expect(200)).body;
    expect(turn).toEqual([
      stored('user', 'What is 12 * 7?'),
      stored('assistant', '', {
        toolCalls: [{ id: callId, name: 'calculator', arguments: '{"expression":"12 * 7"}' }],
      }),
      stored('tool', '84', { toolCallId: callId, name: 'calculator' }),
      stored('assistant', '12 * 7 = 84'),
    ]);
  });

  it('records what was streamed, marked, when the client leaves early', async () => {
    const long = 'a b c d e f g h i j k l m n o p q r s t u v w x y z';
    await readThenDisconnect(`${url}/chat/s2/stream?message=${encodeURIComponent(long)}`, 'said', {
      headers: { cookie: `chat_user=${USER}` },
    });
    await expect
      .poll(async () => (await history('s2')).body, { timeout: 5000, interval: 50 })
      .toHaveLength(2);
    const [, assistant] = (await history('s2')).body;
    expect(assistant.content).toMatch(/^You said: .* \[interrupted\]$/);
    expect(assistant.content.length).toBeLessThan(`You said: "${long}"`.length);
    expect(assistant.metadata).toEqual({ interrupted: true });
  });

  it('calls the calculator, stores the tool call, result and answer, and replays them later', async () => {
    const res = await user.post('/chat/calc').send({ message: 'What is 12 * 7?' }).expect(200);
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
    await user
      .post('/chat/calc')
      .send({ message: 'What did you calculate before?' })
      .expect(200, { reply: 'Before, I calculated 12 * 7 = 84.' });
    const next = await user
      .post('/chat/calc')
      .send({ message: 'and what is that + 1?' })
      .expect(200);
    expect(next.body.reply).toBe('84 + 1 = 85');
    expect(next.body.steps[0].toolCalls[0].arguments).toBe('{"expression":"84 + 1"}');
    // The same question elsewhere has no earlier result to use.
    await user
      .post('/chat/calc-empty')
      .send({ message: 'what is that + 1?' })
      .expect(200)
      .expect((r) => expect(r.body.reply).toMatch(/^I have no earlier result/));
  });

  it('stores a failed calculation as the tool result the answer reports', async () => {
    const res = await user
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
    const ui = await user.get('/chat/ai/ai-sdk').expect(200);
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
    await user
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
    await history('ai-bad').expect(404);
  });

  it('keeps the conversations API behind the x-api-key guard', async () => {
    await user.post('/chat/g1').send({ message: 'secret stuff' }).expect(200);
    await user.get('/chat-memory/conversations/g1/messages').expect(403);
    await user.get('/chat-memory/conversations/g1/messages').set('x-api-key', 'wrong').expect(403);
    await user.delete('/chat-memory/conversations/g1').expect(403);
    await user
      .get('/chat-memory/conversations/g1')
      .set(ADMIN)
      .expect(200, { conversationId: 'g1', count: 2, ttlSeconds: null });
    await user.delete('/chat-memory/conversations/g1').set(ADMIN).expect(204);
    expect(await app.get(ChatMemoryService).forOwner(USER).count('g1')).toBe(0);
  });

  it('serves the chat page, its script and its styles, with their content types and nothing from elsewhere', async () => {
    const page = await request(url).get('/').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self';/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Every file the page loads is the app's own (the favicon is a blank data: URL).
    expect([...page.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1])).toEqual([
      'data:,',
      '/styles.css',
      '/app.js',
    ]);
    const script = await request(url).get('/app.js').expect(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('new EventSource(');
    const styles = await request(url).get('/styles.css').expect(200);
    expect(styles.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(styles.text).toContain('.message.tool-call');
    await request(url).get('/index.html').expect(404);
    await request(url).get('/../package.json').expect(404);
  });

  it('signs in with a name in an HttpOnly, SameSite=Lax cookie, and signs out', async () => {
    const res = await request(url)
      .post('/session')
      .send({ name: 'ada' })
      .expect(200, { name: 'ada' });
    expect(res.headers['set-cookie']).toEqual([
      'chat_user=ada; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax',
    ]);
    await request(url)
      .get('/session')
      .set('Cookie', 'x=1; chat_user=ada')
      .expect(200, { name: 'ada' });
    await request(url).get('/session').expect(200, { name: null });
    const out = await request(url).delete('/session').set('Cookie', 'chat_user=ada').expect(204);
    expect(out.headers['set-cookie']).toEqual([
      'chat_user=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
    ]);
    // Names are short and of safe characters only.
    for (const name of ['', 'a b', '<b>', 'x'.repeat(33), '-x', 'é', 42, null]) {
      await request(url).post('/session').send({ name }).expect(400);
    }
    await request(url).post('/session').send({ name: 'ada', admin: true }).expect(400);
  });

  it('answers 401 on every memory route without a signed-in user, and stores nothing', async () => {
    for (const cookie of ['', 'chat_user=', 'chat_user=a%20b', 'chat_user=<b>', 'user=ada']) {
      const as = (test: request.Test) => test.set('Cookie', cookie);
      const responses = await Promise.all([
        as(request(url).post('/chat/anon')).send({ message: 'hi' }),
        as(request(url).get('/chat/anon/stream?message=hi')),
        as(request(url).get('/chat/anon/history')),
        as(request(url).get('/chat/anon/window')),
        as(request(url).get('/chat')),
        as(request(url).post('/chat/anon/ai-sdk')).send({ messages: [userUI('u', 'hi')] }),
        as(request(url).get('/chat/anon/ai-sdk')),
        as(request(url).get('/chat-memory/conversations/anon/messages')).set(ADMIN),
      ]);
      expect(responses.map((r) => [r.status, r.body.error])).toEqual(
        responses.map(() => [401, 'Unauthorized']),
      );
    }
    expect(await app.get(ChatMemoryService).count('anon')).toBe(0);
  });

  it("keeps users' conversations apart, and lists each user's with its memory window", async () => {
    const ada = await signedIn(url, 'ada');
    const bob = await signedIn(url, 'bob');
    // The same conversation id, two conversations.
    await ada.post('/chat/shared').send({ message: 'my name is Ada' }).expect(200);
    await bob
      .post('/chat/shared')
      .send({ message: "what's my name?" })
      .expect(200)
      .expect((res) => expect(res.body.reply).toMatch(/haven't told me your name/));
    const bobs = (await bob.get('/chat/shared/history').expect(200)).body as ChatMessage[];
    expect(bobs.map((m) => m.content)).toEqual([
      "what's my name?",
      "You haven't told me your name yet (or it slid out of my memory window).",
    ]);

    // GET /chat: the caller's conversations, titled after their first message (generateTitle).
    await expect
      .poll(async () => (await ada.get('/chat').expect(200)).body, { timeout: 5000, interval: 50 })
      .toEqual({
        conversations: [
          {
            id: 'shared',
            createdAt: expect.any(Number),
            updatedAt: expect.any(Number),
            messageCount: 2,
            title: 'my name is Ada',
            metadata: null,
          },
        ],
        nextCursor: null,
      });
    await ada.get('/chat?cursor=nonsense').expect(400);

    // GET /chat/:id/window: what the memory keeps of it, against the configured window.
    const adas = (await ada.get('/chat/shared/history').expect(200)).body as ChatMessage[];
    await ada.get('/chat/shared/window').expect(200, {
      messages: 2,
      turns: 1,
      maxTurns: 3,
      tokens: adas.reduce((sum, m) => sum + estimateTokens(m), 0),
      maxTokens: null,
      ttlSeconds: null,
      configuredTtlSeconds: null,
    });
    await bob.get('/chat/none/window').expect(200, {
      messages: 0,
      turns: 0,
      maxTurns: 3,
      tokens: 0,
      maxTokens: null,
      ttlSeconds: null,
      configuredTtlSeconds: null,
    });
  });
});

describe('example chat app when Redis goes down', () => {
  let server: TestRedisServer;
  let app: INestApplication;
  let user: Agent;
  beforeAll(async () => {
    server = await startRedisServer();
    let url: string;
    ({ app, url } = await startApp({
      REDIS_URL: server.url,
      CHAT_KEY_PREFIX: uniquePrefix('down'),
    }));
    user = await signedIn(url, USER);
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 503, keeps running, and serves again when Redis is back', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await user.post('/chat/c').send({ message: 'hi' }).expect(200);
    await server.stop();
    // The chat endpoint needs the history to answer.
    const down = await user.post('/chat/c').send({ message: 'hi' }).expect(503);
    expect(down.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Conversation memory is unavailable',
    });
    await user.get('/chat-memory/conversations/c/messages').set(ADMIN).expect(503);
    await server.restart();
    await expect
      .poll(
        // The user's conversations (`c` itself is gone: Redis restarted without persistence).
        async () => (await user.get('/chat-memory/conversations').set(ADMIN)).status,
        { timeout: 8000, interval: 200 },
      )
      .toBe(200);
  });
});
