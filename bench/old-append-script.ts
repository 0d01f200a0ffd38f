import { createHash } from 'node:crypto';

/**
 * The library's append script before the window rules of issue 10, kept byte for byte (from
 * `libs/chat-memory/src/store/redis-chat-memory.scripts.ts` at git d78d539) so that the `windows`
 * section can measure it against the new one on the same server. KEYS[1] list key; ARGV[1] max
 * length; ARGV[2] TTL in ms (0: leave expiry alone); ARGV[3..] entries. Not used by the library.
 */
export const OLD_APPEND_SCRIPT = `
local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
local max = tonumber(ARGV[1])
if n > max then
  redis.call('LTRIM', KEYS[1], -max, -1)
  n = max
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n
`;

/** SHA1 of the old append script, as EVALSHA names it. */
export const OLD_APPEND_SHA = createHash('sha1').update(OLD_APPEND_SCRIPT).digest('hex');
