import { AIMessage, HumanMessage, ToolMessage, trimMessages } from '@langchain/core/messages';
import { Controller, Logger, Post } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  ChatMemoryModule,
  ChatMemoryService,
  ConversationHistory,
  InMemoryChatMemoryStore,
  RecordChatTurn,
  InvalidHistoryQueryError,
  InvalidMessageError,
  estimateTokens,
  type ChatMemoryConfig,
  type ChatMemoryModuleOptions,
  type ChatMessage,
  type ChatMessageInput,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import {
  redisUrl,
  roleContent,
  SCRIPT_COMMANDS,
  sleep,
  uniquePrefix,
  useRedisClient,
} from './support/helpers.js';
import { useChatMemoryModules, useTestingModules } from './support/modules.js';

/** A user question, two parallel tool calls, their results and the answer: one agent turn. */
function agentTurn(n: number): ChatMessageInput[] {
  return [
    { role: 'user', content: `Weather in Paris and Rome? (${n})` },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: `p${n}`, name: 'weather', arguments: '{"city":"Paris"}' },
        { id: `r${n}`, name: 'weather', arguments: '{"city":"Rome"}' },
      ],
    },
    { role: 'tool', toolCallId: `p${n}`, content: '21C sunny' },
    { role: 'tool', toolCallId: `r${n}`, content: '25C cloudy' },
    { role: 'assistant', content: `Paris 21C, Rome 25C. (${n})` },
  ];
}

/** The commands the client sent while `run` ran (not those scripts ran inside Redis). */
async function commandsSent(
  redis: Redis,
  run: () => Promise<unknown>,
): Promise<Record<string, number>> {
  await redis.config('RESETSTAT');
  await run();
  const stats = await redis.info('commandstats');
  const counted = Object.fromEntries(
    [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
  );
  for (const name of ['config', ...SCRIPT_COMMANDS]) delete counted[name];
  return counted;
}

/** Bytes Redis has sent to its clients so far. */
async function bytesSent(redis: Redis): Promise<number> {
  return Number(/total_net_output_bytes:(\d+)/.exec(await redis.info('stats'))?.[1]);
}

const TARGETS: [string, () => ChatMemoryModuleOptions][] = [
  ['Redis', () => ({ url: redisUrl() })],
  ['the in-memory store', () => ({ store: new InMemoryChatMemoryStore() })],
];

describe.each(TARGETS)('windows on %s', (_name, target) => {
  const boot = useChatMemoryModules(target);
  const service = async (config: ChatMemoryConfig = {}) =>
    (await boot({ config: { keyPrefix: uniquePrefix('win'), ...config } })).get(ChatMemoryService);

  it('drops whole agent turns, never a tool call without its results or the reverse', async () => {
    const memory = await service({ maxTurns: 2 });
    for (let n = 1; n <= 4; n++) await memory.append('agent', agentTurn(n));
    const history = await memory.getHistory('agent');
    expect(history).toHaveLength(10);
    expect(history[0]).toMatchObject({ role: 'user', content: 'Weather in Paris and Rome? (3)' });
    expect(history.at(-1)).toMatchObject({
      role: 'assistant',
      content: 'Paris 21C, Rome 25C. (4)',
    });
  });

  it('keeps the newest turn whole even when it alone is over maxMessages and maxTokens', async () => {
    const memory = await service({ maxMessages: 3, maxTokens: 20 });
    await memory.append('big', agentTurn(1));
    await memory.append('big', agentTurn(2));
    const history = await memory.getHistory('big');
    expect(history.map((m) => m.content)).toEqual(agentTurn(2).map((m) => m.content));
  });

  it('maxMessages and maxTokens bound the window by whole turns', async () => {
    const byMessages = await service({ maxMessages: 5 });
    for (let t = 1; t <= 4; t++) await byMessages.appendTurn('m', `q${t}`, `a${t}`);
    // 3 turns would be 6 messages: two are kept.
    expect((await byMessages.getHistory('m')).map((m) => m.content)).toEqual([
      'q3',
      'a3',
      'q4',
      'a4',
    ]);

    const byTokens = await service({ maxTokens: 30 });
    for (let t = 1; t <= 4; t++) await byTokens.appendTurn('t', 'x'.repeat(20), `a${t}`);
    // A turn is 4 + 5 (the question) + 4 + 1 (the answer) = 14 tokens: two turns fit in 30.
    expect((await byTokens.getHistory('t')).map((m) => m.content)).toEqual([
      'x'.repeat(20),
      'a3',
      'x'.repeat(20),
      'a4',
    ]);
  });

  it('refuses a tool result without an open call, and any other message while calls are open, writing nothing', async () => {
    const memory = await service();
    const orphan = memory.append('rules', [
      { role: 'user', content: 'hi' },
      { role: 'tool', toolCallId: 'nope', content: 'x' },
    ]);
    await expect(orphan).rejects.toThrow(InvalidMessageError);
    await expect(orphan).rejects.toMatchObject({ path: 'messages[1]' });
    await expect(memory.count('rules')).resolves.toBe(0);

    const [, call] = agentTurn(1);
    await memory.append('rules', [{ role: 'user', content: 'weather?' }, call]);
    const early = memory.append('rules', { role: 'user', content: 'never mind' });
    await expect(early).rejects.toThrow(/still has tool calls without results/);
    await expect(early).rejects.toMatchObject({ path: 'message' });
    const twice = memory.append('rules', [
      { role: 'tool', toolCallId: 'p1', content: 'a' },
      { role: 'tool', toolCallId: 'p1', content: 'again' },
    ]);
    await expect(twice).rejects.toMatchObject({ path: 'messages[1]' });
    await expect(memory.count('rules')).resolves.toBe(2);
    // Results for both calls (an error result is fine), then the conversation goes on.
    await memory.append('rules', [
      { role: 'tool', toolCallId: 'p1', content: 'a' },
      { role: 'tool', toolCallId: 'r1', content: 'failed', metadata: { isError: true } },
    ]);
    await memory.append('rules', { role: 'user', content: 'thanks' });
    await expect(memory.count('rules')).resolves.toBe(5);
  });

  it('skips messages whose id is already stored, and reports them', async () => {
    const memory = await service();
    const first = await memory.appendTurn('dup', 'q', 'a');
    expect(first.duplicates).toEqual([]);
    // The same messages again (a retried write, a client re-sending history), and one new one.
    const again = await memory.append('dup', [...first, { role: 'user', content: 'new' }]);
    expect(again.duplicates).toEqual(first);
    expect(again).toHaveLength(3);
    expect(roleContent(await memory.getHistory('dup'))).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
      { role: 'user', content: 'new' },
    ]);
    // Caller-given ids are de-duplicated the same way.
    await memory.append('dup', { id: 'mine-1', role: 'assistant', content: 'once' });
    const repeated = await memory.append('dup', {
      id: 'mine-1',
      role: 'assistant',
      content: 'once',
    });
    expect(repeated.duplicates.map((m) => m.id)).toEqual(['mine-1']);
    await expect(memory.count('dup')).resolves.toBe(4);
  });

  it('pins a system prompt that trimming never removes, that comes first, and that counts no turn', async () => {
    const memory = await service({ maxTurns: 1 });
    const prompt = await memory.setSystemPrompt('pin', 'You are terse.');
    expect(prompt).toMatchObject({ role: 'system', content: 'You are terse.' });
    for (let t = 1; t <= 3; t++) await memory.appendTurn('pin', `q${t}`, `a${t}`);
    expect(roleContent(await memory.getHistory('pin'))).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'q3' },
      { role: 'assistant', content: 'a3' },
    ]);
    // Replaced, then removed.
    await memory.setSystemPrompt('pin', { role: 'system', content: 'You are kind.' });
    expect((await memory.getHistory('pin'))[0].content).toBe('You are kind.');
    await memory.setSystemPrompt('pin', null);
    expect((await memory.getHistory('pin')).map((m) => m.content)).toEqual(['q3', 'a3']);
    await expect(memory.setSystemPrompt('pin', { role: 'user', content: 'x' })).rejects.toThrow(
      InvalidMessageError,
    );
    // A prompt alone is a conversation too; clear() removes it.
    await memory.setSystemPrompt('alone', 'Only a prompt.');
    expect((await memory.getHistory('alone')).map((m) => m.content)).toEqual(['Only a prompt.']);
    await memory.clear('alone');
    await expect(memory.getHistory('alone')).resolves.toEqual([]);
  });

  it('puts config.systemPrompt first when the conversation has no pinned prompt of its own', async () => {
    const memory = await service({ systemPrompt: 'Default prompt.' });
    await memory.appendTurn('d', 'q', 'a');
    expect(await memory.getHistory('d')).toMatchObject([
      { role: 'system', content: 'Default prompt.' },
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
    await memory.setSystemPrompt('d', 'Own prompt.');
    expect((await memory.getHistory('d')).map((m) => m.content)).toEqual(['Own prompt.', 'q', 'a']);
  });

  it('getHistory({ maxTokens }) returns the newest whole turns that fit, with the prompt', async () => {
    const memory = await service({ maxTurns: 100 });
    await memory.setSystemPrompt('tok', 'Be brief.'); // 4 + 3 tokens
    for (let n = 1; n <= 5; n++) await memory.append('tok', agentTurn(n));
    const history = await memory.getHistory('tok');
    const turnTokens = agentTurn(1).reduce((sum, m) => sum + estimateTokens(m as ChatMessage), 0);
    const promptTokens = estimateTokens(history[0]);
    // Room for the prompt and two turns, not three.
    const two = await memory.getHistory('tok', { maxTokens: promptTokens + 3 * turnTokens - 1 });
    expect(two[0].content).toBe('Be brief.');
    expect(two.slice(1)).toEqual(history.slice(-10));
    // Too small for even the newest turn: it still comes back, whole.
    const one = await memory.getHistory('tok', { maxTokens: 1 });
    expect(one).toEqual([history[0], ...history.slice(-5)]);
    await expect(memory.getHistory('tok', { maxTokens: 0 })).rejects.toThrow(
      InvalidHistoryQueryError,
    );
    await expect(memory.getHistory('tok', { maxTokens: 10, limit: 2 })).rejects.toThrow(
      /cannot be combined/,
    );
  });

  it('pages back through the history with limit and before', async () => {
    const memory = await service({ maxTurns: 100 });
    await memory.setSystemPrompt('pages', 'Prompt.');
    for (let t = 1; t <= 4; t++) await memory.appendTurn('pages', `q${t}`, `a${t}`);
    const first = await memory.getHistoryPage('pages', { limit: 3 });
    expect(first.messages.map((m) => m.content)).toEqual(['a3', 'q4', 'a4']);
    expect(first.nextBefore).toBe(first.messages[0].id);
    const second = await memory.getHistoryPage('pages', { limit: 3, before: first.nextBefore! });
    expect(second.messages.map((m) => m.content)).toEqual(['q2', 'a2', 'q3']);
    const last = await memory.getHistoryPage('pages', { limit: 3, before: second.nextBefore! });
    // The page that reaches the start brings the pinned prompt.
    expect(last.messages.map((m) => m.content)).toEqual(['Prompt.', 'q1', 'a1']);
    expect(last.nextBefore).toBeNull();
    await expect(memory.getHistory('pages', { before: 'not-there' })).rejects.toThrow(
      InvalidHistoryQueryError,
    );
    await expect(memory.getHistory('pages', { limit: 1001 })).rejects.toThrow(
      InvalidHistoryQueryError,
    );
  });

  it('hands trimmed messages to onEvict after the write; a failing hook is logged, never fails the write', async () => {
    const evicted: [string, ChatMessage[]][] = [];
    const memory = await service({
      maxTurns: 1,
      onEvict: (id, messages) => {
        evicted.push([id, messages]);
      },
    });
    const [q1, a1] = await memory.appendTurn('ev', 'q1', 'a1');
    expect(evicted).toEqual([]);
    await memory.appendTurn('ev', 'q2', 'a2');
    await sleep(10);
    expect(evicted).toEqual([['ev', [q1, a1]]]);

    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const failing = await service({
      maxTurns: 1,
      onEvict: () => Promise.reject(new Error('archive down')),
    });
    await failing.appendTurn('ev2', 'q1', 'a1');
    await expect(failing.appendTurn('ev2', 'q2', 'a2')).resolves.toHaveLength(2);
    await sleep(10);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('archive down'));
    expect((await failing.getHistory('ev2')).map((m) => m.content)).toEqual(['q2', 'a2']);
  });
});

describe('windows on Redis only', () => {
  const boot = useChatMemoryModules(() => ({ url: redisUrl() }));
  const redisClient = useRedisClient();

  it('takes over a conversation written before the window hash existed, and trims it by turns', async () => {
    const keyPrefix = uniquePrefix('legacy');
    const key = `${keyPrefix}:old`;
    // What version 0.1 and the Python original wrote: no hash, an answer without its question first.
    await redisClient().rpush(
      key,
      '{"role": "assistant", "content": "a0"}',
      '{"role": "user", "content": "q1"}',
      '{"role":"assistant","content":"a1"}',
      '{"v":1,"i":"01HZZZZZZZZZZZZZZZZZZZZZZZ","r":"user","c":"q2"}',
      '{"v":1,"i":"01J00000000000000000000000","r":"assistant","c":"a2"}',
    );
    const memory = (await boot({ config: { keyPrefix, maxTurns: 2 } })).get(ChatMemoryService);
    // Before any write there is no hash: windowed reads are chosen from the whole List instead.
    expect((await memory.getHistory('old', { maxTokens: 1 })).map((m) => m.content)).toEqual([
      'q2',
      'a2',
    ]);
    expect((await memory.getHistoryPage('old', { limit: 2 })).nextBefore).toBe(
      '01HZZZZZZZZZZZZZZZZZZZZZZZ',
    );
    await memory.appendTurn('old', 'q3', 'a3');
    expect(roleContent((await memory.getHistory('old')).slice(2))).toEqual([
      { role: 'user', content: 'q3' },
      { role: 'assistant', content: 'a3' },
    ]);
    expect((await memory.getHistory('old')).map((m) => m.content)).toEqual([
      'q2',
      'a2',
      'q3',
      'a3',
    ]);
    // The rebuilt hash knows the old ids: re-sending one is skipped.
    const again = await memory.append('old', {
      id: '01J00000000000000000000000',
      role: 'assistant',
      content: 'a2',
    });
    expect(again.duplicates).toHaveLength(1);
    // State "b s k q f g o P": the next turn is turn 4 (a0 was turn 0, q1 1, q2 2, q3 3).
    expect((await redisClient().hget(`${key}:w:{${key}}`, 'S'))?.split(' ')[5]).toBe('4');
  });

  it('trims a turn of thousands of messages in one write (long argument lists go in chunks)', async () => {
    const keyPrefix = uniquePrefix('huge');
    const memory = (await boot({ config: { keyPrefix, maxTurns: 1 } })).get(ChatMemoryService);
    await memory.append('h', 'user', 'start a long agent run');
    const step = Array.from({ length: 1000 }, (_, i) => ({
      role: 'assistant' as const,
      content: `step ${i}`,
    }));
    for (let i = 0; i < 3; i++) await memory.append('h', step);
    await expect(memory.count('h')).resolves.toBe(3001);
    const [next] = await memory.append('h', 'user', 'next question');
    await expect(memory.getHistory('h')).resolves.toEqual([next]);
    // The state, one turn start, one id: nothing of the dropped turn is left.
    await expect(redisClient().hlen(`${keyPrefix}:h:w:{${keyPrefix}:h}`)).resolves.toBe(3);
  });

  it('keeps one round trip per call: getHistory, a maxTokens read, a page, setSystemPrompt', async () => {
    const keyPrefix = uniquePrefix('rt');
    const memory = (await boot({ config: { keyPrefix } })).get(ChatMemoryService);
    await memory.setSystemPrompt('c', 'p');
    await memory.appendTurn('c', 'q', 'a');
    await memory.getHistory('c', { maxTokens: 5 });
    await expect(commandsSent(redisClient(), () => memory.getHistory('c'))).resolves.toEqual({
      lrange: 1,
    });
    // The read script runs LRANGE inside Redis: counted by commandstats, but no round trip.
    await expect(
      commandsSent(redisClient(), () => memory.getHistory('c', { maxTokens: 5 })),
    ).resolves.toEqual({
      evalsha: 1,
      lrange: 1,
    });
    await expect(
      commandsSent(redisClient(), () => memory.getHistoryPage('c', { limit: 1 })),
    ).resolves.toEqual({
      evalsha: 1,
      lrange: 1,
    });
    await expect(
      commandsSent(redisClient(), () => memory.setSystemPrompt('c', 'p2')),
    ).resolves.toEqual({
      evalsha: 1,
    });
  });

  it('a maxTokens read sends back only what it returns', async () => {
    const keyPrefix = uniquePrefix('bytes');
    const memory = (await boot({ config: { keyPrefix, maxTurns: 1000 } })).get(ChatMemoryService);
    const long = 'y'.repeat(400);
    for (let t = 0; t < 200; t++) await memory.appendTurn('big', long, long);
    let before = await bytesSent(redisClient());
    const all = await memory.getHistory('big');
    const fullBytes = (await bytesSent(redisClient())) - before;
    before = await bytesSent(redisClient());
    const recent = await memory.getHistory('big', { maxTokens: 1000 });
    const windowBytes = (await bytesSent(redisClient())) - before;
    expect(all).toHaveLength(400);
    expect(recent).toHaveLength(8); // 4 turns of 2 * (4 + 100) tokens
    // (INFO's own reply is counted in both; it is small next to these.)
    expect(windowBytes * 20).toBeLessThan(fullBytes);
  });

  it('Python-compatible conversations trim to whole turns too, and keep their exact format', async () => {
    const keyPrefix = uniquePrefix('py');
    const memory = (
      await boot({ config: { keyPrefix, maxTurns: 2, wireFormat: 'ractogateway' } })
    ).get(ChatMemoryService);
    for (let i = 1; i <= 7; i++) await memory.append('p', i % 2 ? 'user' : 'assistant', `m${i}`);
    await expect(redisClient().lrange(`${keyPrefix}:p`, 0, -1)).resolves.toEqual([
      '{"role":"user","content":"m5"}',
      '{"role":"assistant","content":"m6"}',
      '{"role":"user","content":"m7"}',
    ]);
    await expect(redisClient().exists(`${keyPrefix}:p:w:{${keyPrefix}:p}`)).resolves.toBe(0);
    await expect(memory.setSystemPrompt('p', 'x')).rejects.toThrow(/ractogateway/);
    expect((await memory.getHistory('p', { maxTokens: 1 })).map((m) => m.content)).toEqual(['m7']);
  });
});

describe('the controller pages with ?limit=&before= and a Link header', () => {
  const bootModule = useTestingModules();

  it('answers a page, a Link to the page before it, and 400 for a bad query', async () => {
    const moduleRef = await bootModule({
      imports: [
        ChatMemoryModule.forRoot({
          store: new InMemoryChatMemoryStore(),
          controller: { canAccess: () => true },
        }),
      ],
    });
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const memory = app.get(ChatMemoryService);
      for (let t = 1; t <= 3; t++) await memory.appendTurn('c', `q${t}`, `a${t}`);
      const base = '/chat-memory/conversations/c/messages';
      const page = await request(app.getHttpServer()).get(`${base}?limit=4`).expect(200);
      expect((page.body as ChatMessage[]).map((m) => m.content)).toEqual(['q2', 'a2', 'q3', 'a3']);
      const link = /^<\.\/messages\?(.*)>; rel="next"$/.exec(page.headers.link)?.[1];
      expect(link).toBe(`limit=4&before=${(page.body as ChatMessage[])[0].id}`);
      const older = await request(app.getHttpServer()).get(`${base}?${link}`).expect(200);
      expect((older.body as ChatMessage[]).map((m) => m.content)).toEqual(['q1', 'a1']);
      expect(older.headers.link).toBeUndefined();
      const whole = await request(app.getHttpServer()).get(base).expect(200);
      expect(whole.body).toHaveLength(6);
      await request(app.getHttpServer()).get(`${base}?limit=0`).expect(400);
      await request(app.getHttpServer()).get(`${base}?limit=abc`).expect(400);
      await request(app.getHttpServer()).get(`${base}?before=gone-id`).expect(400);
      await request(app.getHttpServer()).get(`${base}?other=1`).expect(400);
    } finally {
      await app.close();
    }
  });
});

@Controller('budget')
class BudgetController {
  @Post(':conversationId')
  @RecordChatTurn({ history: { maxTokens: 20 } })
  chat(@ConversationHistory() history: ChatMessage[]) {
    return { reply: history.map((m) => m.content).join('|') };
  }
}

describe('@ConversationHistory() with history: { maxTokens }', () => {
  const bootModule = useTestingModules();

  it('hands the handler the newest whole turns that fit', async () => {
    const moduleRef = await bootModule({
      imports: [ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() })],
      controllers: [BudgetController],
    });
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const server = app.getHttpServer();
      const send = async (message: string) =>
        (await request(server).post('/budget/c').send({ message }).expect(201)).body.reply;
      // The reply is the history it was given, joined. Tokens: 4 per message + 1 per 4 characters.
      expect(await send('a')).toBe(''); // turn 1: 'a' (5), '' (4)
      expect(await send('b')).toBe('a|'); // turn 2: 'b' (5), 'a|' (5)
      expect(await send('c')).toBe('a||b|a|'); // turns 1 and 2: 19 tokens; turn 3's answer: 6
      // Turns 3 (5 + 6) and 2 (10) would be 21: only turn 3 fits in 20.
      expect(await send('d')).toBe('c|a||b|a|');
      // Everything is stored; the budget only chose what the handler saw.
      await expect(app.get(ChatMemoryService).count('c')).resolves.toBe(8);
    } finally {
      await app.close();
    }
  });
});

describe('against LangChain.js trimMessages', () => {
  const boot = useChatMemoryModules(() => ({ store: new InMemoryChatMemoryStore() }));

  it('a budget at which trimMessages leaves tool results without their call, while ours stays valid', async () => {
    const turn = agentTurn(1);
    const tokens = turn.map((m) => estimateTokens(m as ChatMessage));
    const budget = tokens.slice(-3).reduce((a, b) => a + b, 0);
    const langchain = [
      new HumanMessage(turn[0].content as string),
      new AIMessage({
        content: '',
        tool_calls: turn[1].toolCalls!.map((c) => ({
          id: c.id,
          name: c.name,
          args: JSON.parse(c.arguments) as Record<string, unknown>,
        })),
      }),
      new ToolMessage({ tool_call_id: 'p1', content: turn[2].content as string }),
      new ToolMessage({ tool_call_id: 'r1', content: turn[3].content as string }),
      new AIMessage(turn[4].content as string),
    ];
    // The same token counts as ours, looked up by content.
    const byContent = new Map(turn.map((m, i) => [`${m.role}:${m.content as string}`, tokens[i]]));
    const typeToRole = { human: 'user', ai: 'assistant', tool: 'tool' } as Record<string, string>;
    const trimmed = await trimMessages(langchain, {
      maxTokens: budget,
      strategy: 'last',
      tokenCounter: (messages) =>
        messages.reduce(
          (sum, m) =>
            sum + (byContent.get(`${typeToRole[m.getType()]}:${m.content as string}`) ?? 0),
          0,
        ),
    });
    // Two tool results and the answer: the call they answer is gone; a provider answers 400.
    expect(trimmed.map((m) => m.getType())).toEqual(['tool', 'tool', 'ai']);

    const memory = (await boot()).get(ChatMemoryService);
    await memory.append('lc', turn);
    const window = await memory.getHistory('lc', { maxTokens: budget });
    // Ours: the newest turn comes back whole, the call with both results and the answer.
    expect(window.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
  });
});
