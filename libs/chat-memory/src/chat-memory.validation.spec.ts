import { describe, expect, it } from 'vitest';
import { InvalidContentError } from './chat-memory.errors.js';
import { assertContent, resolveChatMemoryConfig } from './chat-memory.validation.js';

describe('resolveChatMemoryConfig', () => {
  it('applies the documented defaults', () => {
    expect(resolveChatMemoryConfig({})).toEqual({
      maxTurns: 10,
      maxMessages: 20,
      ttlMs: null,
      keyPrefix: 'chat-memory',
      maxContentBytes: 65536,
    });
  });

  it('keeps millisecond precision of the TTL', () => {
    expect(resolveChatMemoryConfig({ config: { ttlSeconds: 0.5 } }).ttlMs).toBe(500);
    expect(resolveChatMemoryConfig({ config: { ttlSeconds: 0.001 } }).ttlMs).toBe(1);
    expect(resolveChatMemoryConfig({ config: { ttlSeconds: 1800 } }).ttlMs).toBe(1_800_000);
  });

  it('rejects options that are not an object', () => {
    expect(() => resolveChatMemoryConfig(null as never)).toThrow(/option "options"/);
  });
});

describe('assertContent', () => {
  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    expect(() => assertContent('😀', 4)).not.toThrow(); // 2 code units, 4 bytes
    expect(() => assertContent('😀', 3)).toThrow(InvalidContentError);
    expect(() => assertContent('abc', 3)).not.toThrow();
    expect(() => assertContent('abcd', 3)).toThrow(/4 bytes, more than the limit of 3/);
  });

  it('names the argument in its message', () => {
    expect(() => assertContent(5, 10, 'userContent')).toThrow(
      /userContent must be a string, got 5/,
    );
  });
});
