import {
  Body,
  Controller,
  Get,
  HttpCode,
  ImATeapotException,
  Logger,
  Module,
  Post,
  Query,
  Res,
  Sse,
  StreamableFile,
  type INestApplication,
  type MessageEvent,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  ChatMemoryModule,
  ChatMemoryService,
  ChatMemoryStoreError,
  ConversationHistory,
  InvalidMessageError,
  RecordChatTurn,
  type ChatMessage,
  type ChatMessageInput,
  type ChatTurnRecordErrorContext,
  type RecordChatTurnOptions,
} from 'nestjs-chat-memory';
import { interval, map, take, type Observable } from 'rxjs';
import request from 'supertest';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { HTTP_ADAPTERS, readThenDisconnect, startHttpApp } from './support/http-apps.js';
import { redisUrl, SCRIPT_COMMANDS, sleep, uniquePrefix } from './support/helpers.js';

/** Every `onRecordError` call of the test controllers. */
const recordErrors: { error: unknown; conversationId: string | undefined }[] = [];
const onRecordError = (error: unknown, context: ChatTurnRecordErrorContext) => {
  recordErrors.push({ error, conversationId: context.conversationId });
};
/** For GET routes (SSE, chunked text): the message is a query parameter. */
const fromQuery: RecordChatTurnOptions = {
  message: (req) => req.query?.message,
  onRecordError,
};

/** An agent's stream: its steps as `{ type: 'step', data: message }` events, its words as `{ data }`. */
const agentStream: RecordChatTurnOptions = {
  ...fromQuery,
  chunk: (event) => (event as MessageEvent).data as string | ChatMessageInput,
};
const CALL_STEP: MessageEvent = {
  type: 'step',
  data: {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: 'call-1', name: 'calculator', arguments: '{"expression":"6*7"}' }],
  },
};
const RESULT_STEP: MessageEvent = {
  type: 'step',
  data: { role: 'tool', toolCallId: 'call-1', name: 'calculator', content: '42' },
};

@Controller('chat')
@RecordChatTurn({ onRecordError })
class RecordingController {
  @Post(':conversationId')
  @HttpCode(200)
  chat(@Body('message') message: string, @ConversationHistory() history: ChatMessage[]) {
    return { reply: `${message} (after ${history.length})` };
  }

  @Post(':conversationId/plain')
  plain(@Body('message') message: string): string {
    return `plain: ${message}`;
  }

  @Post('anonymous/by-header')
  @HttpCode(200)
  byHeader(@Body('message') message: string) {
    return { content: `header: ${message}` };
  }

  @Post('anonymous/by-body')
  @HttpCode(200)
  byBody(@Body('message') message: string) {
    return { reply: `body: ${message}` };
  }

  @Post(':conversationId/custom')
  @RecordChatTurn({
    conversationId: (req) => `custom-${String(req.params?.conversationId)}`,
    message: (req) => (req.body as { prompt?: string }).prompt,
    answer: (result) => (result as { text: string }).text.toUpperCase(),
  })
  custom(@Body('prompt') prompt: string) {
    return { text: `custom ${prompt}` };
  }

  @Post(':conversationId/observable')
  observable(@Body('message') message: string): Observable<string> {
    // A plain route sends the last value of an Observable.
    return interval(5).pipe(
      take(2),
      map((i) => `${message} ${i}`),
    );
  }

  @Post(':conversationId/broken-option')
  @RecordChatTurn({
    answer: () => {
      throw new Error('the answer option broke');
    },
    onRecordError,
  })
  brokenOption() {
    return { reply: 'fine' };
  }

  @Post(':conversationId/throws')
  throws(): never {
    throw new ImATeapotException('no tea today');
  }

  @Post(':conversationId/no-answer')
  noAnswer() {
    return { something: 'else' };
  }

  @Sse(':conversationId/sse')
  @RecordChatTurn(fromQuery)
  sse(@Query('message') message: string): Observable<MessageEvent> {
    const words = `You said ${message}`.split(' ');
    return interval(5).pipe(
      take(words.length),
      map((i) => ({ data: i === 0 ? words[i] : ` ${words[i]}` })),
    );
  }

  @Sse(':conversationId/sse-agent')
  @RecordChatTurn(agentStream)
  sseAgent(): Observable<MessageEvent> {
    const events = [CALL_STEP, RESULT_STEP, { data: 'It is' }, { data: ' 42.' }];
    return interval(5).pipe(
      take(events.length),
      map((i) => events[i]),
    );
  }

  @Sse(':conversationId/sse-agent-endless')
  @RecordChatTurn(agentStream)
  sseAgentEndless(): Observable<MessageEvent> {
    return interval(20).pipe(
      map((i) => (i === 0 ? CALL_STEP : i === 1 ? RESULT_STEP : { data: `w${i - 2} ` })),
    );
  }

  /** A tool call, then nothing: the tool never answers. */
  @Sse(':conversationId/sse-agent-stuck')
  @RecordChatTurn(agentStream)
  sseAgentStuck(): Observable<MessageEvent> {
    return interval(20).pipe(map((i) => (i === 0 ? CALL_STEP : { data: '' })));
  }

  @Sse(':conversationId/sse-history')
  @RecordChatTurn(fromQuery)
  sseHistory(@ConversationHistory() history: ChatMessage[]): Observable<string> {
    return interval(5).pipe(
      take(2),
      map((i) => (i === 0 ? `after ${history.length}` : ' messages')),
    );
  }

  @Sse(':conversationId/sse-fails')
  @RecordChatTurn(fromQuery)
  sseFails(): Observable<string> {
    return interval(5).pipe(
      map((i) => {
        if (i === 2) throw new Error('the model went away');
        return `part${i} `;
      }),
    );
  }

  @Sse(':conversationId/sse-endless')
  @RecordChatTurn(fromQuery)
  sseEndless(): Observable<string> {
    return interval(20).pipe(map((i) => `w${i} `));
  }

  @Sse(':conversationId/sse-endless-skip')
  @RecordChatTurn({ ...fromQuery, onDisconnect: 'skip' })
  sseEndlessSkip(): Observable<string> {
    return interval(20).pipe(map((i) => `w${i} `));
  }

  @Get(':conversationId/chunks')
  @RecordChatTurn(fromQuery)
  async *chunks(@Query('message') message: string): AsyncGenerator<string | Uint8Array> {
    yield 'Chunked ';
    // "é" split between two byte chunks
    yield Buffer.from([0x72, 0xc3]);
    yield Buffer.from([0xa9, 0x70, 0x6c, 0x79]);
    yield ` to ${message}`;
  }

  @Get(':conversationId/chunks-endless')
  @RecordChatTurn(fromQuery)
  async *chunksEndless(): AsyncGenerator<string> {
    for (let i = 0; i < 2000; i++) {
      await sleep(20);
      yield `c${i} `;
    }
  }

  @Get(':conversationId/res')
  res(@Res() res: { status(code: number): { send(body: string): void } }): void {
    res.status(200).send('manual');
  }

  @Get(':conversationId/file')
  file(): StreamableFile {
    return new StreamableFile(Buffer.from('file content'));
  }

  /** An agent step: the answer option returns (a promise of) the tool call, its result and the reply. */
  @Post(':conversationId/agent')
  @RecordChatTurn({
    onRecordError,
    answer: async (result) => (result as { steps: ChatMessageInput[] }).steps,
    message: (req) => {
      const body = req.body as { message: string; imageUrl?: string };
      return body.imageUrl === undefined
        ? body.message
        : {
            role: 'user',
            content: [
              { type: 'text', text: body.message },
              { type: 'image', url: body.imageUrl },
            ],
            metadata: { via: 'test' },
          };
    },
  })
  agent(@Body('message') message: string) {
    const steps: ChatMessageInput[] = [
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"UTC"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', name: 'clock', content: '12:00' },
      { role: 'assistant', content: `It is noon, ${message}.` },
    ];
    return { reply: `It is noon, ${message}.`, steps };
  }

  /** The answer option returns something that is not an answer (a user message). */
  @Post(':conversationId/bad-steps')
  @RecordChatTurn({ onRecordError, answer: () => [{ role: 'user', content: 'not an answer' }] })
  badSteps() {
    return { reply: 'ok' };
  }
}

/**
 * A feature module that does not import ChatMemoryModule: the global instance of the root module
 * is visible there. (Without it, the app does not boot: test/decorator-boot-checks.e2e-spec.ts.)
 */
@Module({ controllers: [RecordingController] })
class FeatureModule {}

const rootModule = (options: Parameters<typeof ChatMemoryModule.forRoot>[0]) => ({
  imports: [ChatMemoryModule.forRoot({ ...options, isGlobal: true }), FeatureModule],
});

describe.each(HTTP_ADAPTERS)('@RecordChatTurn on %s', (_name, adapter) => {
  let app: INestApplication;
  let url: string;
  let memory: ChatMemoryService;
  let warn: MockInstance<Logger['warn']>;

  beforeAll(async () => {
    ({ app, url } = await startHttpApp(
      adapter,
      rootModule({ url: redisUrl(), config: { keyPrefix: uniquePrefix('rec'), maxTurns: 50 } }),
    ));
    memory = app.get(ChatMemoryService);
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => {
    recordErrors.length = 0;
    warn = vi.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => vi.restoreAllMocks());

  const warnings = () => warn.mock.calls.map((call) => String(call[0]));
  /** The stored messages as `{ role, content }`, after checking each has an id and a time. */
  const textTurns = async (conversationId: string) => {
    const history = await memory.getHistory(conversationId);
    for (const message of history) {
      expect(message.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(message.createdAt).toBeTypeOf('number');
    }
    return history.map(({ role, content }) => ({ role, content }));
  };

  it('records the tool steps an answer option returns, with the user message, in one write', async () => {
    const res = await request(url)
      .post('/chat/ag1/agent')
      .send({ message: 'Ada', imageUrl: 'https://example.com/cat.png' })
      .expect(201);
    expect(res.body.reply).toBe('It is noon, Ada.');
    const history = await memory.getHistory('ag1');
    expect(history.map(({ id: _id, createdAt: _at, ...rest }) => rest)).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Ada' },
          { type: 'image', url: 'https://example.com/cat.png' },
        ],
        metadata: { via: 'test' },
      },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"UTC"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', name: 'clock', content: '12:00' },
      { role: 'assistant', content: 'It is noon, Ada.' },
    ]);
    // One write: the ids were made in one go, in order.
    const ids = history.map((m) => m.id as string);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(history.map((m) => m.createdAt)).size).toBe(1);
    expect(recordErrors).toEqual([]);
  });

  it('records nothing, and logs why, when the answer option returns a message that is not an answer', async () => {
    await request(url)
      .post('/chat/ag2/bad-steps')
      .send({ message: 'x' })
      .expect(201, { reply: 'ok' });
    expect(await memory.count('ag2')).toBe(0);
    expect(recordErrors).toHaveLength(1);
    expect(recordErrors[0].error).toBeInstanceOf(InvalidMessageError);
    expect(warnings().join('\n')).toContain('assistant[0].role: must have role assistant or tool');
  });

  it('records the message and the answer, and gives the handler the history before the turn', async () => {
    await request(url)
      .post('/chat/c1')
      .send({ message: 'hello' })
      .expect(200, { reply: 'hello (after 0)' });
    // Written before the response was sent: no polling needed.
    expect(await textTurns('c1')).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hello (after 0)' },
    ]);
    await request(url)
      .post('/chat/c1')
      .send({ message: 'again' })
      .expect(200, { reply: 'again (after 2)' });
    expect(await memory.count('c1')).toBe(4);
  });

  it('takes a string result as the answer', async () => {
    await request(url).post('/chat/c2/plain').send({ message: 'hi' }).expect(201, 'plain: hi');
    expect(await textTurns('c2')).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'plain: hi' },
    ]);
  });

  it('takes the last value of an Observable on a plain route, as sent', async () => {
    await request(url).post('/chat/c6/observable').send({ message: 'obs' }).expect(201, 'obs 1');
    expect(await textTurns('c6')).toEqual([
      { role: 'user', content: 'obs' },
      { role: 'assistant', content: 'obs 1' },
    ]);
  });

  it('finds the conversation id in the x-conversation-id header or in the body', async () => {
    await request(url)
      .post('/chat/anonymous/by-header')
      .set('x-conversation-id', 'from-header')
      .send({ message: 'm1' })
      .expect(200);
    expect(await textTurns('from-header')).toEqual([
      { role: 'user', content: 'm1' },
      { role: 'assistant', content: 'header: m1' },
    ]);
    await request(url)
      .post('/chat/anonymous/by-body')
      .send({ message: 'm2', conversationId: 'from-body' })
      .expect(200);
    expect(await textTurns('from-body')).toEqual([
      { role: 'user', content: 'm2' },
      { role: 'assistant', content: 'body: m2' },
    ]);
  });

  it('uses the options of the handler over those of the class', async () => {
    await request(url)
      .post('/chat/c3/custom')
      .send({ prompt: 'p' })
      .expect(201, { text: 'custom p' });
    expect(await textTurns('custom-c3')).toEqual([
      { role: 'user', content: 'p' },
      { role: 'assistant', content: 'CUSTOM P' },
    ]);
    expect(await memory.count('c3')).toBe(0);
  });

  it('records nothing when the handler throws, and its error reaches the client unchanged', async () => {
    const res = await request(url).post('/chat/c4/throws').send({ message: 'tea?' }).expect(418);
    expect(res.body).toEqual({ statusCode: 418, error: "I'm a teapot", message: 'no tea today' });
    expect(await memory.count('c4')).toBe(0);
    expect(recordErrors).toEqual([]);
  });

  it('logs and reports a turn it cannot record, and answers as usual', async () => {
    await request(url)
      .post('/chat/c5/no-answer')
      .send({ message: 'x' })
      .expect(201, { something: 'else' });
    expect(await memory.count('c5')).toBe(0);
    expect(warnings()).toContain(
      'Could not record the chat turn of conversation "c5": no answer in the handler result (a string, a string reply or content field, or the message(s) the answer option returns)',
    );
    expect(recordErrors).toHaveLength(1);
    expect(recordErrors[0].conversationId).toBe('c5');
    // No message in the body: the same.
    await request(url).post('/chat/c5/plain').send({}).expect(201);
    expect(await memory.count('c5')).toBe(0);
    expect(recordErrors).toHaveLength(2);
  });

  it('treats an option function that throws as a recording failure, not a request failure', async () => {
    await request(url)
      .post('/chat/c7/broken-option')
      .send({ message: 'x' })
      .expect(201, { reply: 'fine' });
    expect(await memory.count('c7')).toBe(0);
    expect(recordErrors).toHaveLength(1);
    expect(recordErrors[0]).toMatchObject({ conversationId: 'c7' });
    expect((recordErrors[0].error as Error).message).toBe('the answer option broke');
  });

  it('answers 400 when the history is wanted for an invalid conversation id, and writes nothing', async () => {
    const res = await request(url).post('/chat/has%20space').send({ message: 'x' }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
  });

  it('records an @Sse() stream once, concatenated, when it completes', async () => {
    const res = await request(url).get('/chat/s1/sse?message=streams').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.text).toContain('data: You');
    expect(res.text).toContain('data:  streams');
    expect(await textTurns('s1')).toEqual([
      { role: 'user', content: 'streams' },
      { role: 'assistant', content: 'You said streams' },
    ]);
  });

  it('gives an @Sse() handler the history, and answers 400 before the stream for an invalid id', async () => {
    await request(url).get('/chat/s4/sse-history?message=one').expect(200);
    const res = await request(url).get('/chat/s4/sse-history?message=two').expect(200);
    expect(res.text).toContain('data: after 2');
    expect(await textTurns('s4')).toEqual([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'after 0 messages' },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'after 2 messages' },
    ]);
    const bad = await request(url).get('/chat/a%20b/sse-history?message=x').expect(400);
    expect(bad.body).toMatchObject({ statusCode: 400, field: 'conversationId' });
  });

  it('records nothing when an @Sse() stream fails', async () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const res = await request(url).get('/chat/s5/sse-fails?message=x').expect(200);
    expect(res.text).toContain('data: part1');
    expect(res.text).toContain('event: error');
    expect(error).toHaveBeenCalled();
    expect(await memory.count('s5')).toBe(0);
    expect(recordErrors).toEqual([]);
  });

  it('records what was sent, marked, when the client leaves an @Sse() stream early', async () => {
    const received = await readThenDisconnect(`${url}/chat/s2/sse-endless?message=go`, 'w2 ');
    expect(received).toContain('data: w0');
    await expect
      .poll(() => memory.getHistory('s2'), { timeout: 5000, interval: 50 })
      .toHaveLength(2);
    const [user, assistant] = await memory.getHistory('s2');
    expect(user).toMatchObject({ role: 'user', content: 'go' });
    expect(user.metadata).toBeUndefined();
    expect(assistant.role).toBe('assistant');
    expect(assistant.content).toMatch(/^w0 w1 w2 (w\d+ )* \[interrupted\]$/);
    expect(assistant.metadata).toEqual({ interrupted: true });
  });

  it('records the agent steps a stream sent, in order, with its text as the answer', async () => {
    const res = await request(url).get('/chat/s6/sse-agent?message=6*7').expect(200);
    expect(res.text).toContain('event: step');
    const history = await memory.getHistory('s6');
    expect(
      history.map(({ role, content, toolCalls, toolCallId }) => ({
        role,
        content,
        toolCalls,
        toolCallId,
      })),
    ).toEqual(
      [
        { role: 'user', content: '6*7' },
        {
          role: 'assistant',
          content: '',
          toolCalls: (CALL_STEP.data as ChatMessageInput).toolCalls,
        },
        { role: 'tool', content: '42', toolCallId: 'call-1' },
        { role: 'assistant', content: 'It is 42.' },
      ].map((m) => ({ toolCalls: undefined, toolCallId: undefined, ...m })),
    );
  });

  it('keeps the finished steps of an agent stream the client left, and marks its text', async () => {
    await readThenDisconnect(`${url}/chat/s7/sse-agent-endless?message=go`, 'w1 ');
    await expect
      .poll(() => memory.getHistory('s7'), { timeout: 5000, interval: 50 })
      .toHaveLength(4);
    const [, call, result, answer] = await memory.getHistory('s7');
    expect([call.toolCalls?.[0].id, result.toolCallId]).toEqual(['call-1', 'call-1']);
    expect(answer.content).toMatch(/^w0 w1 (w\d+ )* \[interrupted\]$/);
    expect(answer.metadata).toEqual({ interrupted: true });
  });

  it('drops a tool call still waiting for its result when the client leaves, so the next turn is taken', async () => {
    await readThenDisconnect(`${url}/chat/s8/sse-agent-stuck?message=stuck`, 'call-1');
    await expect
      .poll(() => memory.getHistory('s8'), { timeout: 5000, interval: 50 })
      .toHaveLength(2);
    const [user, answer] = await memory.getHistory('s8');
    expect(user.content).toBe('stuck');
    expect(answer).toMatchObject({
      role: 'assistant',
      content: ' [interrupted]',
      metadata: { interrupted: true },
    });
    expect(answer.toolCalls).toBeUndefined();
    await memory.appendTurn('s8', 'again', 'fine');
    expect(await memory.count('s8')).toBe(4);
    expect(recordErrors).toEqual([]);
  });

  it('records nothing for an interrupted stream with onDisconnect: skip', async () => {
    await readThenDisconnect(`${url}/chat/s3/sse-endless-skip?message=go`, 'w2 ');
    // Give a wrongly made record time to land, then check none did.
    await sleep(300);
    expect(await memory.count('s3')).toBe(0);
  });

  it('records chunked text (an async iterable) when it completes, decoding split UTF-8', async () => {
    const res = await request(url).get('/chat/k1/chunks?message=you').expect(200);
    expect(res.text).toBe('Chunked réply to you');
    expect(await textTurns('k1')).toEqual([
      { role: 'user', content: 'you' },
      { role: 'assistant', content: 'Chunked réply to you' },
    ]);
  });

  it('records what was sent, marked, when the client leaves chunked text early', async () => {
    await readThenDisconnect(`${url}/chat/k2/chunks-endless?message=go`, 'c2 ');
    await expect
      .poll(() => memory.getHistory('k2'), { timeout: 5000, interval: 50 })
      .toHaveLength(2);
    const [, assistant] = await memory.getHistory('k2');
    expect(assistant.content).toMatch(/^c0 c1 c2 (c\d+ )* \[interrupted\]$/);
    expect(assistant.metadata).toEqual({ interrupted: true });
  });

  it('skips @Res() handlers and StreamableFile results with a one-time warning', async () => {
    await request(url).get('/chat/r1/res').expect(200, 'manual');
    await request(url).get('/chat/r1/res').expect(200, 'manual');
    await request(url).get('/chat/r1/file').expect(200);
    await request(url).get('/chat/r1/file').expect(200);
    expect(await memory.count('r1')).toBe(0);
    expect(warnings().filter((w) => w.includes('uses @Res()'))).toHaveLength(1);
    expect(warnings().filter((w) => w.includes('file or stream body'))).toHaveLength(1);
  });
});

describe.each(HTTP_ADAPTERS)('@RecordChatTurn with its own Redis on %s', (_name, adapter) => {
  let server: TestRedisServer;
  let app: INestApplication;
  let url: string;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    ({ app, url } = await startHttpApp(
      adapter,
      rootModule({ url: server.url, redisOptions: { commandTimeout: 500 } }),
    ));
    admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
  });
  afterAll(async () => {
    admin.disconnect();
    await app.close();
    await server.stop();
  });
  beforeEach(() => {
    recordErrors.length = 0;
  });
  afterEach(() => vi.restoreAllMocks());

  it('reads the history and records the turn in one round trip each', async () => {
    await request(url).post('/chat/warm-up').send({ message: 'x' }).expect(200);
    await admin.config('RESETSTAT');
    await request(url).post('/chat/rt').send({ message: 'hello' }).expect(200);
    const stats = await admin.info('commandstats');
    const calls = Object.fromEntries(
      [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
    );
    // Commands the append script runs inside Redis are counted too, but are no round trips.
    for (const name of ['config', 'info', ...SCRIPT_COMMANDS]) delete calls[name];
    expect(calls).toEqual({ lrange: 1, evalsha: 1 });
  });

  it('keeps answering when Redis stops: the failure is logged with the conversation id and reported', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await request(url).post('/chat/down/plain').send({ message: 'before' }).expect(201);
    await server.stop();
    try {
      await request(url)
        .post('/chat/down/plain')
        .send({ message: 'during' })
        .expect(201, 'plain: during');
      expect(
        warn.mock.calls.some((call) =>
          String(call[0]).startsWith('Could not record the chat turn of conversation "down"'),
        ),
      ).toBe(true);
      expect(recordErrors).toHaveLength(1);
      expect(recordErrors[0].conversationId).toBe('down');
      expect(recordErrors[0].error).toBeInstanceOf(ChatMemoryStoreError);
      // The history cannot be read: a handler that needs it answers 503, SSE ones included.
      await request(url).post('/chat/down').send({ message: 'x' }).expect(503);
      await request(url).get('/chat/down/sse-history?message=x').expect(503);
    } finally {
      await server.restart();
    }
    await expect
      .poll(
        async () => (await request(url).post('/chat/down/plain').send({ message: 'after' })).status,
        {
          timeout: 8000,
          interval: 200,
        },
      )
      .toBe(201);
  });
});
