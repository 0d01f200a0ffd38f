import { Body, Controller, Logger, Post } from '@nestjs/common';
import * as fc from 'fast-check';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ChatMemoryExceptionFilter,
  ChatMemoryModule,
  ChatMemoryService,
  ConversationHistory,
  RecordChatTurn,
  type ChatMessage,
  InMemoryChatMemoryStore,
  InvalidOwnerError,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { describe, expect, it, vi } from 'vitest';
import { redisUrl, sleep, uniquePrefix, useRedisClient } from './support/helpers.js';
import request from 'supertest';
import { useChatMemoryModules, useTestingModules } from './support/modules.js';
import { useTestCluster } from './support/redis-cluster.js';

const TARGETS: [string, () => ChatMemoryModuleOptions][] = [
  ['Redis', () => ({ url: redisUrl() })],
  ['the in-memory store', () => ({ store: new InMemoryChatMemoryStore() })],
];

describe.each(TARGETS)('owners on %s', (_name, target) => {
  const boot = useChatMemoryModules(target);
  const service = async (config = {}) =>
    (await boot({ config: { keyPrefix: uniquePrefix('own'), ...config } })).get(ChatMemoryService);

  it('lists an owner’s conversations newest first, with their records, page by page', async () => {
    const memory = await service();
    const ada = memory.forOwner('ada');
    expect(ada.owner).toBe('ada');
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      await ada.appendTurn(id, `q ${id}`, `a ${id}`);
      await sleep(3);
    }
    await memory.forOwner('bob').appendTurn('c1', 'not ada', 'no');
    await ada.append('c2', 'user', 'back to c2'); // c2 becomes the most recent
    const first = await memory.listConversations('ada', { limit: 2 });
    expect(first.conversations.map((c) => c.id)).toEqual(['c2', 'c5']);
    expect(first.conversations[0]).toMatchObject({ messageCount: 3, title: null, metadata: null });
    expect(first.conversations[0].updatedAt).toBeGreaterThan(first.conversations[1].updatedAt);
    expect(first.conversations[0].createdAt).toBeLessThan(first.conversations[0].updatedAt);
    const second = await memory.listConversations('ada', { limit: 2, cursor: first.nextCursor! });
    expect(second.conversations.map((c) => c.id)).toEqual(['c4', 'c3']);
    const third = await memory.listConversations('ada', { limit: 2, cursor: second.nextCursor! });
    expect(third.conversations.map((c) => c.id)).toEqual(['c1']);
    expect(third.nextCursor).toBeNull();
    // Owned conversations are not visible without the owner.
    await expect(memory.getHistory('c1')).resolves.toEqual([]);
    await expect(memory.listConversations('bob')).resolves.toMatchObject({
      conversations: [{ id: 'c1', messageCount: 2 }],
    });
  });

  it('sets titles and metadata, deletes one conversation, and erases an owner', async () => {
    const memory = await service();
    const ada = memory.forOwner('ada');
    for (let i = 0; i < 230; i++) await ada.append(`c${i}`, 'user', 'x');
    await memory.forOwner('bob').append('keep', 'user', 'y');
    await expect(
      memory.updateConversation('ada', 'c229', {
        title: 'Trip to Rome',
        metadata: { pinned: true },
      }),
    ).resolves.toBe(true);
    await expect(memory.updateConversation('ada', 'nope', { title: 'x' })).resolves.toBe(false);
    await expect(memory.updateConversation('bob', 'c1', { title: 'x' })).resolves.toBe(false);
    const { conversations } = await memory.listConversations('ada', { limit: 100 });
    // A title does not count as activity: the newest is still the last written.
    expect(conversations[0]).toMatchObject({
      id: 'c229',
      title: 'Trip to Rome',
      metadata: { pinned: true },
    });
    await expect(memory.deleteConversation('bob', 'c1')).resolves.toBe(false);
    await expect(memory.deleteConversation('ada', 'c1')).resolves.toBe(true);
    await expect(ada.count('c1')).resolves.toBe(0);
    await expect(memory.deleteOwner('ada')).resolves.toBe(229);
    await expect(memory.deleteOwner('ada')).resolves.toBe(0); // safe to re-run
    await expect(memory.listConversations('ada')).resolves.toEqual({
      conversations: [],
      nextCursor: null,
    });
    await expect(memory.forOwner('bob').count('keep')).resolves.toBe(1);
  });

  it('titles a new conversation with generateTitle after its first turn, and logs a failing one', async () => {
    const seen: unknown[] = [];
    const memory = await service({
      generateTitle: async (messages: ChatMessage[], conversation: unknown) => {
        seen.push(conversation);
        return `  About: ${String(messages[0].content)}  `;
      },
    });
    await memory.forOwner('ada').appendTurn('t1', 'the weather', 'sunny');
    await memory.forOwner('ada').appendTurn('t1', 'and tomorrow?', 'rain');
    await expect
      .poll(async () => (await memory.listConversations('ada')).conversations[0]?.title)
      .toBe('About: the weather');
    expect(seen).toEqual([{ owner: 'ada', conversationId: 't1' }]); // the first turn only

    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const failing = await service({
      generateTitle: () => {
        throw new Error('no model');
      },
    });
    await expect(failing.forOwner('ada').append('t2', 'user', 'x')).resolves.toHaveLength(1);
    await expect.poll(() => error.mock.calls.length).toBeGreaterThan(0);
    expect(String(error.mock.calls[0][0])).toMatch(/generateTitle failed .*no model/);
  });

  it('drops expired conversations from the listing', async () => {
    const memory = await service({ ttlSeconds: 0.3 });
    await memory.forOwner('ada').append('old', 'user', 'x');
    await sleep(150);
    await memory.forOwner('ada').append('new', 'user', 'y');
    await sleep(200);
    const { conversations } = await memory.listConversations('ada');
    expect(conversations.map((c) => c.id)).toEqual(['new']);
    await sleep(200);
    await expect(memory.listConversations('ada')).resolves.toEqual({
      conversations: [],
      nextCursor: null,
    });
  });

  it('refuses bad owners, cursors and titles with typed errors', async () => {
    const memory = await service();
    for (const owner of ['', 'a b', '{x}', 'x'.repeat(129), 42]) {
      expect(() => memory.forOwner(owner as string)).toThrow(InvalidOwnerError);
      await expect(memory.listConversations(owner as string)).rejects.toThrow(InvalidOwnerError);
    }
    await expect(memory.listConversations('ada', { cursor: 'garbage' })).rejects.toThrow(/cursor/);
    await expect(memory.listConversations('ada', { limit: 101 })).rejects.toThrow(/limit/);
    await expect(memory.updateConversation('ada', 'c', { title: '' })).rejects.toThrow(/title/);
    const python = await service({ wireFormat: 'ractogateway' });
    expect(() => python.forOwner('ada')).toThrow(/wireFormat 'native'/);
  });
});

/** The header the test's owner resolver reads (a stand-in for an authenticated user). */
const asUser = (user: string) => ({ 'x-user': user });

@Controller('chat')
@RecordChatTurn()
class OwnedChatController {
  @Post(':conversationId')
  chat(@Body('message') message: string, @ConversationHistory() history: ChatMessage[]) {
    return { reply: `${message} (${history.length} before)` };
  }
}

describe('the in-memory store keeps an owner index bounded too', () => {
  const bootMemory = useChatMemoryModules();

  it('drops expired conversations from the index when a new one is created (in-memory store)', async () => {
    const store = new InMemoryChatMemoryStore();
    const keyPrefix = uniquePrefix('ownmem');
    const memory = (await bootMemory({ store, config: { keyPrefix, ttlSeconds: 0.2 } })).get(
      ChatMemoryService,
    );
    for (let i = 0; i < 5; i++) await memory.forOwner('ada').append(`old${i}`, 'user', 'x');
    expect(store.indexSize(`${keyPrefix}:{ada}`)).toBe(5);
    await sleep(300);
    await memory.forOwner('ada').append('new', 'user', 'y');
    expect(store.indexSize(`${keyPrefix}:{ada}`)).toBe(1);
  });
});

describe('owners through the controller and @RecordChatTurn()', () => {
  const bootModule = useTestingModules();

  it('serves each caller only their own conversations; another owner’s id answers 404', async () => {
    const moduleRef = await bootModule({
      imports: [
        ChatMemoryModule.forRoot({
          url: redisUrl(),
          config: { keyPrefix: uniquePrefix('ownhttp') },
          owner: (req: { headers: Record<string, string | undefined> }) => req.headers['x-user'],
          controller: { canAccess: () => true },
        }),
      ],
      controllers: [OwnedChatController],
    });
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ChatMemoryExceptionFilter(app.get(HttpAdapterHost)));
    await app.init();
    try {
      const http = request(app.getHttpServer());
      const api = '/chat-memory/conversations';
      await http.post('/chat/c1').set(asUser('alice')).send({ message: 'hi' }).expect(201);
      await http.post('/chat/c1').set(asUser('alice')).send({ message: 'again' }).expect(201, {
        reply: 'again (2 before)',
      });
      await http.post('/chat/c1').set(asUser('bob')).send({ message: 'mine' }).expect(201, {
        reply: 'mine (0 before)',
      });
      await http
        .post(`${api}/c2/messages`)
        .set(asUser('alice'))
        .send({ role: 'user', content: 'x' })
        .expect(201);
      // Bob cannot see, change or delete Alice's c2: 404, never 200 or 403.
      await http.get(`${api}/c2/messages`).set(asUser('bob')).expect(404);
      await http.get(`${api}/c2/messages?limit=1`).set(asUser('bob')).expect(404);
      await http.get(`${api}/c2`).set(asUser('bob')).expect(404);
      await http.patch(`${api}/c2`).set(asUser('bob')).send({ title: 'mine now' }).expect(404);
      await http.delete(`${api}/c2`).set(asUser('bob')).expect(404);
      // Listing: each caller's own, newest first.
      const alice = await http.get(api).set(asUser('alice')).expect(200);
      expect(alice.body.conversations.map((c: { id: string }) => c.id)).toEqual(['c2', 'c1']);
      const bob = await http.get(api).set(asUser('bob')).expect(200);
      expect(bob.body.conversations.map((c: { id: string }) => c.id)).toEqual(['c1']);
      await http.patch(`${api}/c1`).set(asUser('alice')).send({ title: 'Greetings' }).expect(204);
      const page1 = await http.get(`${api}?limit=1`).set(asUser('alice')).expect(200);
      const page2 = await http
        .get(`${api}?limit=1&cursor=${page1.body.nextCursor}`)
        .set(asUser('alice'))
        .expect(200);
      expect(page2.body).toMatchObject({
        conversations: [{ id: 'c1', title: 'Greetings', messageCount: 4 }],
        nextCursor: null,
      });
      await http.get(`${api}?limit=0`).set(asUser('alice')).expect(400);
      await http.get(api).expect(401);
      // No owner: @ConversationHistory() cannot read, and nothing is recorded anywhere.
      await http.post('/chat/c9').send({ message: 'anonymous' }).expect(401);
      // Erase: Alice's data goes, Bob's stays.
      await http.delete(api).set(asUser('alice')).expect(200, { deleted: 2 });
      await http.get(api).set(asUser('alice')).expect(200, { conversations: [], nextCursor: null });
      await http.get(`${api}/c1/messages`).set(asUser('bob')).expect(200);

      // As a property: whatever route, ids and owners, another owner's conversation is a 404 and
      // stays as it was.
      const routes = [
        (id: string) => http.get(`${api}/${id}`),
        (id: string) => http.get(`${api}/${id}/messages`),
        (id: string) => http.get(`${api}/${id}/messages?limit=1`),
        (id: string) => http.patch(`${api}/${id}`).send({ title: 'taken' }),
        (id: string) => http.delete(`${api}/${id}`),
      ];
      const people = ['ada', 'bob', 'ada:bob', 'bob.ada', 'ADA'];
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...people),
          fc.constantFrom(...people),
          fc.constantFrom('c1', 'bob', 'ada:c1', 'x.y', 'w'),
          fc.nat(routes.length - 1),
          async (owner, other, id, route) => {
            fc.pre(owner !== other);
            const conversation = `${id}.${++n}`;
            await http
              .post(`${api}/${conversation}/messages`)
              .set(asUser(owner))
              .send({ role: 'user', content: 'private' })
              .expect(201);
            await routes[route](conversation).set(asUser(other)).expect(404);
            const own = await http.get(`${api}/${conversation}/messages`).set(asUser(owner));
            expect(own.status).toBe(200);
            expect(own.body.map((m: { content: string }) => m.content)).toEqual(['private']);
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await app.close();
    }
  });
});

describe('owners on Redis: keys, slots and round trips', () => {
  const boot = useChatMemoryModules(() => ({ url: redisUrl() }));
  const redisClient = useRedisClient();

  it('keeps an owner’s keys under its hash tag, and indexes every write in the same EVALSHA', async () => {
    const keyPrefix = uniquePrefix('ownkeys');
    const memory = (await boot({ config: { keyPrefix, ttlSeconds: 60 } })).get(ChatMemoryService);
    await memory.forOwner('ada').appendTurn('c1', 'q', 'a');
    const keys = (await redisClient().keys(`${keyPrefix}*`)).sort();
    const list = `${keyPrefix}:{ada}:c1`;
    expect(keys).toEqual([`${keyPrefix}:{ada}`, list, `${list}:w:{${list}}`].sort());
    await expect(redisClient().type(`${keyPrefix}:{ada}`)).resolves.toBe('zset');
    // The index has the TTL too.
    expect(await redisClient().pttl(`${keyPrefix}:{ada}`)).toBeGreaterThan(50_000);
    await redisClient().config('RESETSTAT');
    await memory.forOwner('ada').appendTurn('c1', 'q2', 'a2');
    const stats = await redisClient().info('commandstats');
    expect(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1]).toBe('1');
    expect(stats).not.toMatch(/cmdstat_eval:/);
    await memory.deleteOwner('ada');
    await expect(redisClient().keys(`${keyPrefix}*`)).resolves.toEqual([]);
  });

  it('keeps the index bounded by what is alive, even when nobody lists it', async () => {
    const keyPrefix = uniquePrefix('ownttl');
    const memory = (await boot({ config: { keyPrefix, ttlSeconds: 0.3 } })).get(ChatMemoryService);
    const ada = memory.forOwner('ada');
    for (let i = 0; i < 20; i++) await ada.append(`old${i}`, 'user', 'x');
    await sleep(400);
    await ada.append('new', 'user', 'y');
    await expect(redisClient().zrange(`${keyPrefix}:{ada}`, '0', '-1')).resolves.toEqual(['new']);
    await sleep(400);
    // And everything, the index included, expires with the last conversation.
    await expect(redisClient().keys(`${keyPrefix}*`)).resolves.toEqual([]);
  });
});

describe('owner isolation (fast-check, Redis, in-memory store and Redis Cluster)', () => {
  const testCluster = useTestCluster();
  const boot = useChatMemoryModules();
  const inMemory = new InMemoryChatMemoryStore();

  // Owners and ids that look like each other's keys.
  const owners = ['ada', 'bob', 'ada:bob', 'bob:ada', 'x'];
  const ids = ['c1', 'bob', 'ada', 'bob:c1', 'ada:c1', '{ada}', 'c1:w'];
  const op = fc.record({
    owner: fc.constantFrom(...owners),
    id: fc.constantFrom(...ids.filter((id) => !id.includes('{'))),
    action: fc.constantFrom('append', 'append', 'append', 'delete', 'title', 'erase'),
    text: fc.string({ maxLength: 8 }),
  });

  it('no owner ever reads, lists, changes or deletes another owner’s conversation', async () => {
    const services: ChatMemoryService[] = [];
    for (const options of [
      { url: redisUrl() },
      { store: inMemory },
      { cluster: { nodes: testCluster().startupNodes } },
    ] as ChatMemoryModuleOptions[]) {
      const keyPrefix = uniquePrefix('iso');
      services.push((await boot({ ...options, config: { keyPrefix } })).get(ChatMemoryService));
    }
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        run++;
        // The model: owner -> conversation id -> contents and title.
        const model = new Map<string, Map<string, { contents: string[]; title: string | null }>>();
        const tag = (owner: string) => `${owner}.r${run}`;
        for (const { owner, id, action, text } of ops) {
          const mine = model.get(owner) ?? new Map();
          model.set(owner, mine);
          for (const memory of services) {
            if (action === 'append') await memory.forOwner(tag(owner)).append(id, 'user', text);
            if (action === 'delete') await memory.deleteConversation(tag(owner), id);
            if (action === 'title') await memory.updateConversation(tag(owner), id, { title: 't' });
            if (action === 'erase') await memory.deleteOwner(tag(owner));
          }
          if (action === 'append') {
            const conversation = mine.get(id) ?? { contents: [], title: null };
            conversation.contents.push(text);
            mine.set(id, conversation);
          }
          if (action === 'delete') mine.delete(id);
          if (action === 'title' && mine.has(id)) mine.get(id)!.title = 't';
          if (action === 'erase') mine.clear();
          // Every store, every owner: exactly its own conversations, nothing of the others.
          for (const memory of services) {
            for (const o of owners) {
              const expected = model.get(o) ?? new Map();
              const listed = await memory.listConversations(tag(o), { limit: 100 });
              expect(
                listed.conversations.map((c) => [c.id, c.title, c.messageCount]).sort(),
              ).toEqual([...expected].map(([i, c]) => [i, c.title, c.contents.length]).sort());
              for (const i of ids.filter((x) => !x.includes('{'))) {
                const history = await memory.forOwner(tag(o)).getHistory(i);
                expect(history.map((m) => m.content)).toEqual(expected.get(i)?.contents ?? []);
              }
            }
          }
        }
      }),
      { numRuns: 15 },
    );
  }, 240_000);
});
