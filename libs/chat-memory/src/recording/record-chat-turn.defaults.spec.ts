import { describe, expect, it } from 'vitest';
import {
  defaultAnswer,
  defaultChunk,
  defaultConversationId,
  defaultMessage,
} from './record-chat-turn.defaults.js';

describe('the default conversation id', () => {
  it('is the route param, then the body field, then the x-conversation-id header', () => {
    const headers = { 'x-conversation-id': 'h' };
    expect(
      defaultConversationId({
        params: { conversationId: 'p' },
        body: { conversationId: 'b' },
        headers,
      }),
    ).toBe('p');
    expect(defaultConversationId({ params: {}, body: { conversationId: 'b' }, headers })).toBe('b');
    expect(defaultConversationId({ params: {}, body: {}, headers })).toBe('h');
    expect(defaultConversationId({ headers: { 'x-conversation-id': ['first', 'second'] } })).toBe(
      'first',
    );
  });

  it('skips empty and non-string values, and is undefined when nothing fits', () => {
    expect(
      defaultConversationId({ params: { conversationId: '' }, body: { conversationId: 7 } }),
    ).toBeUndefined();
    expect(defaultConversationId({ body: 'text' })).toBeUndefined();
    expect(defaultConversationId({})).toBeUndefined();
  });
});

describe('the default message, answer and chunk', () => {
  it('reads body.message', () => {
    expect(defaultMessage({ body: { message: 'hi' } })).toBe('hi');
    expect(defaultMessage({ body: undefined })).toBeUndefined();
  });

  it('takes a string result, else reply, else content', () => {
    expect(defaultAnswer('text')).toBe('text');
    expect(defaultAnswer({ reply: 'r', content: 'c' })).toBe('r');
    expect(defaultAnswer({ reply: 1, content: 'c' })).toBe('c');
    expect(defaultAnswer({ other: 'x' })).toBeUndefined();
    expect(defaultAnswer(null)).toBeUndefined();
  });

  it('takes a string chunk or the data string of an SSE event, nothing else', () => {
    expect(defaultChunk('w ')).toBe('w ');
    expect(defaultChunk({ data: 'd', id: '1' })).toBe('d');
    expect(defaultChunk({ data: { json: true } })).toBeUndefined();
    expect(defaultChunk(42)).toBeUndefined();
  });
});
