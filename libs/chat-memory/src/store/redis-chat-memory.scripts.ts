import { createHash } from 'node:crypto';

/**
 * @internal The Redis scripts. Each runs atomically in one round trip. `WINDOW_APPEND` and
 * `WINDOW_READ` keep and use a small per-conversation hash (`windowKeyOf`), in the same Cluster
 * slot as the list, that holds what the window rules need in O(1):
 *
 * - `S`, the state, eight numbers separated by spaces, `b s k q f g o P`:
 *   - `b`, `s`: sequence numbers of the first stored message and of the next one (a message's list
 *     index is its sequence number minus `b`, plus `P`);
 *   - `k`, `q`: running token sum after the newest message and before the first stored one;
 *   - `f`, `g`: numbers of the first stored turn and of the next turn;
 *   - `o`: how many tool calls of the newest step are open;
 *   - `P`: 1 when list index 0 holds the pinned system prompt;
 * - `t<n>` = `"<seq>:<tokens>"`: the sequence number of turn `n`'s first message and the token sum
 *   before it;
 * - `i<id>`: the sequence number of the message with that id (`-1`: the pinned prompt);
 * - `c<callId>`: one open tool call; `pk`: the pinned prompt's tokens.
 *
 * The hash is derived from the list: when it is missing or does not match the list's length
 * (a conversation written before it existed, or evicted on its own), the append script rebuilds
 * it from the list, once.
 */

const REBUILD = `
-- Lua's unpack() has a limit of a few thousand values: long argument lists go in chunks.
local function chunked(command, key, list)
  for from = 1, #list, 1000 do
    redis.call(command, key, unpack(list, from, math.min(from + 999, #list)))
  end
end

-- The state as read (text, and numbers): packState reuses the text of what did not change, as
-- turning a number into text is one of the costliest steps of a script.
local tb, tq, tf, to, tP, nb, nq, nf, no, nP

local function parseState(v)
  local ts, tk, tg
  tb, ts, tk, tq, tf, tg, to, tP = string.match(v,
    '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
  nb, nq, nf, no, nP = tonumber(tb), tonumber(tq), tonumber(tf), tonumber(to), tonumber(tP)
  return nb, tonumber(ts), tonumber(tk), nq, nf, tonumber(tg), no, nP
end

local function packState()
  if b ~= nb then tb = b end
  if q ~= nq then tq = q end
  if f ~= nf then tf = f end
  if o ~= no then to = o end
  if P ~= nP then tP = P end
  return tb .. ' ' .. s .. ' ' .. k .. ' ' .. tq .. ' ' .. tf .. ' ' .. g .. ' ' .. to .. ' ' .. tP
end

local function rebuild()
  -- The conversation's record (owned conversations): kept across a rebuild.
  local RECORD = {'cA', 'uA', 'tt', 'md'}
  local record = redis.call('HMGET', H, unpack(RECORD))
  redis.call('DEL', H)
  local all = redis.call('LRANGE', L, 0, -1)
  b, s, k, q, f, g, o, P = 0, 0, 0, 0, 0, 0, 0, 0
  local set, open = {}, {}
  for x = 1, #all do
    local e = all[x]
    local ok, m = pcall(cjson.decode, e)
    if type(m) ~= 'table' then ok = false end
    if x == 1 and ok and m.p == 1 then
      P = 1
      set.pk = tonumber(m.k) or math.ceil(#e / 4)
      if type(m.i) == 'string' then set['i' .. m.i] = -1 end
    else
      local role, tok = nil, nil
      if ok then
        if m.v ~= nil then role = m.r; tok = tonumber(m.k) else role = m.role end
      end
      if role == 'user' or g == f then
        set['t' .. g] = s .. ':' .. k
        g = g + 1
      end
      if ok and type(m.i) == 'string' then set['i' .. m.i] = s end
      if role == 'tool' and ok and type(m.ti) == 'string' then
        open[m.ti] = nil
      elseif role ~= 'tool' then
        open = {}
        if role == 'assistant' and ok and type(m.tc) == 'table' then
          for _, call in ipairs(m.tc) do
            if type(call) == 'table' and type(call.id) == 'string' then open[call.id] = true end
          end
        end
      end
      s = s + 1
      k = k + (tok or math.ceil(#e / 4))
    end
  end
  for id in pairs(open) do
    set['c' .. id] = 1
    o = o + 1
  end
  set.S = packState()
  for x = 1, #RECORD do
    if record[x] then set[RECORD[x]] = record[x] end
  end
  local flat = {}
  for field, value in pairs(set) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  chunked('HSET', H, flat)
end
`;

/**
 * @internal The append script of native conversations. KEYS: list, window hash. ARGV: max turns,
 * max messages (0: none), max tokens (0: none), TTL in ms (0: leave expiry alone), `1` to return
 * the evicted entries, the number of messages, then for each message: entry, id, role letter
 * (`s u a t`), tokens, number of tool-call ids that follow, the ids (the calls an assistant
 * message opens, or the one call a tool message answers).
 *
 * A message whose id is already in the window is skipped. A tool message must answer an open
 * call; no other message may come while calls are open. A violation answers an error reply
 * `CHATMEMORY <rule> <message index>` and writes nothing. Then whole turns are dropped from the
 * front while the window has more than max turns, messages or tokens, never the newest turn.
 *
 * An owned conversation has a third key, its owner's index (a sorted set of conversation ids by
 * last activity, in the owner's Cluster slot), and its id as the last ARGV: a write that stores
 * something sets the record's `uA` (and `cA` the first time) to Redis' clock, scores the id in
 * the index, and gives the index the TTL too.
 *
 * Reply: `{ list length, number skipped, 2 * the number of entries the window dropped + (1 if this
 * write created an owned conversation's record, else 0), skipped indexes..., evicted entries... }`
 * (two numbers in one element: each element of a reply costs the client more than the script).
 */
export const WINDOW_APPEND_SCRIPT = `
local L, H = KEYS[1], KEYS[2]
local count = tonumber(ARGV[6])
local b, s, k, q, f, g, o, P
${REBUILD}
local fields = {'S'}
local pos = 7
for j = 1, count do
  fields[1 + j] = 'i' .. ARGV[pos + 1]
  local nc = ARGV[pos + 4]
  if nc == '0' then pos = pos + 5 else pos = pos + 5 + tonumber(nc) end
end
-- An owned conversation: KEYS[3] is its owner's index, the last ARGV its id.
local owned = #KEYS == 3
if owned then fields[#fields + 1] = 'cA' end
local st = redis.call('HMGET', H, unpack(fields))
local len
if st[1] then
  b, s, k, q, f, g, o, P = parseState(st[1])
  -- A hash that outlived its List (or a List written by something else) must not skip messages:
  -- checked when an id was found. Other mismatches show in RPUSH's reply, below.
  for j = 1, count do
    if st[1 + j] then
      len = redis.call('LLEN', L)
      break
    end
  end
end
if not st[1] or (len and len ~= s - b + P) then
  len = len or redis.call('LLEN', L)
  if len == 0 then
    if st[1] then redis.call('DEL', H) end
    b, s, k, q, f, g, o, P = 0, 0, 0, 0, 0, 0, 0, 0
    for j = 1, count do st[1 + j] = false end
  else
    rebuild()
    st = redis.call('HMGET', H, unpack(fields))
  end
end
local expected = s - b + P

-- Numbers that only pass through stay text: turning a number into text (about 0.15 us in Redis'
-- Lua) costs more than most other steps of this script.
local add, set, turns, n, skipped, calls = {}, {}, {}, 0
pos = 7
for j = 1, count do
  local nc = ARGV[pos + 4]
  nc = nc == '0' and 0 or tonumber(nc)
  if st[1 + j] then
    skipped = skipped or {}
    skipped[#skipped + 1] = j - 1
  else
    local role = ARGV[pos + 2]
    local seq = s .. ''
    if role == 't' then
      local id2 = ARGV[pos + 5]
      calls = calls or {}
      local isOpen = calls[id2]
      if isOpen == nil then isOpen = redis.call('HEXISTS', H, 'c' .. id2) == 1 end
      if not isOpen then return redis.error_reply('CHATMEMORY orphan ' .. (j - 1)) end
      calls[#calls + 1] = id2
      calls[id2] = false
      o = o - 1
    elseif o > 0 then
      return redis.error_reply('CHATMEMORY open ' .. (j - 1))
    else
      if role == 'u' or g == f then
        local tv = seq .. ':' .. k
        turns[g] = tv
        set[n + 1] = 't' .. g
        set[n + 2] = tv
        n = n + 2
        g = g + 1
      end
      if nc > 0 then
        calls = calls or {}
        for c = 1, nc do
          local id2 = ARGV[pos + 4 + c]
          calls[#calls + 1] = id2
          calls[id2] = true
          o = o + 1
        end
      end
    end
    add[#add + 1] = ARGV[pos]
    set[n + 1] = 'i' .. ARGV[pos + 1]
    set[n + 2] = seq
    n = n + 2
    s = s + 1
    k = k + tonumber(ARGV[pos + 3])
  end
  pos = pos + 5 + nc
end

local ttl, wantEv = ARGV[4], ARGV[5] == '1'
local del, evicted, created, trimmed = nil, nil, 0, 0
if #add > 0 then
  len = redis.call('RPUSH', L, unpack(add))
  if len ~= expected + #add then
    -- The hash did not match the List: rebuild it from the List, new entries included.
    rebuild()
    set, calls, turns, n = {}, nil, {}, 0
  end
  local maxTurns, maxMsgs, maxTok = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
  local c, cs, ck = f, b, q
  while c < g - 1 and (g - c > maxTurns or (maxMsgs > 0 and s - cs > maxMsgs)
      or (maxTok > 0 and k - ck > maxTok)) do
    c = c + 1
    local a, z = string.match(turns[c] or redis.call('HGET', H, 't' .. c), '^([^:]+):(.+)$')
    cs, ck = tonumber(a), tonumber(z)
  end
  if c > f then
    del, evicted = {}, {}
    local popped = redis.call('LPOP', L, cs - b + P)
    if P == 1 then redis.call('LPUSH', L, popped[1]) end
    for x = 1 + P, #popped do
      local id = string.match(popped[x], '^{"v":1,"i":"([^"]+)"')
      if id then del[#del + 1] = 'i' .. id end
      if wantEv then evicted[#evicted + 1] = popped[x] end
    end
    for t = f, c - 1 do del[#del + 1] = 't' .. t end
    trimmed = cs - b
    len = len - trimmed
    b, q, f = cs, ck, c
  end
  if calls then
    for x = 1, #calls do
      local id2 = calls[x]
      if calls[id2] == true then
        set[n + 1] = 'c' .. id2
        set[n + 2] = '1'
        n = n + 2
        calls[id2] = nil
      elseif calls[id2] == false then
        del = del or {}
        del[#del + 1] = 'c' .. id2
        calls[id2] = nil
      end
    end
  end
  set[n + 1] = 'S'
  set[n + 2] = packState()
  n = n + 2
  if owned then
    local time = redis.call('TIME')
    local now = time[1] * 1000 + math.floor(time[2] / 1000)
    local nowText = now .. ''
    set[n + 1] = 'uA'
    set[n + 2] = nowText
    n = n + 2
    if not st[#fields] then
      set[n + 1] = 'cA'
      set[n + 2] = nowText
      n = n + 2
      created = 1
      -- A new conversation grows the index: drop the entries of those expired meanwhile, so the
      -- index stays bounded by what is alive even when nobody lists it.
      if ttl ~= '0' then
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - tonumber(ttl)))
      end
    end
    redis.call('ZADD', KEYS[3], nowText, ARGV[#ARGV])
  end
  chunked('HSET', H, set)
  if del and #del > 0 then chunked('HDEL', H, del) end
else
  len = len or redis.call('LLEN', L)
end
if ttl ~= '0' and len > 0 then
  redis.call('PEXPIRE', L, ttl)
  redis.call('PEXPIRE', H, ttl)
  if owned then redis.call('PEXPIRE', KEYS[3], ttl) end
end
local reply = {len, skipped and #skipped or 0, 2 * trimmed + created}
if skipped then for x = 1, #skipped do reply[#reply + 1] = skipped[x] end end
if evicted then for x = 1, #evicted do reply[#reply + 1] = evicted[x] end end
return reply
`;

/**
 * @internal The pinned-prompt script of native conversations. KEYS: list, window hash. ARGV: the
 * prompt entry (empty: remove the prompt), its id, TTL in ms (0: leave expiry alone), its tokens;
 * for an owned conversation, KEYS[3] is the owner's index and ARGV[5] the conversation id. The prompt is
 * list index 0; the window hash is rebuilt first when it does not match the list. Reply: the list
 * length.
 */
export const WINDOW_PIN_SCRIPT = `
local L, H = KEYS[1], KEYS[2]
local entry, ttl = ARGV[1], tonumber(ARGV[3])
local b, s, k, q, f, g, o, P
${REBUILD}
local st = redis.call('HGET', H, 'S')
local len = redis.call('LLEN', L)
if st then b, s, k, q, f, g, o, P = parseState(st) end
if not st or len ~= s - b + P then
  if len == 0 then
    redis.call('DEL', H)
    b, s, k, q, f, g, o, P = 0, 0, 0, 0, 0, 0, 0, 0
  else
    rebuild()
  end
end
if P == 1 then
  local old = redis.call('LPOP', L)
  local id = string.match(old, '^{"v":1,"i":"([^"]+)"')
  if id then redis.call('HDEL', H, 'i' .. id) end
  len = len - 1
end
if entry == '' then
  P = 0
  redis.call('HSET', H, 'S', packState())
else
  len = redis.call('LPUSH', L, entry)
  P = 1
  redis.call('HSET', H, 'S', packState(), 'pk', ARGV[4], 'i' .. ARGV[2], -1)
end
if len == 0 then
  redis.call('DEL', L, H)
  if #KEYS == 3 then redis.call('ZREM', KEYS[3], ARGV[5]) end
  return 0
end
if #KEYS == 3 then
  -- An owned conversation: its index entry and record follow the activity, as in the append.
  local time = redis.call('TIME')
  local now = time[1] * 1000 + math.floor(time[2] / 1000)
  redis.call('ZADD', KEYS[3], now, ARGV[5])
  redis.call('HSET', H, 'uA', now)
  redis.call('HSETNX', H, 'cA', now)
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if ttl > 0 then
  redis.call('PEXPIRE', L, ttl)
  redis.call('PEXPIRE', H, ttl)
end
return len
`;

/**
 * @internal The window read of native conversations. KEYS: list, window hash. ARGV: max tokens (0:
 * none), limit (0: none), before (a message id, or empty), the tokens of the module's default prompt.
 * With max tokens: the newest whole turns whose tokens fit (the newest turn always), after the
 * pinned prompt's tokens (or the default prompt's, when there is no pinned one). With limit/before:
 * the `limit` messages just before the message `before` (or the newest ones). Reply:
 * `{ status, more, pinned entry or false, entries... }`; status `0` when the hash does not match the
 * list (the caller then reads the whole list and selects itself), `-1` when `before` is not in the
 * window, `1` otherwise.
 */
export const WINDOW_READ_SCRIPT = `
local L, H = KEYS[1], KEYS[2]
local maxTok, limit, before = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local byTokens = maxTok > 0
local st = redis.call('HMGET', H, 'S', 'pk')
local len = redis.call('LLEN', L)
if len == 0 then return {1, 0, false} end
if not st[1] then return {0, 0, false} end
local b, s, k, q, f, g, o, P = string.match(st[1],
  '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
b, s, k, f, g, P = tonumber(b), tonumber(s), tonumber(k), tonumber(f), tonumber(g), tonumber(P)
if len ~= s - b + P then return {0, 0, false} end
local pinned = false
if P == 1 then
  pinned = redis.call('LINDEX', L, 0)
  maxTok = maxTok - (tonumber(st[2]) or 0)
else
  maxTok = maxTok - tonumber(ARGV[4])
end
local from, to = b, s
if byTokens and g > f then
  local c = g - 1
  while c > f do
    local tv = redis.call('HGET', H, 't' .. (c - 1))
    local sep = string.find(tv, ':', 1, true)
    if k - tonumber(string.sub(tv, sep + 1)) > maxTok then break end
    c = c - 1
  end
  local tv = redis.call('HGET', H, 't' .. c)
  from = tonumber(string.sub(tv, 1, string.find(tv, ':', 1, true) - 1))
end
if before ~= '' then
  local at = redis.call('HGET', H, 'i' .. before)
  if not at then return {-1, 0, false} end
  to = tonumber(at)
  if to == -1 then return {1, 0, false} end
  if to < b then to = b end
end
if limit > 0 and to - from > limit then from = to - limit end
local more = 0
if from > b then more = 1 end
if pinned and from > b and not byTokens then pinned = false end
local reply = {1, more, pinned}
if to > from then
  local part = redis.call('LRANGE', L, from - b + P, to - 1 - b + P)
  for x = 1, #part do reply[#reply + 1] = part[x] end
end
return reply
`;

/**
 * @internal The append script of Python-compatible conversations (`wireFormat: 'ractogateway'`),
 * whose list is also written by the Python original, so it keeps no hash. KEYS: list. ARGV: max
 * messages, `1` to return evicted entries, TTL in ms (0: leave expiry alone), entries. Pushes,
 * keeps the last max messages, then drops entries before the first user message, if there is one.
 * Reply: `{ list length, 0, 2 * entries dropped, evicted entries... }`.
 */
export const COMPAT_APPEND_SCRIPT = `
local L = KEYS[1]
local max, wantEv, ttl = tonumber(ARGV[1]), ARGV[2] == '1', tonumber(ARGV[3])
local n = redis.call('RPUSH', L, unpack(ARGV, 4))
local reply = {n, 0, 0}
if n > max then
  local popped = redis.call('LPOP', L, n - max)
  n = max
  reply[3] = 2 * #popped
  if wantEv then for x = 1, #popped do reply[#reply + 1] = popped[x] end end
  local all = redis.call('LRANGE', L, 0, -1)
  local first = 0
  for x = 1, #all do
    if string.find(all[x], '^{"role": ?"user"') then first = x; break end
  end
  if first > 1 then
    popped = redis.call('LPOP', L, first - 1)
    n = n - (first - 1)
    reply[3] = reply[3] + 2 * #popped
    if wantEv then for x = 1, #popped do reply[#reply + 1] = popped[x] end end
  end
end
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', L, ttl) end
reply[1] = n
return reply
`;

/**
 * @internal The listing of an owner's conversations, newest first. KEYS: the owner's index. ARGV:
 * limit, cursor score (empty: from the newest), cursor id, TTL in ms (0: none), the owner's key
 * base (`<prefix>:{<owner>}`). Index entries older than the TTL, or whose List is gone, are removed
 * on the way. Reply: `{ next score or false, next id or false, then per conversation: id, updatedAt,
 * createdAt, count, title or false, metadata JSON or false }`.
 */
export const OWNER_LIST_SCRIPT = `
local index = KEYS[1]
local limit, cursorScore, cursorId = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local ttl, base = tonumber(ARGV[4]), ARGV[5]
if ttl > 0 then
  local time = redis.call('TIME')
  local now = time[1] * 1000 + math.floor(time[2] / 1000)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. (now - ttl))
end
local max = '+inf'
if cursorScore ~= '' then max = cursorScore end
local reply, dead = {false, false}, {}
local found, offset, lastScore, lastId = 0, 0, nil, nil
local function finish()
  if #dead > 0 then redis.call('ZREM', index, unpack(dead)) end
  return reply
end
while true do
  local page = redis.call('ZRANGE', index, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, limit + 1,
    'WITHSCORES')
  if #page == 0 then return finish() end
  offset = offset + #page / 2
  for x = 1, #page, 2 do
    local id, score = page[x], page[x + 1]
    -- Members of the cursor's score come in reverse order of their ids: skip up to the cursor.
    if cursorScore == '' or tonumber(score) < tonumber(cursorScore) or id < cursorId then
      if found == limit then
        reply[1], reply[2] = lastScore, lastId
        return finish()
      end
      local list = base .. ':' .. id
      local count = redis.call('LLEN', list)
      if count == 0 then
        dead[#dead + 1] = id
      else
        local r = redis.call('HMGET', list .. ':w:{' .. list .. '}', 'uA', 'cA', 'tt', 'md')
        reply[#reply + 1] = id
        reply[#reply + 1] = r[1] or score
        reply[#reply + 1] = r[2] or score
        reply[#reply + 1] = count
        reply[#reply + 1] = r[3] or false
        reply[#reply + 1] = r[4] or false
        found = found + 1
        lastScore, lastId = score, id
      end
    end
  end
end
`;

/**
 * @internal Changes an owned conversation's record. KEYS: list, window hash. ARGV: `1` to set the
 * title, the title (empty: remove it), `1` to set the metadata, its JSON (empty: remove it). Reply:
 * 1, or 0 when the conversation does not exist (nothing changed).
 */
export const OWNER_UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local function field(flag, name, value)
  if flag ~= '1' then return end
  if value == '' then redis.call('HDEL', KEYS[2], name) else redis.call('HSET', KEYS[2], name, value) end
end
field(ARGV[1], 'tt', ARGV[2])
field(ARGV[3], 'md', ARGV[4])
return 1
`;

/**
 * @internal Deletes one owned conversation. KEYS: list, window hash, the owner's index. ARGV: its
 * id. Reply: 1 when the List existed.
 */
export const OWNER_DELETE_SCRIPT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return existed
`;

/**
 * @internal Deletes up to a batch of an owner's conversations, oldest activity first. KEYS: the
 * owner's index. ARGV: batch size, the owner's key base. Each conversation's keys and its index
 * entry go together, so a crash between batches leaves a consistent rest to delete on a re-run.
 * Reply: `{ Lists deleted, index entries left }`.
 */
export const OWNER_ERASE_SCRIPT = `
local index, batch, base = KEYS[1], tonumber(ARGV[1]), ARGV[2]
local ids = redis.call('ZRANGE', index, 0, batch - 1)
local deleted = 0
for x = 1, #ids do
  local list = base .. ':' .. ids[x]
  if redis.call('DEL', list, list .. ':w:{' .. list .. '}') > 0 then deleted = deleted + 1 end
end
if #ids > 0 then redis.call('ZREM', index, unpack(ids)) end
local left = redis.call('ZCARD', index)
return {deleted, left}
`;

const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');

/** @internal A script and the SHA1 that EVALSHA names it by. */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): RedisScript => Object.freeze({ source, sha: sha1(source) });

/** @internal The scripts, with their SHA1s. */
export const SCRIPTS = Object.freeze({
  windowAppend: script(WINDOW_APPEND_SCRIPT),
  windowPin: script(WINDOW_PIN_SCRIPT),
  windowRead: script(WINDOW_READ_SCRIPT),
  compatAppend: script(COMPAT_APPEND_SCRIPT),
  ownerList: script(OWNER_LIST_SCRIPT),
  ownerUpdate: script(OWNER_UPDATE_SCRIPT),
  ownerDelete: script(OWNER_DELETE_SCRIPT),
  ownerErase: script(OWNER_ERASE_SCRIPT),
});

/**
 * @internal The window hash of the conversation List at `listKey`: `<listKey>:w:{<listKey>}`. It
 * starts with the List key (so ACL key patterns on the prefix cover it) and hashes, through its
 * tag, to the List's Cluster slot (List keys contain no braces, so theirs is the whole key).
 */
export function windowKeyOf(listKey: string): string {
  return `${listKey}:w:{${listKey}}`;
}
