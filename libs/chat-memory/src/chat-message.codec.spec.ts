import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeMessage } from './chat-message.codec.js';

describe('decodeMessages', () => {
  it('decodes our own entries and Python json.dumps entries on the fast path', () => {
    const entries = [
      encodeMessage('user', 'hi "there"'),
      '{"role": "assistant", "content": "Caf\\u00e9 \\ud83d\\ude00"}',
    ];
    expect(decodeMessages(entries)).toEqual({
      messages: [
        { role: 'user', content: 'hi "there"' },
        { role: 'assistant', content: 'Café 😀' },
      ],
      skipped: [],
    });
  });

  it('never returns values that straddle entries, even when the counts add up', () => {
    const entries = [
      '{"role":"user","content":"a"},{"role":"user","content":"b"}', // two values in one entry
      '{"role":"user","content":"c","x":[{"y":1}', // one value split over two entries
      '{"z":1}]}',
      encodeMessage('assistant', 'real'),
    ];
    expect(decodeMessages(entries)).toEqual({
      messages: [{ role: 'assistant', content: 'real' }],
      skipped: [0, 1, 2],
    });
  });
});
