import { Redis } from 'ioredis';
import { ChatMemoryService, estimateTokens } from 'nestjs-chat-memory';
import { o200kTokenCounter } from 'nestjs-chat-memory/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';

describe('token counters', () => {
  const boot = useChatMemoryModules(() => ({ url: redisUrl() }));
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('o200kTokenCounter counts with the o200k_base encoding, plus 3 per message', () => {
    // o200k_base: "Hello" "," " world" "!"
    expect(o200kTokenCounter({ role: 'user', content: 'Hello, world!' })).toBe(4 + 3);
    expect(
      o200kTokenCounter({
        role: 'assistant',
        content: [
          { type: 'text', text: 'Hello, world!' },
          { type: 'image', url: 'https://example.com/a.png' },
        ],
        toolCalls: [{ id: 'c1', name: 'f', arguments: '' }],
      }),
    ).toBe(3 + 4 + 256 + 1);
  });

  it('estimateTokens is about 4 characters a token, plus 4 per message', () => {
    expect(estimateTokens({ role: 'user', content: '' })).toBe(4);
    expect(estimateTokens({ role: 'user', content: 'x'.repeat(9) })).toBe(4 + 3);
  });

  it('the configured counter is stored with each entry and bounds the window', async () => {
    const keyPrefix = uniquePrefix('tok');
    const memory = (
      await boot({ config: { keyPrefix, tokenCounter: o200kTokenCounter, maxTokens: 20 } })
    ).get(ChatMemoryService);
    for (let t = 0; t < 3; t++) await memory.appendTurn('c', 'Hello, world!', 'Hello, world!');
    // Each turn is 14 tokens: only the newest fits in 20.
    const entries = (await redis.lrange(`${keyPrefix}:c`, 0, -1)).map(
      (e) => JSON.parse(e) as { k: number },
    );
    expect(entries.map((e) => e.k)).toEqual([7, 7]);
  });

  it('a counter that returns something else than an integer >= 0 fails the write, naming the option', async () => {
    const memory = (
      await boot({ config: { keyPrefix: uniquePrefix('tok'), tokenCounter: () => 1.5 } })
    ).get(ChatMemoryService);
    await expect(memory.append('c', 'user', 'x')).rejects.toThrow(/config\.tokenCounter/);
    await expect(memory.count('c')).resolves.toBe(0);
  });
});
