import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeLegacy, toMessage } from './chat-message.codec.js';

describe('encodeLegacy (the Python format)', () => {
  it('writes a JSON object with role then content, and nothing else', () => {
    expect(encodeLegacy('user', 'Hi "you"')).toBe('{"role":"user","content":"Hi \\"you\\""}');
  });
});

describe('toMessage', () => {
  it('returns a fresh { role, content } object without other keys', () => {
    const parsed = JSON.parse('{"content":"x","role":"tool","extra":1,"__proto__":{"bad":true}}');
    const message = toMessage(parsed);
    expect(message).toStrictEqual({ role: 'tool', content: 'x' });
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    expect(message).not.toBe(parsed);
  });

  it.each([
    null,
    1,
    'text',
    [],
    ['user', 'x'],
    {},
    { role: 'user' },
    { role: 'root', content: 'x' },
  ])('rejects %j', (value) => expect(toMessage(value)).toBeUndefined());
});

describe('decodeMessages', () => {
  const valid = [
    '{"role":"user","content":"a"}',
    '{"role": "assistant", "content": "caf\\u00e9"}',
    '{"role":"system","content":"[1,2]"}',
  ];

  it('decodes valid entries in order', () => {
    expect(decodeMessages(valid)).toStrictEqual({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'café' },
        { role: 'system', content: '[1,2]' },
      ],
      skipped: [],
    });
    expect(decodeMessages([])).toStrictEqual({ messages: [], skipped: [] });
  });

  it('skips bad entries and reports the index of each one', () => {
    const entries = [valid[0], '{oops', valid[1], '{"role":"user"}', '1', valid[2]];
    const { messages, skipped } = decodeMessages(entries);
    expect(messages.map((m) => m.content)).toEqual(['a', 'café', '[1,2]']);
    expect(skipped).toEqual([1, 3, 4]);
  });

  it('does not let one entry holding two JSON values pass as two messages', () => {
    const twoInOne = '{"role":"user","content":"x"},{"role":"user","content":"smuggled"}';
    const { messages, skipped } = decodeMessages([valid[0], twoInOne]);
    expect(messages).toStrictEqual([{ role: 'user', content: 'a' }]);
    expect(skipped).toEqual([1]);
  });

  it('treats entries that only parse when joined (a string split across two entries) as garbage', () => {
    const { messages, skipped } = decodeMessages(['"ab', 'cd"']);
    expect(messages).toEqual([]);
    expect(skipped).toEqual([0, 1]);
  });
  it('never returns values that straddle entries, even when the counts add up', () => {
    const entries = [
      '{"role":"user","content":"a"},{"role":"user","content":"b"}', // two values in one entry
      '{"role":"user","content":"c","x":[{"y":1}', // one value split over two entries
      '{"z":1}]}',
      encodeLegacy('assistant', 'real'),
    ];
    expect(decodeMessages(entries)).toEqual({
      messages: [{ role: 'assistant', content: 'real' }],
      skipped: [0, 1, 2],
    });
  });
});

const window = (n: number, size: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    encodeLegacy(i % 2 === 0 ? 'user' : 'assistant', `${i} ${'x'.repeat(size)}`),
  );

describe('encodeLegacy, byte for byte', () => {
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
        expect(encodeLegacy(role, content)).toBe(JSON.stringify({ role, content }));
      }
    },
  );
});

describe('decodeMessages, small and large windows', () => {
  it.each([
    ['a small window', 20, 250],
    ['a window over 64 Ki characters', 2000, 250],
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
