import { Logger, type INestApplication } from '@nestjs/common';
import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  ChatMemoryModule,
  ChatMemoryService,
  InMemoryChatMemoryStore,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidMessageError,
  InvalidRoleError,
  type ChatContentPart,
  type ChatMemoryModuleOptions,
  type ChatMessage,
  type ChatMessageInput,
  type ChatToolCall,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { HTTP_ADAPTERS, startHttpApp } from './support/http-apps.js';
import { useChatMemoryModules } from './support/modules.js';

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const ANY_ULID = expect.stringMatching(ULID);
const ANY_TIME = expect.any(Number);

/** JSON has no negative zero: a documented exception to "read back deep-equal", -0 reads as 0. */
const withoutNegativeZero = <T>(value: T): T =>
  Object.is(value, -0)
    ? (0 as T)
    : Array.isArray(value)
      ? (value.map(withoutNegativeZero) as T)
      : value !== null && typeof value === 'object'
        ? (Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]),
          ) as T)
        : value;

/** Strings that JSON and UTF-8 handle specially: lone surrogates, line separators, quotes, NUL. */
const SPECIAL = [
  '\ud800',
  '\udfff',
  '\udbff\udc00',
  '\u2028',
  '\u2029',
  '\u0000',
  '"',
  '\\',
  'é',
  '😀',
];
const anyText = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...SPECIAL)), {
    maxLength: 5,
  })
  .map((pieces) => pieces.join(''));
const nonEmpty = fc
  .tuple(fc.constantFrom('a', 'Z', '\ud800', '😀'), anyText)
  .map(([a, b]) => a + b);
const jsonObject = fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
  noNullPrototype: true,
});
const withProviderData = { providerData: jsonObject };
const urlOrData = fc.oneof(
  fc.record({ url: anyText }, { noNullPrototype: true }),
  fc.record({ data: fc.base64String({ maxLength: 24 }) }, { noNullPrototype: true }),
);

const part = fc.oneof(
  fc.record(
    { type: fc.constant('text' as const), text: anyText, ...withProviderData },
    { requiredKeys: ['type', 'text'], noNullPrototype: true },
  ),
  fc.record(
    { type: fc.constant('reasoning' as const), text: anyText, ...withProviderData },
    { requiredKeys: ['type', 'text'], noNullPrototype: true },
  ),
  fc
    .tuple(
      urlOrData,
      fc.record(
        { mediaType: anyText, ...withProviderData },
        { requiredKeys: ['mediaType'], noNullPrototype: true },
      ),
    )
    .map(([source, rest]) => ({ type: 'image', ...source, ...rest }) as ChatContentPart),
  fc
    .tuple(
      urlOrData,
      fc.record(
        { mediaType: anyText, filename: anyText, ...withProviderData },
        { requiredKeys: ['mediaType'], noNullPrototype: true },
      ),
    )
    .map(([source, rest]) => ({ type: 'file', ...source, ...rest }) as ChatContentPart),
);
const content = fc.oneof(
  anyText,
  fc.array(part as fc.Arbitrary<ChatContentPart>, { maxLength: 4 }),
);
const toolCalls = fc
  .uniqueArray(
    fc.record(
      { id: nonEmpty, name: nonEmpty, arguments: anyText, ...withProviderData },
      { requiredKeys: ['id', 'name', 'arguments'], noNullPrototype: true },
    ),
    { minLength: 1, maxLength: 3, selector: (call) => call.id },
  )
  .map((calls) => calls as ChatToolCall[]);
const common = {
  content,
  name: nonEmpty,
  metadata: jsonObject,
  id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/),
  createdAt: fc.integer({ min: 0, max: 2 ** 47 }),
};
const messageInput = fc.oneof(
  fc.record(
    { role: fc.constantFrom('system' as const, 'user' as const), ...common },
    { requiredKeys: ['role', 'content'], noNullPrototype: true },
  ),
  fc.record(
    { role: fc.constant('assistant' as const), toolCalls, ...common },
    { requiredKeys: ['role', 'content'], noNullPrototype: true },
  ),
  fc.record(
    { role: fc.constant('tool' as const), toolCallId: nonEmpty, ...common },
    { requiredKeys: ['role', 'content', 'toolCallId'], noNullPrototype: true },
  ),
);
/**
 * The messages with tool calls paired as the window rules require: a tool message answers an open
 * call (an assistant message with that call is put before it when there is none), and open calls
 * get results (put in) before any other message.
 */
function paired(messages: readonly ChatMessageInput[]): ChatMessageInput[] {
  const out: ChatMessageInput[] = [];
  let open: string[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const callId = message.toolCallId!;
      if (!open.includes(callId)) {
        for (const id of open) out.push({ role: 'tool', toolCallId: id, content: '' });
        out.push({
          role: 'assistant',
          content: '',
          toolCalls: [{ id: callId, name: 'f', arguments: '' }],
        });
        open = [callId];
      }
      open = open.filter((id) => id !== callId);
    } else {
      for (const id of open) out.push({ role: 'tool', toolCallId: id, content: '' });
      open = message.toolCalls?.map((call) => call.id) ?? [];
    }
    out.push(message);
  }
  return out;
}

/** A batch of messages whose caller-given ids do not repeat, with tool calls paired. */
const batch = fc
  .uniqueArray(messageInput as fc.Arbitrary<ChatMessageInput>, {
    minLength: 1,
    maxLength: 5,
    selector: (message) => message.id ?? Symbol(),
  })
  .map(paired);

/** The stores every property runs on. */
const TARGETS: [string, () => ChatMemoryModuleOptions][] = [
  ['Redis', () => ({ url: redisUrl() })],
  ['the in-memory store', () => ({ store: new InMemoryChatMemoryStore() })],
];

describe.each(TARGETS)('the message model on %s', (_name, target) => {
  const boot = useChatMemoryModules(target, { closeAfter: 'all' });
  let memory: ChatMemoryService;
  let conversations = 0;
  const nextId = () => `c${++conversations}`;

  beforeAll(async () => {
    memory = (await boot({ config: { keyPrefix: uniquePrefix('model'), maxTurns: 500 } })).get(
      ChatMemoryService,
    );
  });

  it('reads back every message deep-equal to what was appended, plus id and createdAt, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (messages) => {
        const conversationId = nextId();
        const before = Date.now();
        const stored = await memory.append(conversationId, messages);
        const after = Date.now();
        const history = await memory.getHistory(conversationId);
        expect(history).toStrictEqual(stored);
        expect(history).toHaveLength(messages.length);
        expect(history).toStrictEqual(
          messages.map((input) => ({
            ...withoutNegativeZero(input),
            id: input.id ?? ANY_ULID,
            createdAt: input.createdAt ?? ANY_TIME,
          })),
        );
        const assignedTimes = history
          .filter((_, i) => messages[i].createdAt === undefined)
          .map((message) => message.createdAt as number);
        expect(assignedTimes.filter((t) => t < before || t > after)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('assigns time-ordered ids: later messages sort after earlier ones', async () => {
    const conversationId = nextId();
    for (let i = 0; i < 20; i++) {
      await memory.append(conversationId, i % 2 === 0 ? 'user' : 'assistant', `m${i}`);
    }
    await memory.append(conversationId, [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
    ]);
    const ids = (await memory.getHistory(conversationId)).map((m) => m.id as string);
    expect(ids).toHaveLength(22);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(22);
  });

  it('keeps append(id, role, content) and appendTurn(id, user, assistant) working, with strings or messages', async () => {
    const conversationId = nextId();
    const [first] = await memory.append(conversationId, 'user', 'Hi');
    expect(first).toStrictEqual({
      id: expect.stringMatching(ULID),
      role: 'user',
      content: 'Hi',
      createdAt: expect.any(Number),
    });
    await memory.append(conversationId, 'user', [{ type: 'text', text: 'parts' }]);
    const turn = await memory.appendTurn(
      conversationId,
      { role: 'user', content: 'What time is it?', metadata: { lang: 'en' } },
      [
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{}' }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '12:00' },
        { role: 'assistant', content: 'Noon.' },
      ],
    );
    expect(turn.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    await memory.appendTurn(conversationId, 'plain', 'text');
    const history = await memory.getHistory(conversationId);
    expect(history.map((m) => m.content)).toEqual([
      'Hi',
      [{ type: 'text', text: 'parts' }],
      'What time is it?',
      '',
      '12:00',
      'Noon.',
      'plain',
      'text',
    ]);
  });

  type Bad = [string, unknown, new (...args: never[]) => Error, string];
  const BAD: Bad[] = [
    ['not an object', 42, InvalidMessageError, 'message: must be a message object'],
    [
      'an unknown field',
      { role: 'user', content: 'x', tool_calls: [] },
      InvalidMessageError,
      'unknown field "tool_calls"',
    ],
    ['a bad role', { role: 'bot', content: 'x' }, InvalidRoleError, 'message.role must be one of'],
    [
      'content of the wrong type',
      { role: 'user', content: 42 },
      InvalidContentError,
      'a string or an array of parts',
    ],
    [
      'tool calls on a user message',
      { role: 'user', content: '', toolCalls: [{ id: 'a', name: 'b', arguments: '{}' }] },
      InvalidMessageError,
      'tool calls belong on assistant messages',
    ],
    [
      'parsed arguments',
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'b', arguments: {} }] },
      InvalidMessageError,
      'arguments: must be a string',
    ],
    [
      'an empty tool call list',
      { role: 'assistant', content: '', toolCalls: [] },
      InvalidMessageError,
      'non-empty array of tool calls',
    ],
    [
      'repeated tool call ids',
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'a', name: 'b', arguments: '' },
          { id: 'a', name: 'c', arguments: '' },
        ],
      },
      InvalidMessageError,
      'repeats the tool call id',
    ],
    [
      'a tool message without toolCallId',
      { role: 'tool', content: 'x' },
      InvalidMessageError,
      'needs toolCallId',
    ],
    [
      'toolCallId on an assistant message',
      { role: 'assistant', content: 'x', toolCallId: 'c' },
      InvalidMessageError,
      'toolCallId belongs on tool messages',
    ],
    [
      'an unknown part type',
      { role: 'user', content: [{ type: 'video', url: 'x' }] },
      InvalidMessageError,
      'content[0].type',
    ],
    [
      'an image with url and data',
      {
        role: 'user',
        content: [{ type: 'image', url: 'u', data: 'AA==', mediaType: 'image/png' }],
      },
      InvalidMessageError,
      'exactly one of url and data',
    ],
    [
      'image data without mediaType',
      { role: 'user', content: [{ type: 'image', data: 'AA==' }] },
      InvalidMessageError,
      'needs a mediaType',
    ],
    [
      'a file without mediaType',
      { role: 'user', content: [{ type: 'file', url: 'u' }] },
      InvalidMessageError,
      'a file part needs a mediaType',
    ],
    [
      'metadata that is not an object',
      { role: 'user', content: 'x', metadata: [1] },
      InvalidMessageError,
      'metadata: must be a JSON object',
    ],
    [
      'metadata that is not JSON',
      { role: 'user', content: 'x', metadata: { at: new Date(0) } },
      InvalidMessageError,
      'metadata.at: is not JSON',
    ],
    [
      'a NaN in providerData',
      { role: 'user', content: [{ type: 'text', text: 'x', providerData: { n: Number.NaN } }] },
      InvalidMessageError,
      'providerData.n: is not JSON',
    ],
    [
      'an unsafe id',
      { id: '../etc', role: 'user', content: 'x' },
      InvalidMessageError,
      'message.id: must be 1-128 characters',
    ],
    [
      'a too long id',
      { id: 'a'.repeat(129), role: 'user', content: 'x' },
      InvalidMessageError,
      'message.id',
    ],
    [
      'a negative createdAt',
      { role: 'user', content: 'x', createdAt: -1 },
      InvalidMessageError,
      'createdAt: must be a non-negative integer',
    ],
    [
      'content over the limit',
      { role: 'user', content: [{ type: 'text', text: 'x'.repeat(2000) }] },
      InvalidContentError,
      'more than the limit of 1024 bytes',
    ],
    [
      'tool calls over the limit',
      {
        role: 'assistant',
        content: 'x'.repeat(600),
        toolCalls: [{ id: 'a', name: 'b', arguments: 'y'.repeat(600) }],
      },
      InvalidContentError,
      'content and tool calls are',
    ],
    [
      'metadata over the limit',
      { role: 'user', content: 'x', metadata: { big: 'x'.repeat(300) } },
      InvalidMessageError,
      'config.maxMetadataBytes',
    ],
  ];

  describe('with strict limits', () => {
    let strict: ChatMemoryService;
    beforeAll(async () => {
      strict = (
        await boot({
          config: {
            keyPrefix: uniquePrefix('strict'),
            maxContentBytes: 1024,
            maxMetadataBytes: 256,
          },
        })
      ).get(ChatMemoryService);
    });

    it.each(BAD)(
      'refuses %s with a typed error and writes nothing',
      async (_what, input, type, text) => {
        const conversationId = nextId();
        const error = await strict.append(conversationId, input as ChatMessageInput).then(
          () => new Error('stored'),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(type);
        expect((error as Error).message).toContain(text);
        // Also inside a batch: the good message before it is not written either.
        const inBatch = await strict
          .append(conversationId, [{ role: 'user', content: 'fine' }, input as ChatMessageInput])
          .then(
            () => new Error('stored'),
            (e: unknown) => e,
          );
        expect(inBatch).toBeInstanceOf(type);
        expect((inBatch as Error).message).toContain('messages[1]');
        expect(await strict.count(conversationId)).toBe(0);
      },
    );

    it('refuses a batch with a repeated id and a turn with the wrong roles or no answer; an empty batch stores nothing', async () => {
      const conversationId = nextId();
      await expect(
        strict.append(conversationId, [
          { id: 'm1', role: 'user', content: 'a' },
          { id: 'm1', role: 'assistant', content: 'b' },
        ]),
      ).rejects.toThrow('messages[1].id: repeats the id "m1"');
      // An empty list is not an error: nothing to store, and no round trip.
      await expect(strict.append(conversationId, [])).resolves.toEqual([]);
      await expect(strict.append('not valid', [])).rejects.toBeInstanceOf(
        InvalidConversationIdError,
      );
      await expect(strict.appendTurn(conversationId, 'x', [])).rejects.toThrow(
        'assistant: needs at least one message',
      );
      await expect(
        strict.appendTurn(conversationId, { role: 'assistant', content: 'x' }, 'y'),
      ).rejects.toThrow('user.role: must have role user');
      await expect(
        strict.appendTurn(conversationId, 'x', [{ role: 'user', content: 'y' }]),
      ).rejects.toThrow('assistant[0].role: must have role assistant or tool');
      await expect(strict.append(conversationId, 'tool', 'no call id')).rejects.toThrow(
        'needs toolCallId',
      );
      expect(await strict.count(conversationId)).toBe(0);
    });
  });
});

describe('stored entries on Redis', () => {
  // A server of its own, so that counting commands is not disturbed by other test files.
  let server: TestRedisServer;
  const boot = useChatMemoryModules(() => ({ url: server.url }), { closeAfter: 'all' });
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  async function service(config: ChatMemoryModuleOptions['config'] = {}) {
    const keyPrefix = uniquePrefix('entries');
    const memory = (await boot({ config: { keyPrefix, ...config } })).get(ChatMemoryService);
    return { memory, key: (id: string) => `${keyPrefix}:${id}` };
  }

  it('writes compact versioned JSON: a plain text message is at most 36 bytes larger than the Python format (30, and the token count)', async () => {
    const { memory, key } = await service();
    const [stored] = await memory.append('c', 'user', 'Hello there');
    const [entry] = await redis.lrange(key('c'), 0, -1);
    // "k" is the token count (estimateTokens: 4 + ceil(11 / 4)).
    expect(entry).toBe(`{"v":1,"i":"${stored.id}","k":7,"r":"user","c":"Hello there"}`);
    const python = JSON.stringify({ role: 'user', content: 'Hello there' });
    expect(entry.length - python.length).toBeLessThanOrEqual(30 + ',"k":7'.length);
  });

  it('stores createdAt only when the id does not carry it', async () => {
    const { memory, key } = await service();
    await memory.append('c', [
      { role: 'user', content: 'a' },
      { id: 'my-id', role: 'user', content: 'b', createdAt: 5 },
      { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', role: 'user', content: 'c' },
    ]);
    const entries = (await redis.lrange(key('c'), 0, -1)).map((e) => JSON.parse(e));
    expect(entries[0].t).toBeUndefined();
    expect(entries[1].t).toBe(5);
    // A caller-given ULID whose time differs from now keeps the real time in "t".
    expect(typeof entries[2].t).toBe('number');
    const history = await memory.getHistory('c');
    expect(history[1]).toMatchObject({ id: 'my-id', createdAt: 5 });
    expect(history[2].createdAt).toBe(entries[2].t);
  });

  it('reads entries of the Python original and of version 0.1 as { role, content }, among native ones', async () => {
    const { memory, key } = await service();
    await redis.rpush(
      key('mixed'),
      '{"role": "user", "content": "caf\\u00e9 \\ud83d\\ude00"}', // Python json.dumps
      '{"role":"assistant","content":"from 0.1"}',
    );
    await memory.append('mixed', 'user', 'native');
    const history = await memory.getHistory('mixed');
    expect(history[0]).toStrictEqual({ role: 'user', content: 'café 😀' });
    expect(history[1]).toStrictEqual({ role: 'assistant', content: 'from 0.1' });
    expect(history[2]).toMatchObject({
      role: 'user',
      content: 'native',
      id: expect.stringMatching(ULID),
    });
  });

  it('skips, with a warning, entries of an unknown version and entries whose fields have the wrong types', async () => {
    const { memory, key } = await service();
    const warn = vi.spyOn((memory as unknown as { logger: { warn: () => void } }).logger, 'warn');
    await redis.rpush(
      key('odd'),
      '{"v":2,"i":"x","r":"user","c":"from the future"}',
      '{"v":1,"i":"01ARZ3NDEKTSV4RRFFQ69G5FAV","r":"user","c":"ok"}',
      '{"v":1,"i":"01ARZ3NDEKTSV4RRFFQ69G5FAV","r":"user","c":"x","tc":"not an array"}',
      '{"v":1,"i":"no-time","r":"user","c":"no createdAt at all"}',
      '{"v":1,"i":"01ARZ3NDEKTSV4RRFFQ69G5FAV","r":"user","c":[null]}',
      '{"v":1,"i":"01ARZ3NDEKTSV4RRFFQ69G5FAV","r":"user","c":[{"type":"image"}]}',
      '{"v":1,"i":"01ARZ3NDEKTSV4RRFFQ69G5FAV","r":"assistant","c":"","tc":[{"id":"a","name":"b"}]}',
    );
    const history = await memory.getHistory('odd');
    expect(history).toEqual([
      { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', role: 'user', content: 'ok', createdAt: 1469922850259 },
    ]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('index 0, 2, 3, 4, 5, 6'));
  });

  it("with wireFormat 'ractogateway', writes exactly the Python original's entries and refuses what they cannot hold", async () => {
    const { memory, key } = await service({ wireFormat: 'ractogateway' });
    const stored = await memory.appendTurn('py', 'Hi "there"', {
      role: 'assistant',
      content: 'Hello',
    });
    expect(stored).toStrictEqual([
      { role: 'user', content: 'Hi "there"' },
      { role: 'assistant', content: 'Hello' },
    ]);
    await memory.append('py', 'system', 'Be brief.');
    expect(await redis.lrange(key('py'), 0, -1)).toEqual([
      '{"role":"user","content":"Hi \\"there\\""}',
      '{"role":"assistant","content":"Hello"}',
      '{"role":"system","content":"Be brief."}',
    ]);
    const refused: [ChatMessageInput, string][] = [
      [
        { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'b', arguments: '{}' }] },
        'toolCalls',
      ],
      [{ role: 'user', content: [{ type: 'text', text: 'x' }] }, 'content parts'],
      [{ role: 'user', content: 'x', metadata: {} }, 'metadata'],
      [{ role: 'tool', content: 'x', toolCallId: 'a' }, 'toolCallId'],
      [{ id: 'given', role: 'user', content: 'x' }, 'id'],
    ];
    for (const [input, what] of refused) {
      await expect(memory.append('py', [{ role: 'user', content: 'ok' }, input])).rejects.toThrow(
        new RegExp(`${what} cannot be stored with wireFormat 'ractogateway'`),
      );
    }
    expect(await redis.llen(key('py'))).toBe(3);
  });

  const evalshaCalls = async () => {
    const info = await redis.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };

  it('stores a batch in one round trip (one EVALSHA), trimmed to the window', async () => {
    const { memory } = await service({ maxTurns: 2 });
    await memory.append('warm', 'user', 'load the script');
    const before = await evalshaCalls();
    const messages: ChatMessage[] = Array.from({ length: 6 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `m${i}`,
    }));
    await memory.append('batch', messages);
    expect((await evalshaCalls()) - before).toBe(1);
    expect((await memory.getHistory('batch')).map((m) => m.content)).toEqual([
      'm2',
      'm3',
      'm4',
      'm5',
    ]);
  });
});

describe.each(HTTP_ADAPTERS)('messages through the opt-in controller on %s', (_name, adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    ({ app, url } = await startHttpApp(
      adapter,
      {
        imports: [
          ChatMemoryModule.forRoot({
            url: redisUrl(),
            config: { keyPrefix: uniquePrefix('ctl-model') },
            controller: true,
          }),
        ],
      },
      { filter: false },
    ));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app.close();
  });

  it('stores a message with tool calls, parts and metadata, answers it with its id, and reads it back', async () => {
    const call = {
      role: 'assistant',
      content: [{ type: 'reasoning', text: 'need the time', providerData: { signature: 'sig' } }],
      toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz": "UTC"}' }],
      metadata: { model: 'm1' },
    };
    const created = await request(url)
      .post('/chat-memory/conversations/h1/messages')
      .send(call)
      .expect(201);
    expect(created.body).toEqual({
      ...call,
      id: expect.stringMatching(ULID),
      createdAt: expect.any(Number),
    });
    await request(url)
      .post('/chat-memory/conversations/h1/messages')
      .send({ id: 'result-1', role: 'tool', toolCallId: 'call_1', content: '12:00' })
      .expect(201);
    const history = await request(url).get('/chat-memory/conversations/h1/messages').expect(200);
    expect(history.body).toEqual([
      created.body,
      {
        id: 'result-1',
        role: 'tool',
        toolCallId: 'call_1',
        content: '12:00',
        createdAt: expect.any(Number),
      },
    ]);
  });

  it.each([
    [{ role: 'tool', content: 'x' }, 'needs toolCallId'],
    [
      { role: 'user', content: 'x', toolCalls: [{ id: 'a', name: 'b', arguments: '{}' }] },
      'tool calls belong on assistant messages',
    ],
    [
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'b', arguments: { x: 1 } }] },
      'arguments: must be a string',
    ],
    [{ role: 'user', content: [{ type: 'image' }] }, 'exactly one of url and data'],
    [{ role: 'user', content: 'x', tool_calls: [] }, 'tool_calls should not exist'],
    [{ role: 'user', content: 'x', metadata: 'no' }, 'metadata must be an object'],
  ])('answers 400 to %j and stores nothing', async (body, message) => {
    const res = await request(url)
      .post('/chat-memory/conversations/h2/messages')
      .send(body)
      .expect(400);
    expect(JSON.stringify(res.body.message)).toContain(message);
    await request(url).get('/chat-memory/conversations/h2/messages').expect(200, []);
  });
});
