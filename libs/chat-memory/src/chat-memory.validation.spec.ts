import { describe, expect, it } from 'vitest';
import { InvalidContentError } from './chat-memory.errors.js';
import { assertContent } from './chat-memory.validation.js';

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
