import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeMessage } from './chat-message.codec.js';

const window = (n: number, size: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    encodeMessage(i % 2 === 0 ? 'user' : 'assistant', `${i} ${'x'.repeat(size)}`),
  );

describe('encodeMessage', () => {
  it.each(['system', 'user', 'assistant', 'tool'] as const)(
    'writes exactly what JSON.stringify({ role, content }) writes, role %s',
    (role) => {
      for (const content of [
        '',
        'hi',
        'Tab\there, "quoted", back\\slash\nnew line',
        'Café 日本 😀 \u2028',
        '\ud800 lone',
      ]) {
        expect(encodeMessage(role, content)).toBe(JSON.stringify({ role, content }));
      }
    },
  );
});

describe('decodeMessages', () => {
  it.each([
    ['a small window (one JSON.parse of the joined entries)', 20, 250],
    ['a window over 64 Ki characters (parsed entry by entry)', 2000, 250],
  ])('decodes %s in order', (_name, n, size) => {
    const entries = window(n, size);
    const { messages, skipped } = decodeMessages(entries);
    expect(skipped).toEqual([]);
    expect(messages).toHaveLength(n);
    expect(messages[0]).toEqual({ role: 'user', content: `0 ${'x'.repeat(size)}` });
    expect(messages[n - 1]).toEqual({ role: 'assistant', content: `${n - 1} ${'x'.repeat(size)}` });
  });

  it.each([20, 2000])('skips entries that are not messages in a window of %i', (n) => {
    const entries = window(n, 250);
    entries[1] = 'not json';
    entries[n - 1] = '{"role":"wizard","content":"x"}';
    const { messages, skipped } = decodeMessages(entries);
    expect(skipped).toEqual([1, n - 1]);
    expect(messages).toHaveLength(n - 2);
    expect(messages[1].content).toBe(`2 ${'x'.repeat(250)}`);
  });
});
