import { Logger, type INestApplication } from '@nestjs/common';
import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  CHAT_ROLES,
  ChatMemoryService,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidMessageError,
  InvalidRoleError,
  messageText,
  type ChatMessage,
  type ChatRole,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { ULID_PATTERN } from './support/helpers.js';
import { startExampleApp } from './support/http-apps.js';
import { useChatMemoryModules } from './support/modules.js';

// A redis-server of this file's own: every key in it must be one this file expects.
const PREFIX = 'hostile';
const MAX_CONTENT_BYTES = 2048;
const RUNS = 60;
const ID_PATTERN = /^[A-Za-z0-9_.:@=-]{1,128}$/;

let server: TestRedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

// Registered after the hook above, so its module is closed before that hook stops Redis (after
// hooks run in reverse order).
const bootForFile = useChatMemoryModules(() => ({}), { closeAfter: 'all' });
let memory: ChatMemoryService;
beforeAll(async () => {
  const moduleRef = await bootForFile({
    url: server.url,
    config: { keyPrefix: PREFIX, maxTurns: 1000, maxContentBytes: MAX_CONTENT_BYTES },
  });
  memory = moduleRef.get(ChatMemoryService);
});
/** The victim's entries as they were written, before each test. */
let victimEntries: string[] = [];
beforeEach(async () => {
  await redis.flushall();
  // A conversation no property may touch.
  await memory.appendTurn('victim', 'do not touch', 'me');
  victimEntries = await redis.lrange(`${PREFIX}:victim`, 0, -1);
});

const ANY_ID = expect.stringMatching(ULID_PATTERN);
const ANY_NUMBER = expect.any(Number);

async function expectVictimUntouched(): Promise<void> {
  expect(victimEntries.map((entry) => JSON.parse(entry) as unknown)).toEqual([
    { v: 1, i: expect.stringMatching(ULID_PATTERN), k: 7, r: 'user', c: 'do not touch' },
    { v: 1, i: expect.stringMatching(ULID_PATTERN), k: 5, r: 'assistant', c: 'me' },
  ]);
  await expect(redis.lrange(`${PREFIX}:victim`, 0, -1)).resolves.toEqual(victimEntries);
}

/** The call a tool message answers here. */
const CALL: ChatMessage = {
  role: 'assistant',
  content: '',
  toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }],
};

/** Stores one message the way its role needs: a tool message answers a tool call made with it. */
const appendOne = (id: string, message: ChatMessage) =>
  message.role === 'tool'
    ? memory.append(id, [CALL, { ...message, toolCallId: 'call_1' }])
    : memory.append(id, message.role, message.content);

/** The stored messages without the id and time the library added (after checking they are there). */
const withoutIdAndTime = (history: ChatMessage[]) =>
  history.map(({ id, createdAt, ...rest }) => {
    expect(id).toMatch(ULID_PATTERN);
    expect(createdAt).toEqual(expect.any(Number));
    return rest;
  });

// UTF-16 code units, lone surrogates included.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const special = fc.constantFrom(
  '{',
  '}',
  '*',
  ':',
  '?',
  '[',
  ']',
  '\\',
  '"',
  '\u0000',
  '\n',
  '\r',
  '\u2028',
  '\ud800',
  '\udfff',
  '😀',
  '__proto__',
  'constructor',
  '{"role":"system","content":"x"}',
  '%',
  '/',
);
/** Hostile strings: any Unicode, lone surrogates, control and glob characters, JSON fragments. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: codeUnit, maxLength: 80 }),
  fc.string({
    unit: fc.oneof(special, fc.string({ unit: 'grapheme-ascii', maxLength: 2 })),
    maxLength: 20,
  }),
  fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\ud800'), minLength: 500, maxLength: 1200 }),
);
const role = fc.constantFrom<ChatRole>(...CHAT_ROLES);
const chatMessage = fc
  .tuple(role, hostileString)
  .map(([r, content]): ChatMessage => ({ role: r, content }));
/**
 * Anything that is not a string: numbers, objects, arrays, null, objects with __proto__ keys...
 * except the empty array, which is valid content (a message with no parts).
 */
const nonString = fc
  .anything()
  .filter((v) => typeof v !== 'string' && !(Array.isArray(v) && v.length === 0));

/** The name of the error a call rejected with, or 'ok'. */
const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof Error ? error.constructor.name : String(error)),
  );

describe('hostile input through ChatMemoryService (property-based)', () => {
  const boot = useChatMemoryModules();

  it('any content is stored and read back exactly, or rejected as too large; nothing else is touched', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(chatMessage, { maxLength: 6 }), async (messages) => {
        const id = `conv-${n++}`;
        const stored: ChatMessage[] = [];
        for (const sent of messages) {
          const fits = Buffer.byteLength(messageText(sent), 'utf8') <= MAX_CONTENT_BYTES;
          const result = await outcome(appendOne(id, sent));
          expect(result).toBe(fits ? 'ok' : InvalidContentError.name);
          if (fits && sent.role === 'tool') stored.push(CALL, { ...sent, toolCallId: 'call_1' });
          else if (fits) stored.push(sent);
        }
        const history = await memory.getHistory(id);
        expect(withoutIdAndTime(history)).toStrictEqual(stored);
        // Byte for byte: the same UTF-16 code units, lone surrogates included.
        history.forEach((m, i) => expect(m.content === stored[i].content).toBe(true));
        await expect(memory.count(id)).resolves.toBe(stored.length);
      }),
      { numRuns: RUNS },
    );
    await expectVictimUntouched();
    const keys = await redis.keys('*');
    // Each conversation: its List, and its window hash.
    for (const key of keys) expect(key).toMatch(/^hostile:(victim|conv-\d+)(:w:\{hostile:\1\})?$/);
  });

  it('any conversation id is used as exactly one key in its namespace, or rejected with nothing written', async () => {
    const accepted = new Set<string>(['victim']);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9_.:@=*?[\]{}-]{1,20}$/)),
        hostileString,
        async (id, content) => {
          const valid = ID_PATTERN.test(id);
          const fits = Buffer.byteLength(content) <= MAX_CONTENT_BYTES;
          const calls: [() => Promise<unknown>, boolean][] = [
            [() => memory.append(id, 'user', 'x'), false],
            [() => memory.appendTurn(id, content, 'y'), true],
            [() => memory.getHistory(id), false],
            [() => memory.count(id), false],
            [() => memory.getTtl(id), false],
            [() => memory.clear(id), false],
          ];
          for (const [call, usesContent] of calls) {
            const expected = !valid
              ? InvalidConversationIdError.name
              : usesContent && !fits
                ? InvalidContentError.name
                : 'ok';
            await expect(outcome(call())).resolves.toBe(expected);
          }
          if (valid) {
            accepted.add(id);
            await memory.append(id, 'user', 'kept'); // after clear(): the only entry
          }
          await expectVictimUntouched();
        },
      ),
      { numRuns: RUNS },
    );
    // No key outside `${PREFIX}:<accepted id>`: glob characters never reached Redis as patterns.
    const keys = new Set(await redis.keys('*'));
    expect(keys).toEqual(
      new Set(
        [...accepted].flatMap((id) => [`${PREFIX}:${id}`, `${PREFIX}:${id}:w:{${PREFIX}:${id}}`]),
      ),
    );
    accepted.delete('victim');
    for (const id of accepted) {
      const entries = await redis.lrange(`${PREFIX}:${id}`, 0, -1);
      expect(entries.map((entry) => JSON.parse(entry) as unknown)).toEqual([
        { v: 1, i: expect.stringMatching(ULID_PATTERN), k: 5, r: 'user', c: 'kept' },
      ]);
    }
  });

  it('non-string ids, roles and contents are rejected with a typed error, and nothing is written', async () => {
    await fc.assert(
      fc.asyncProperty(nonString, async (value) => {
        const bad = value as string;
        await expect(memory.append(bad, 'user', 'x')).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
        await expect(memory.getHistory(bad)).rejects.toBeInstanceOf(InvalidConversationIdError);
        await expect(memory.append('c', bad as ChatRole, 'x')).rejects.toBeInstanceOf(
          InvalidRoleError,
        );
        // An array is taken for content parts, an object for a message: both are checked as such.
        const isObject = value !== null && typeof value === 'object';
        await expect(memory.append('c', 'user', bad)).rejects.toBeInstanceOf(
          Array.isArray(value) ? InvalidMessageError : InvalidContentError,
        );
        await expect(memory.appendTurn('c', bad, 'x')).rejects.toBeInstanceOf(
          isObject ? InvalidMessageError : InvalidContentError,
        );
        await expect(memory.appendTurn('c', 'x', bad)).rejects.toBeInstanceOf(
          isObject ? InvalidMessageError : InvalidContentError,
        );
      }),
      { numRuns: RUNS },
    );
    // Look-alikes: boxed strings and objects that stringify to a valid value.
    const lookAlikes = [new String('user'), { toString: () => 'user' }, ['user']] as unknown[];
    for (const value of lookAlikes) {
      await expect(memory.append('c', value as ChatRole, 'x')).rejects.toBeInstanceOf(
        InvalidRoleError,
      );
      await expect(memory.append('c', 'user', value as string)).rejects.toBeInstanceOf(
        Array.isArray(value) ? InvalidMessageError : InvalidContentError,
      );
    }
    await expect(memory.count('c')).resolves.toBe(0);
    await expectVictimUntouched();
    expect((await redis.keys('*')).sort()).toEqual([
      `${PREFIX}:victim`,
      `${PREFIX}:victim:w:{${PREFIX}:victim}`,
    ]);
  });

  it('roles outside the four known ones are rejected, whatever they look like', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (value) => {
        const known = (CHAT_ROLES as readonly string[]).includes(value);
        await expect(outcome(memory.append('r', value as ChatRole, 'x'))).resolves.toBe(
          known ? 'ok' : InvalidRoleError.name,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('huge strings: the limit is exact in UTF-8 bytes, and a 16 MiB string is refused without reaching Redis', async () => {
    const service = (await boot({ url: server.url, config: { keyPrefix: PREFIX } })).get(
      ChatMemoryService,
    );
    const limit = 64 * 1024;
    await service.append('huge', 'user', 'x'.repeat(limit));
    await service.append('huge', 'user', '€'.repeat(limit / 4) + 'x'.repeat(limit / 4)); // 3 bytes each
    await expect(service.append('huge', 'user', 'x'.repeat(limit + 1))).rejects.toBeInstanceOf(
      InvalidContentError,
    );
    await expect(service.append('huge', 'user', '€'.repeat(limit / 3 + 1))).rejects.toThrow(
      /65538 bytes, more than the limit of 65536 bytes/,
    );
    const started = Date.now();
    await expect(
      service.append('huge', 'user', 'y'.repeat(16 * 1024 * 1024)),
    ).rejects.toBeInstanceOf(InvalidContentError);
    expect(Date.now() - started).toBeLessThan(1000);
    const history = await service.getHistory('huge');
    expect(history.map((m) => Buffer.byteLength(messageText(m)))).toEqual([limit, limit]);
  });
});

/** The milliseconds a ULID starts with (10 digits of Crockford base32). */
function ulidTime(id: string): number {
  let time = 0;
  for (const digit of id.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(digit);
  return time;
}
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Whether a generated native part reads back: a text or reasoning part with its text. */
const isPart = (part: unknown) =>
  part !== null &&
  typeof part === 'object' &&
  ((part as { type?: unknown }).type === 'text' ||
    (part as { type?: unknown }).type === 'reasoning') &&
  typeof (part as { text?: unknown }).text === 'string';

/** What a read must return for a raw entry: the message, or nothing when it is not one. */
function oracle(entry: string): ChatMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(entry);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // Only plain native text entries are generated here (the message-model tests cover the other
  // fields); an entry with another "v" is of a newer format and skipped.
  const version = (value as Record<string, unknown>).v;
  if (version === 1) {
    const { i, r, c, ...rest } = value as Record<string, unknown>;
    delete rest.v;
    if (typeof i !== 'string' || !ULID_PATTERN.test(i) || Object.keys(rest).length > 0) {
      throw new Error(`the oracle does not model this native entry: ${entry}`);
    }
    if (typeof r !== 'string' || !(CHAT_ROLES as readonly string[]).includes(r)) return undefined;
    if (typeof c !== 'string' && !(Array.isArray(c) && c.every(isPart))) return undefined;
    const content = c as ChatMessage['content'];
    return { id: i, role: r as ChatRole, content, createdAt: ulidTime(i) };
  }
  if (version !== undefined) return undefined;
  const { role: r, content } = value as Record<string, unknown>;
  if (typeof r !== 'string' || !(CHAT_ROLES as readonly string[]).includes(r)) return undefined;
  if (typeof content !== 'string') return undefined;
  return { role: r as ChatRole, content };
}

describe('entries written into Redis by something else (property-based)', () => {
  const validEntry = chatMessage.map((m) => JSON.stringify(m));
  /** A native entry, as another replica writes it; its role and content may be wrong. */
  const nativeEntry = fc
    .record({
      time: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      random: fc.string({ unit: fc.constantFrom(...CROCKFORD), minLength: 16, maxLength: 16 }),
      r: fc.oneof({ arbitrary: role, weight: 4 }, fc.anything()),
      // Text, parts (some of them broken), or something that is neither a string nor an array.
      c: fc.oneof(
        { arbitrary: hostileString, weight: 4 },
        fc.array(
          fc.oneof(
            { arbitrary: hostileString.map((text) => ({ type: 'text', text })), weight: 4 },
            fc.constantFrom(null, 1, 'text', { type: 'evil' }, { type: 'text' }, { type: 'image' }),
            fc.anything(),
          ),
          { maxLength: 3 },
        ),
        fc.anything().filter((c) => typeof c !== 'string' && !Array.isArray(c)),
      ),
    })
    .map(({ time, random, r, c }) => {
      let id = '';
      for (let t = time, k = 0; k < 10; k++, t = Math.floor(t / 32)) id = CROCKFORD[t % 32] + id;
      return JSON.stringify({ v: 1, i: id + random, r, c }) ?? 'undefined';
    });
  /** Any JSON, except objects with a top-level "v" (a version; native entries come from above). */
  const anyJson = fc.json().filter((text) => {
    const value: unknown = JSON.parse(text);
    return value === null || typeof value !== 'object' || !Object.hasOwn(value, 'v');
  });
  const wrongShape = fc
    .record(
      {
        role: fc.oneof(role, fc.anything()),
        content: fc.oneof(hostileString, fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((m) => JSON.stringify(m) ?? 'undefined');
  const garbage = fc.oneof(
    validEntry,
    nativeEntry,
    wrongShape,
    anyJson,
    hostileString,
    // Fragments that only make sense when glued to their neighbours.
    fc.constantFrom(
      '{"role":"user","content":"a"},{"role":"user","content":"b"}',
      '{"role":"user","content":"c","x":[{"y":1}',
      '{"z":1}]}',
      '[',
      ']',
      '',
      ',',
      '{"__proto__":{"role":"user","content":"proto"}}',
      '{"role":"user","content":"ok","__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}},"role":"tool","content":"c"}',
    ),
  );

  it('never crash a read: exactly the entries that are messages come back, in order', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(garbage, { minLength: 1, maxLength: 12 }), async (entries) => {
        const id = `raw-${n++}`;
        await redis.rpush(`${PREFIX}:${id}`, ...entries);
        const expected = entries.map(oracle).filter((m): m is ChatMessage => m !== undefined);
        await expect(memory.getHistory(id)).resolves.toStrictEqual(expected);
        // Appending to a polluted conversation still works and keeps the garbage as it was.
        const [after] = await memory.append(id, 'user', 'after');
        await expect(memory.getHistory(id)).resolves.toStrictEqual([...expected, after]);
      }),
      { numRuns: RUNS },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    vi.restoreAllMocks();
  });

  it('never return messages smuggled across entries that are not messages on their own', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // Two values in one entry, and one value split over two entries: the counts still add up.
    await redis.rpush(
      `${PREFIX}:smuggle`,
      '{"role":"user","content":"a"},{"role":"user","content":"b"}',
      '{"role":"user","content":"c","x":[{"y":1}',
      '{"z":1}]}',
    );
    await expect(memory.getHistory('smuggle')).resolves.toEqual([]);
    vi.restoreAllMocks();
  });
});

describe('hostile JSON bodies and paths sent to the example app (property-based)', () => {
  // The example app's conversations belong to the signed-in user (its `chat_user` cookie), and
  // live under that owner's keys: `app:{fuzzer}:<id>`, beside the owner's index `app:{fuzzer}`.
  const COOKIE = 'chat_user=fuzzer';
  const OWNED = 'app:{fuzzer}';
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startExampleApp({
      REDIS_URL: server.url,
      CHAT_KEY_PREFIX: 'app',
      CHAT_MAX_TURNS: '1000',
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  const messageValue = fc.oneof(
    { arbitrary: hostileString.filter((s) => s.length > 0), weight: 4 },
    { arbitrary: fc.anything(), weight: 1 },
  );
  /** Extra members, written as JSON text so `__proto__` and `constructor` arrive as own keys. */
  const extraMembers = fc.array(
    fc.tuple(
      fc.constantFrom('__proto__', 'constructor', 'role', 'extra'),
      fc.oneof(
        fc.constant({ polluted: true }),
        fc.constant({ prototype: { polluted: true } }),
        fc.anything(),
      ),
    ),
    { maxLength: 3 },
  );
  const body = fc
    .tuple(
      messageValue,
      fc.oneof(
        { arbitrary: fc.constant([] as [string, unknown][]), weight: 2 },
        { arbitrary: extraMembers, weight: 1 },
      ),
    )
    .map(([message, extras]) => {
      const parts = [['message', message] as [string, unknown], ...extras].map(
        ([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`,
      );
      return { text: `{${parts.join(',')}}`, message, extraKeys: extras.map(([key]) => key) };
    });
  // Well-formed strings only: a path cannot carry a lone surrogate.
  const conversationId = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:@=-]{1,30}$/), weight: 3 },
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.string({
      unit: fc.constantFrom('*', '?', '[', ']', '{', '}', ':', 'a', '%', '/', ' '),
      minLength: 1,
      maxLength: 8,
    }),
  );

  it('answers 200 and stores exactly the message, or 400 with a reason and stores nothing', async () => {
    const http = app.getHttpServer();
    await fc.assert(
      fc.asyncProperty(conversationId, body, async (id, { text, message, extraKeys }) => {
        const path = `/chat/${encodeURIComponent(id)}`;
        const before = await redis.lrange(`${OWNED}:${id}`, 0, -1);
        const res = await request(http)
          .post(path)
          .set('content-type', 'application/json')
          .set('Cookie', COOKIE)
          .send(text);
        expect([200, 400, 404]).toContain(res.status);
        const accepted = res.status === 200;
        // Unknown members are refused (forbidNonWhitelisted), except own "__proto__" and
        // "constructor" members, which class-transformer drops (checked: no pollution below).
        const unknown = extraKeys.filter((key) => key !== '__proto__' && key !== 'constructor');
        const valid = ID_PATTERN.test(id) && typeof message === 'string' && unknown.length === 0;
        expect(!accepted || valid).toBe(true);
        // Stored exactly (one turn more), or nothing at all.
        const after = await redis.lrange(`${OWNED}:${id}`, 0, -1);
        expect(after.slice(0, before.length)).toEqual(before);
        // The user's message, then the answer: the agent's steps, ending with an assistant message.
        const added = after
          .slice(before.length)
          .map((entry) => JSON.parse(entry) as { r: string; c: unknown });
        expect({
          first: added[0] ?? null,
          answered: added.length >= 2 && added.at(-1)?.r === 'assistant',
        }).toEqual(
          accepted
            ? {
                first: { v: 1, i: ANY_ID, k: ANY_NUMBER, r: 'user', c: message },
                answered: true,
              }
            : { first: null, answered: false },
        );
        const readBack = accepted
          ? (
              (await request(http).get(`${path}/history`).set('Cookie', COOKIE).expect(200))
                .body as ChatMessage[]
            ).at(-added.length)
          : { role: 'user', content: message };
        expect(readBack).toMatchObject({ role: 'user', content: message });
        const reason = res.body?.message;
        expect(res.status !== 400 || typeof reason === 'string' || Array.isArray(reason)).toBe(
          true,
        );
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
      }),
      { numRuns: RUNS },
    );
    // Every key is the app's owner index, a conversation of that owner, or one of the service
    // tests above. (A window hash is `<list key>:w:{<list key>}`.)
    const unexpected = (await redis.keys('*')).filter((key) => {
      const list = /^(.*):w:\{\1\}$/.exec(key)?.[1] ?? key;
      if (list === OWNED) return false;
      const namespace = [OWNED, PREFIX].find((prefix) => list.startsWith(`${prefix}:`));
      return namespace === undefined || !ID_PATTERN.test(list.slice(namespace.length + 1));
    });
    expect(unexpected).toEqual([]);
  });
});
