import { describe, expect, it } from 'vitest';
import { lastIdTime, newMessageId, timeOfId } from './chat-message.ids.js';

describe('message ids', () => {
  it('are ULIDs that carry their time', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const id = newMessageId(now);
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(timeOfId(id)).toBe(lastIdTime());
    expect(lastIdTime()).toBeGreaterThanOrEqual(now);
  });

  it('sort in the order they were made, within a millisecond and when the clock steps back', () => {
    const now = Date.UTC(2031, 0, 1); // later than any id made before in this process
    const ids = [newMessageId(now), newMessageId(now), newMessageId(now), newMessageId(now - 5000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    expect(timeOfId(ids[3])).toBe(now);
  });

  it('decodes the time of the ULID spec example, and nothing from strings that are not ULIDs', () => {
    expect(timeOfId('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(1469922850259);
    for (const notUlid of [
      '',
      'my-id',
      '01arz3ndektsv4rrffq69g5fav', // lower case
      '81ARZ3NDEKTSV4RRFFQ69G5FAV', // more than 48 bits
      '01ARZ3NDEKTSV4RRFFQ69G5FAU', // U is not in the alphabet
      '01ARZ3NDEKTSV4RRFFQ69G5FA',
      '01ARZ3NDEKTSV4RRFFQ69G5FAVX',
      '01ARZ3NDEKTSV4RRFFQ69G5FA\u00e9',
    ]) {
      expect(timeOfId(notUlid)).toBeUndefined();
    }
  });
});
