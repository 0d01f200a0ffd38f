import { randomFillSync } from 'node:crypto';

/**
 * @internal Message ids: ULIDs (26 characters of Crockford base32, 48 bits of milliseconds then 80
 * random bits), monotonic within the process, so ids made later sort after ids made earlier
 * (within one millisecond the random part is incremented, as the ULID spec describes).
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Digit value by character code (ASCII), -1 for characters outside the alphabet. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;

const randomPool = new Uint8Array(4096);
let poolOffset = randomPool.length;
let lastTime = -1;
const lastRandom = new Uint8Array(RANDOM_LENGTH);

function freshRandom(): void {
  if (poolOffset + RANDOM_LENGTH > randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  for (let i = 0; i < RANDOM_LENGTH; i++) lastRandom[i] = randomPool[poolOffset + i] & 31;
  poolOffset += RANDOM_LENGTH;
}

/** Adds one to the random part; false when it overflowed (80 bits exhausted within one millisecond). */
function incrementRandom(): boolean {
  for (let i = RANDOM_LENGTH - 1; i >= 0; i--) {
    if (lastRandom[i] < 31) {
      lastRandom[i]++;
      return true;
    }
    lastRandom[i] = 0;
  }
  return false;
}

function encodeTime(time: number): string {
  let text = '';
  for (let i = 0; i < TIME_LENGTH; i++) {
    text = ALPHABET[time % 32] + text;
    time = Math.floor(time / 32);
  }
  return text;
}

function randomText(): string {
  let text = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) text += ALPHABET[lastRandom[i]];
  return text;
}

let lastTimeText = '';

/** A new id; `now` in milliseconds. A clock that steps back keeps the last time, so order holds. */
export function newMessageId(now: number): string {
  if (now > lastTime) {
    lastTime = now;
    lastTimeText = encodeTime(now);
    freshRandom();
  } else if (!incrementRandom()) {
    lastTime++;
    lastTimeText = encodeTime(lastTime);
    freshRandom();
  }
  return lastTimeText + randomText();
}

/** The time of the last id made by `newMessageId`, which is its `createdAt`. */
export function lastIdTime(): number {
  return lastTime;
}

/**
 * `String.prototype.charCodeAt`, called as a function: ids come out of `JSON.parse` as strings of
 * several internal kinds, which made `id.charCodeAt` a megamorphic property lookup on every
 * character (about 3,000 instructions per id read; see bench/README.md).
 */
const charCodeAt = String.prototype.charCodeAt;

/** The value of the base32 digit at `index` of `id`, or -1. */
const digitAt = (id: string, index: number): number => {
  const code = charCodeAt.call(id, index);
  return code < 128 ? DECODE[code] : -1;
};

/**
 * The millisecond time of a ULID (26 characters of Crockford base32, upper case, the first at
 * most 7), or `undefined` when `id` is not one. On the read path: no regular expression.
 */
export function timeOfId(id: string): number | undefined {
  if (id.length !== TIME_LENGTH + RANDOM_LENGTH) return undefined;
  let time = 0;
  for (let i = 0; i < TIME_LENGTH; i++) {
    const digit = digitAt(id, i);
    if (digit < 0 || (i === 0 && digit > 7)) return undefined;
    time = time * 32 + digit;
  }
  for (let i = TIME_LENGTH; i < id.length; i++) if (digitAt(id, i) < 0) return undefined;
  return time;
}
