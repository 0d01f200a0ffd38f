import { createHash } from 'node:crypto';

/**
 * @internal The append script. KEYS[1] list key; ARGV[1] max length; ARGV[2] TTL in ms (0: leave
 * expiry alone); ARGV[3..] entries. RPUSH, LTRIM and PEXPIRE run as one atomic step, in one
 * round trip. Resolves to the list length afterwards.
 */
export const APPEND_SCRIPT = `
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

/** @internal SHA1 of the append script, as EVALSHA names it. */
export const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');
