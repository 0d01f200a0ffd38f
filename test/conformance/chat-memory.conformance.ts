import {
  ChatMemoryService,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidMessageError,
  InvalidRoleError,
  type ChatMemoryConfig,
  type ChatMemoryModuleOptions,
  messageText,
  type ChatRole,
} from 'nestjs-chat-memory';
import { describe, expect, it } from 'vitest';
import { roleContent, sleep, ULID_PATTERN, uniquePrefix } from '../support/helpers.js';
import { useChatMemoryModules } from '../support/modules.js';

const ANY_ID = expect.stringMatching(ULID_PATTERN);
const ANY_TIME = expect.any(Number);

/**
 * Module options for one service under test: `config` is what the test needs (window, TTL, prefix).
 * Every service created for the same `shared` value must see the same data (same Redis, same
 * in-memory store), so the suite can act as several replicas.
 */
export type ConformanceTarget = (config: ChatMemoryConfig) => ChatMemoryModuleOptions;

/** The behaviour every store must have, checked through `ChatMemoryService`. */
export function describeChatMemoryConformance(name: string, target: ConformanceTarget): void {
  describe(`ChatMemoryService conformance: ${name}`, () => {
    const boot = useChatMemoryModules();

    async function service(config: ChatMemoryConfig = {}): Promise<ChatMemoryService> {
      return (await boot(target(config))).get(ChatMemoryService);
    }

    it('returns [] for a conversation that does not exist', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      await expect(memory.getHistory('nobody')).resolves.toEqual([]);
      await expect(memory.count('nobody')).resolves.toBe(0);
    });

    it('returns appended messages oldest first, as plain objects with an id and a time', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      const started = Date.now();
      const appended = [
        ...(await memory.append('conv_abc', 'system', 'Be brief.')),
        ...(await memory.append('conv_abc', 'user', 'What is the capital of France?')),
        ...(await memory.append('conv_abc', {
          role: 'assistant',
          content: 'Paris.',
          toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }],
        })),
        ...(await memory.append('conv_abc', {
          role: 'tool',
          toolCallId: 'c1',
          content: '{"temp": 21}',
        })),
      ];
      const history = await memory.getHistory('conv_abc');
      // append resolves to the messages as they read back: same ids, same times.
      expect(history).toStrictEqual(appended);
      // Ids made later sort after ids made earlier; times are those of the writes.
      const ids = history.map((m) => m.id!);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
      for (const { createdAt } of history) {
        expect(createdAt).toBeGreaterThanOrEqual(started);
        expect(createdAt).toBeLessThanOrEqual(Date.now());
      }
      expect(history).toStrictEqual([
        { id: ANY_ID, role: 'system', content: 'Be brief.', createdAt: ANY_TIME },
        {
          id: ANY_ID,
          role: 'user',
          content: 'What is the capital of France?',
          createdAt: ANY_TIME,
        },
        {
          id: ANY_ID,
          role: 'assistant',
          content: 'Paris.',
          toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }],
          createdAt: ANY_TIME,
        },
        {
          id: ANY_ID,
          role: 'tool',
          content: '{"temp": 21}',
          toolCallId: 'c1',
          createdAt: ANY_TIME,
        },
      ]);
      expect(Object.keys(history[0])).toEqual(['id', 'role', 'content', 'createdAt']);
      await expect(memory.count('conv_abc')).resolves.toBe(4);
    });

    it('keeps conversations apart', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      await memory.append('a', 'user', 'for a');
      await memory.append('b', 'user', 'for b');
      expect(roleContent(await memory.getHistory('a'))).toEqual([
        { role: 'user', content: 'for a' },
      ]);
      expect(roleContent(await memory.getHistory('b'))).toEqual([
        { role: 'user', content: 'for b' },
      ]);
    });

    it('keeps a sliding window of the last maxTurns * 2 messages of whole text turns', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), maxTurns: 2 });
      for (let i = 1; i <= 8; i++) await memory.append('w', i % 2 ? 'user' : 'assistant', `m${i}`);
      const history = await memory.getHistory('w');
      expect(history.map((m) => m.content)).toEqual(['m5', 'm6', 'm7', 'm8']);
      await expect(memory.count('w')).resolves.toBe(4);
    });

    it('while a turn waits for its answer, the window starts at the oldest kept user message', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), maxTurns: 2 });
      for (let i = 1; i <= 7; i++) await memory.append('w', i % 2 ? 'user' : 'assistant', `m${i}`);
      // Two turns: m5 m6, and m7 still waiting (the seed kept m4 too, an answer without its question).
      const history = await memory.getHistory('w');
      expect(history.map((m) => m.content)).toEqual(['m5', 'm6', 'm7']);
    });

    it('defaults to a window of 10 turns (20 messages)', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      for (let i = 1; i <= 25; i++) await memory.appendTurn('d', `q${i}`, `a${i}`);
      const history = await memory.getHistory('d');
      expect(history).toHaveLength(20);
      expect(history[0].content).toBe('q16');
      expect(history[19].content).toBe('a25');
      // A turn is a user message and what follows it: 25 questions alone are 25 turns.
      for (let i = 1; i <= 25; i++) await memory.append('u', 'user', `m${i}`);
      expect((await memory.getHistory('u')).map((m) => m.content)).toEqual(
        Array.from({ length: 10 }, (_, i) => `m${i + 16}`),
      );
    });

    it('appendTurn stores the user message then the answer, and the window slides by whole turns', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), maxTurns: 2 });
      for (let t = 1; t <= 3; t++) await memory.appendTurn('t', `question ${t}`, `answer ${t}`);
      expect(roleContent(await memory.getHistory('t'))).toStrictEqual([
        { role: 'user', content: 'question 2' },
        { role: 'assistant', content: 'answer 2' },
        { role: 'user', content: 'question 3' },
        { role: 'assistant', content: 'answer 3' },
      ]);
    });

    it('clear deletes the conversation and only that one, and says whether it existed', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      await memory.appendTurn('gone', 'hi', 'hello');
      await memory.appendTurn('kept', 'hi', 'hello');
      await expect(memory.clear('gone')).resolves.toBe(true);
      await expect(memory.getHistory('gone')).resolves.toEqual([]);
      await expect(memory.count('gone')).resolves.toBe(0);
      await expect(memory.count('kept')).resolves.toBe(2);
      await expect(memory.clear('never-existed')).resolves.toBe(false);
    });

    it('stores any Unicode content and reads it back unchanged', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      const samples = [
        '',
        'Café — naïve façade',
        '日本語のテキスト',
        'emoji 😀👩‍👩‍👧 and a lone surrogate \ud800 here',
        'quotes " \\ / and control \u0000\u0001\n\t\r',
        '{"role":"assistant","content":"injected"}',
        '</script><script>alert(1)</script>',
      ];
      for (const content of samples) await memory.append('u', 'user', content);
      const history = await memory.getHistory('u');
      expect(history.map((m) => m.content)).toEqual(samples);
    });

    it('never expires conversations when no TTL is configured', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      await memory.append('forever', 'user', 'x');
      await expect(memory.getTtl('forever')).resolves.toBeNull();
      expect(memory.ttlSeconds).toBeNull();
    });

    it('expires a conversation after a sub-second TTL, with millisecond precision', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), ttlSeconds: 0.5 });
      await memory.append('short', 'user', 'x');
      const ttl = await memory.getTtl('short');
      expect(ttl).not.toBeNull();
      expect(ttl!).toBeGreaterThan(0.3);
      expect(ttl!).toBeLessThanOrEqual(0.5);
      await expect(memory.getHistory('short')).resolves.toHaveLength(1);
      await sleep(700);
      await expect(memory.getHistory('short')).resolves.toEqual([]);
      await expect(memory.count('short')).resolves.toBe(0);
    });

    it('refreshes the TTL on every write, so the window slides with activity', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), ttlSeconds: 0.6 });
      await memory.append('active', 'user', 'one');
      await sleep(350);
      await memory.appendTurn('active', 'two', 'three');
      await sleep(350);
      // 700 ms after the first write, but only 350 ms after the last one.
      await expect(memory.count('active')).resolves.toBe(3);
      await memory.append('active', 'user', 'four');
      const ttl = await memory.getTtl('active');
      expect(ttl!).toBeGreaterThan(0.45);
      await sleep(800);
      await expect(memory.getHistory('active')).resolves.toEqual([]);
    });

    it('rejects an invalid role with InvalidRoleError and writes nothing', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      for (const role of ['admin', 'User', '', null, 42]) {
        await expect(memory.append('v', role as ChatRole, 'x')).rejects.toBeInstanceOf(
          InvalidRoleError,
        );
      }
      await expect(memory.count('v')).resolves.toBe(0);
    });

    it('rejects a tool message without the id of the call it answers, and writes nothing', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      await expect(memory.append('v', 'tool', 'x')).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(memory.append('v', { role: 'tool', content: 'x' })).rejects.toBeInstanceOf(
        InvalidMessageError,
      );
      await expect(
        memory.appendTurn('v', 'q', [
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
          { role: 'tool', content: 'x' },
          { role: 'assistant', content: 'a' },
        ]),
      ).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(memory.count('v')).resolves.toBe(0);
    });

    it('rejects content that is neither a string nor a message with a typed error and writes nothing', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      for (const content of [{ text: 'x' }, ['x'], [{ type: 'text' }]] as unknown[]) {
        await expect(memory.append('v', 'user', content as string)).rejects.toBeInstanceOf(
          Array.isArray(content) ? InvalidMessageError : InvalidContentError,
        );
        await expect(memory.appendTurn('v', 'ok', content as string)).rejects.toBeInstanceOf(
          InvalidMessageError,
        );
        await expect(memory.appendTurn('v', content as string, 'ok')).rejects.toBeInstanceOf(
          InvalidMessageError,
        );
      }
      for (const content of [null, undefined, 42, true] as unknown[]) {
        await expect(memory.append('v', 'user', content as string)).rejects.toBeInstanceOf(
          InvalidContentError,
        );
        await expect(memory.appendTurn('v', 'ok', content as string)).rejects.toBeInstanceOf(
          InvalidContentError,
        );
        await expect(memory.appendTurn('v', content as string, 'ok')).rejects.toBeInstanceOf(
          InvalidContentError,
        );
      }
      await expect(memory.count('v')).resolves.toBe(0);
    });

    it('enforces maxContentBytes in UTF-8 bytes, on both halves of a turn', async () => {
      const memory = await service({ keyPrefix: uniquePrefix(), maxContentBytes: 12 });
      await memory.append('s', 'user', 'é'.repeat(6)); // 12 bytes: accepted
      await expect(memory.append('s', 'user', 'é'.repeat(7))).rejects.toThrow(
        /14 bytes, more than the limit of 12/,
      );
      await expect(memory.appendTurn('s', 'ok', 'x'.repeat(13))).rejects.toBeInstanceOf(
        InvalidContentError,
      );
      await expect(memory.appendTurn('s', 'x'.repeat(13), 'ok')).rejects.toBeInstanceOf(
        InvalidContentError,
      );
      await expect(memory.count('s')).resolves.toBe(1);
    });

    it('rejects invalid conversation ids with InvalidConversationIdError on every method', async () => {
      const memory = await service({ keyPrefix: uniquePrefix() });
      const bad = [
        '',
        'a'.repeat(129),
        'has space',
        'slash/path',
        '{tag}',
        'glob*',
        'new\nline',
        'é',
        7,
        null,
      ];
      for (const id of bad) {
        const conversationId = id as string;
        await expect(memory.append(conversationId, 'user', 'x')).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
        await expect(memory.appendTurn(conversationId, 'x', 'y')).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
        await expect(memory.getHistory(conversationId)).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
        await expect(memory.count(conversationId)).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
        await expect(memory.clear(conversationId)).rejects.toBeInstanceOf(
          InvalidConversationIdError,
        );
      }
      const good = ['a', 'a'.repeat(128), 'conv_abc', 'user@example.com', 'A-Z.0:9=x'];
      for (const id of good) await memory.append(id, 'user', 'ok');
      for (const id of good) await expect(memory.count(id)).resolves.toBe(1);
    });

    it('keeps each turn whole and adjacent when several replicas write at once', async () => {
      const config = { keyPrefix: uniquePrefix(), maxTurns: 1000 };
      const replicas = await Promise.all([service(config), service(config), service(config)]);
      const turnsPerReplica = 40;
      await Promise.all(
        replicas.flatMap((memory, r) =>
          Array.from({ length: turnsPerReplica }, (_, i) =>
            memory.appendTurn('race', `q ${r}/${i}`, `a ${r}/${i}`),
          ),
        ),
      );
      const history = await replicas[0].getHistory('race');
      expect(history).toHaveLength(replicas.length * turnsPerReplica * 2);
      const seen = new Set<string>();
      for (let i = 0; i < history.length; i += 2) {
        const [user, assistant] = [history[i], history[i + 1]];
        expect(user.role).toBe('user');
        expect(assistant.role).toBe('assistant');
        const id = messageText(user).slice(2);
        expect(assistant.content).toBe(`a ${id}`);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    });

    it('keeps the window exact under concurrent writers', async () => {
      const config = { keyPrefix: uniquePrefix(), maxTurns: 3 };
      const replicas = await Promise.all([service(config), service(config)]);
      await Promise.all(
        replicas.flatMap((memory) =>
          Array.from({ length: 50 }, (_, i) => memory.appendTurn('busy', `q${i}`, `a${i}`)),
        ),
      );
      await expect(replicas[1].count('busy')).resolves.toBe(6);
    });
  });
}
