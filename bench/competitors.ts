import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisChatMessageHistory } from '@langchain/redis';
import { AIMessage, HumanMessage, mapChatMessagesToStoredMessages } from '@langchain/core/messages';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { CHAT_MEMORY_REDIS, ChatMemoryModule, ChatMemoryService } from 'nestjs-chat-memory';
import {
  SCRIPTS,
  windowKeyOf,
  type RedisScript,
} from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';
import {
  conversationOf,
  nativeEntry,
  nativeEntryParts,
  textTokens,
  type PrefillMode,
  type Workload,
} from './workload.js';

export { benchMessageId, nativeEntry } from './workload.js';

/** The three library-level operations every competitor implements. */
export const OPERATIONS = ['append', 'appendTurn', 'getHistory'] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** A way of keeping chat memory in Redis, driven by the bench through the same workload. */
export interface Competitor {
  /** Short id (`ours`, `seed`, `floor`, `langchain`, ...). */
  id: string;
  /** Row label in the tables. */
  label: string;
  /** Key prefix of its conversations. */
  keyPrefix: string;
  /** Call number `i` of each operation (conversation, role and text follow from `i`). */
  run: Record<OperationName, (i: number) => Promise<unknown>>;
  /** What the competitor stores for message number `k` of a conversation (to prefill windows). */
  storedEntry(k: number): string;
  /**
   * How `storedEntry` values are written so that they read back as the competitor expects: pushed
   * (`rpush`, `lpush`), or through ours' window append script (`window`: ours and the floors).
   */
  prefillWith: PrefillMode;
  /**
   * Set for owned conversations (`forOwner`): conversations per owner, conversation `c` being
   * `ownedConversationOf(c, owners)` (its keys: `ownedKeys`). Unset: unowned (`<prefix>:c<n>`).
   */
  owners?: number;
  /** The Redis client(s) it talks through (for the round-trip counter: re-created on another URL). */
  close(): Promise<void>;
}

/** `{ role, content }` of message number `k` of a conversation: user and assistant alternate. */
export function messageOf(
  workload: Workload,
  k: number,
): { role: 'user' | 'assistant'; text: string } {
  const texts = k % 2 === 0 ? workload.userTexts : workload.assistantTexts;
  return { role: k % 2 === 0 ? 'user' : 'assistant', text: texts[(k >> 1) % texts.length] };
}

/**
 * The message call number `i` of `append` writes. Calls go round the conversations
 * (`i % conversations`), and within a conversation user and assistant alternate, user first
 * (prefilled windows end with an answer), so that every conversation keeps whole turns and
 * ours' turn-based window stays at its size.
 */
export function appendedMessageOf(
  workload: Workload,
  i: number,
): { role: 'user' | 'assistant'; text: string } {
  return messageOf(workload, Math.floor(i / workload.conversations));
}

/**
 * Owned conversation number `c` of the bench, `perOwner` conversations per owner: conversation
 * `c<c % perOwner>` of owner `o<c / perOwner>` (so owner `o0` has `c0` .. `c<perOwner - 1>`).
 */
export function ownedConversationOf(
  c: number,
  perOwner: number,
): { owner: string; conversationId: string } {
  return { owner: `o${Math.floor(c / perOwner)}`, conversationId: `c${c % perOwner}` };
}

/**
 * The keys the store uses for an owned conversation (`forOwner(owner)`): the List
 * `<prefix>:{<owner>}:<id>`, its window hash, and the owner's index `<prefix>:{<owner>}` (a
 * sorted set of conversation ids by last activity), all in the owner's Cluster slot.
 */
export function ownedKeys(
  keyPrefix: string,
  owner: string,
  conversationId: string,
): { list: string; windowHash: string; index: string } {
  const index = `${keyPrefix}:{${owner}}`;
  const list = `${index}:${conversationId}`;
  return { list, windowHash: windowKeyOf(list), index };
}

function jsonEntry(workload: Workload, k: number): string {
  const { role, text } = messageOf(workload, k);
  return JSON.stringify({ role, content: text });
}

function nativeEntryOf(workload: Workload, k: number): string {
  const { role, text } = messageOf(workload, k);
  return nativeEntry(role, text, k);
}

/** Ours: `ChatMemoryService` from the built package, wired by Nest DI, with a client the module creates. */
export async function createOurs(
  url: string,
  workload: Workload,
  options: {
    id?: string;
    label?: string;
    redisOptions?: RedisOptions;
    /** Conversations per owner: every call goes through `memory.forOwner(owner)` (see `ownedConversationOf`). */
    owners?: number;
  } = {},
): Promise<
  Competitor & {
    app: INestApplicationContext;
    /** The library's window append script (what ours runs for every write). */
    appendScript(): RedisScript;
    /** The `commandTimeout` of the client the module created. */
    commandTimeout(): number | undefined;
  }
> {
  const keyPrefix = `bench:${options.id ?? 'ours'}`;
  const app = await NestFactory.createApplicationContext(
    ChatMemoryModule.forRoot({
      url,
      redisOptions: options.redisOptions,
      config: { maxTurns: workload.maxTurns, ttlSeconds: workload.ttlSeconds, keyPrefix },
    }),
    { logger: ['error', 'warn'] },
  );
  const memory = app.get(ChatMemoryService);
  const users = workload.userTexts;
  const assistants = workload.assistantTexts;
  const perOwner = options.owners;
  // Owned: `forOwner(owner)` on every call, as an app does per request (it checks the owner and
  // makes a scoped service: no I/O).
  const serviceOf = (i: number): [ChatMemoryService, string] => {
    if (perOwner === undefined) return [memory, conversationOf(workload, i)];
    const { owner, conversationId } = ownedConversationOf(i % workload.conversations, perOwner);
    return [memory.forOwner(owner), conversationId];
  };
  return {
    id: options.id ?? 'ours',
    label: options.label ?? 'ours (ChatMemoryService)',
    keyPrefix,
    app,
    prefillWith: 'window',
    storedEntry: (k) => nativeEntryOf(workload, k),
    owners: options.owners,
    run: {
      append: (i) => {
        const { role, text } = appendedMessageOf(workload, i);
        const [scoped, id] = serviceOf(i);
        return scoped.append(id, role, text);
      },
      appendTurn: (i) => {
        const [scoped, id] = serviceOf(i);
        return scoped.appendTurn(id, users[i % users.length], assistants[i % assistants.length]);
      },
      getHistory: (i) => {
        const [scoped, id] = serviceOf(i);
        return scoped.getHistory(id);
      },
    },
    // The library's own append script, from the source the package is built from.
    appendScript: () => SCRIPTS.windowAppend,
    commandTimeout: () => app.get<Redis>(CHAT_MEMORY_REDIS).options.commandTimeout,
    close: () => app.close(),
  };
}

/** The seed's way: raw ioredis, MULTI RPUSH LTRIM EXPIRE EXEC per write, LRANGE + one JSON.parse per entry. */
export function createSeed(url: string, workload: Workload): Competitor {
  const redis = new Redis(url);
  const keyPrefix = 'bench:seed';
  const max = workload.maxTurns * 2;
  const ttl = workload.ttlSeconds;
  const users = workload.userTexts;
  const assistants = workload.assistantTexts;
  const keyOf = (i: number) => `${keyPrefix}:${conversationOf(workload, i)}`;
  return {
    id: 'seed',
    label: "seed's way (MULTI/EXEC, LRANGE)",
    keyPrefix,
    prefillWith: 'rpush',
    storedEntry: (k) => jsonEntry(workload, k),
    run: {
      append: (i) => {
        const key = keyOf(i);
        const { role, text } = appendedMessageOf(workload, i);
        return redis
          .multi()
          .rpush(key, JSON.stringify({ role, content: text }))
          .ltrim(key, -max, -1)
          .expire(key, ttl)
          .exec();
      },
      appendTurn: (i) => {
        const key = keyOf(i);
        return redis
          .multi()
          .rpush(
            key,
            JSON.stringify({ role: 'user', content: users[i % users.length] }),
            JSON.stringify({ role: 'assistant', content: assistants[i % assistants.length] }),
          )
          .ltrim(key, -max, -1)
          .expire(key, ttl)
          .exec();
      },
      getHistory: async (i) => {
        const entries = await redis.lrange(keyOf(i), 0, -1);
        return entries.map((entry) => JSON.parse(entry) as unknown);
      },
    },
    close: async () => {
      await redis.quit();
    },
  };
}

/**
 * The id of the `n`th message the floor writes: 26 characters like ours' ULIDs (a fixed time part
 * and `n` in hexadecimal, all Crockford base-32 digits), unique per call, never one of the ids
 * prefilled windows hold (`benchMessageId`, another time part).
 */
export function floorMessageId(n: number): string {
  return `01KB3Q7M40${n.toString(16).toUpperCase().padStart(16, '0')}`;
}

/** A text message as the floor sends it: ours' native entry around its id, role letter, tokens. */
function floorText(role: 'user' | 'assistant', text: string) {
  const [head, tail] = nativeEntryParts(role, text);
  return {
    head,
    tail,
    letter: role === 'user' ? 'u' : 'a',
    tokens: String(textTokens(role, text)),
  };
}

/**
 * What the floors send to the library's window append script: the KEYS and ARGV the store sends
 * for text messages (list and window hash, and the owner's index if owned; then max turns, max
 * messages 0, max tokens 0, TTL in ms, no evicted entries, message count, then entry, id, role
 * letter, tokens, 0 call ids per message; the conversation id last if owned). Entries are ours'
 * native format with their token counts, serialized up front around the id; the id is the one
 * thing made per call, as the script skips a message whose id is already in the window. Shared by
 * the ioredis and the node-redis floor, so that both send the very same commands.
 */
export interface FloorWrites {
  /** The List of conversation `c` (what `getHistory` reads). */
  lists: string[];
  /** KEYS of call number `i` (its conversation's; built once, not per call). */
  keys(i: number): string[];
  /** ARGV of call `i` of `append`: one message, user and assistant alternating per conversation. */
  append(i: number): string[];
  /** ARGV of call `i` of `appendTurn`: a user message and its answer. */
  appendTurn(i: number): string[];
}

/** The floors' writes for the conversations of `workload` under `keyPrefix` (owned: `perOwner` each). */
export function floorWrites(workload: Workload, keyPrefix: string, perOwner?: number): FloorWrites {
  const maxTurns = String(workload.maxTurns);
  const ttlMs = String(workload.ttlSeconds * 1000);
  // Entries in ours' native format around their ids, token counts made up front.
  const users = workload.userTexts.map((text) => floorText('user', text));
  const assistants = workload.assistantTexts.map((text) => floorText('assistant', text));
  // Per conversation: its KEYS, and the ARGV after the messages (the conversation id, if owned).
  const keysOf: string[][] = [];
  const tails: string[][] = [];
  for (let c = 0; c < workload.conversations; c++) {
    if (perOwner === undefined) {
      const list = `${keyPrefix}:${conversationOf(workload, c)}`;
      keysOf.push([list, windowKeyOf(list)]);
      tails.push([]);
    } else {
      const { owner, conversationId } = ownedConversationOf(c, perOwner);
      const { list, windowHash, index } = ownedKeys(keyPrefix, owner, conversationId);
      keysOf.push([list, windowHash, index]);
      tails.push([conversationId]);
    }
  }
  const n = keysOf.length;
  let written = 0;
  const message = (m: ReturnType<typeof floorText>) => {
    const id = floorMessageId(written++);
    return [m.head + id + m.tail, id, m.letter, m.tokens, '0'];
  };
  return {
    lists: keysOf.map(([list]) => list),
    keys: (i) => keysOf[i % n],
    append: (i) => {
      const m = Math.floor(i / workload.conversations);
      const texts = m % 2 === 0 ? users : assistants;
      const text = texts[(m >> 1) % texts.length];
      return [maxTurns, '0', '0', ttlMs, '0', '1', ...message(text), ...tails[i % n]];
    },
    appendTurn: (i) => [
      maxTurns,
      '0',
      '0',
      ttlMs,
      '0',
      '2',
      ...message(users[i % users.length]),
      ...message(assistants[i % assistants.length]),
      ...tails[i % n],
    ],
  };
}

/**
 * The floor: raw ioredis EVALSHA of the library's own window append script, with the KEYS and
 * ARGV the store sends (`floorWrites`). Reads are LRANGE and one `JSON.parse` of the joined
 * entries, no checks.
 * `floor` has the client settings of ours (its `commandTimeout`, which costs a timer per command
 * in ioredis); `floor-bare` is a client with ioredis' defaults (no timeout).
 */
export async function createFloor(
  url: string,
  workload: Workload,
  script: RedisScript,
  variant: {
    id: string;
    label: string;
    redisOptions: RedisOptions;
    /**
     * Conversations per owner: owned conversations as `forOwner` writes them (3 KEYS: list,
     * window hash, the owner's index; the conversation id as the last ARGV).
     */
    owners?: number;
  },
): Promise<Competitor> {
  const redis = new Redis(url, variant.redisOptions);
  const sha = (await redis.script('LOAD', script.source)) as string;
  if (sha !== script.sha) throw new Error(`SCRIPT LOAD gave ${sha}, expected ${script.sha}`);
  const keyPrefix = `bench:${variant.id}`;
  const writes = floorWrites(workload, keyPrefix, variant.owners);
  const lists = writes.lists;
  return {
    id: variant.id,
    label: variant.label,
    keyPrefix,
    prefillWith: 'window',
    owners: variant.owners,
    storedEntry: (k) => nativeEntryOf(workload, k),
    run: {
      append: (i) => {
        const keys = writes.keys(i);
        return redis.evalsha(sha, keys.length, ...keys, ...writes.append(i));
      },
      appendTurn: (i) => {
        const keys = writes.keys(i);
        return redis.evalsha(sha, keys.length, ...keys, ...writes.appendTurn(i));
      },
      getHistory: async (i) => {
        const entries = await redis.lrange(lists[i % lists.length], 0, -1);
        return JSON.parse(`[${entries.join(',')}]`) as unknown;
      },
    },
    close: async () => {
      await redis.quit();
    },
  };
}

/**
 * The node-redis floor: the read floor of a general-purpose client, the least a read of the same
 * window by hand costs. A node-redis 4 client (`createClient` of `redis`, its default options),
 * connected once up front. Reads are `LRANGE key 0 -1` and a `JSON.parse` of each entry, no
 * checks. Writes are EVALSHA of the same script with the same KEYS and ARGV as the ioredis floor
 * (`floorWrites`; the script is loaded first, and the bench never flushes scripts, so there is no
 * NOSCRIPT to handle, as in the ioredis floor). Its windows are ours' native entries, prefilled
 * through ours' script like the ioredis floor's.
 * node-redis corks its socket until the next `setImmediate`, so the commands of calls started in
 * the same tick leave in one write: an automatic pipelining that ioredis does only with
 * `enableAutoPipelining`.
 */
export async function createNodeRedisFloor(
  url: string,
  workload: Workload,
  script: RedisScript,
): Promise<Competitor> {
  const client = createClient({ url });
  // node-redis reports connection errors as 'error' events (one without a listener would end the
  // process); the commands they hit reject on their own, and that fails the case.
  client.on('error', () => undefined);
  await client.connect();
  const sha = await client.scriptLoad(script.source);
  if (sha !== script.sha) throw new Error(`SCRIPT LOAD gave ${sha}, expected ${script.sha}`);
  const keyPrefix = 'bench:floor-node-redis';
  const writes = floorWrites(workload, keyPrefix);
  const lists = writes.lists;
  return {
    id: 'floor-node-redis',
    label: 'floor (node-redis: LRANGE + JSON.parse; EVALSHA of the same script)',
    keyPrefix,
    prefillWith: 'window',
    storedEntry: (k) => nativeEntryOf(workload, k),
    run: {
      append: (i) => client.evalSha(sha, { keys: writes.keys(i), arguments: writes.append(i) }),
      appendTurn: (i) =>
        client.evalSha(sha, { keys: writes.keys(i), arguments: writes.appendTurn(i) }),
      getHistory: async (i) => {
        const entries = await client.lRange(lists[i % lists.length], 0, -1);
        return entries.map((entry) => JSON.parse(entry) as unknown);
      },
    },
    close: async () => {
      await client.quit();
    },
  };
}

/**
 * LangChain.js: `RedisChatMessageHistory` of `@langchain/redis` (node-redis 4 client, one shared
 * connection from its pool), a new history object per call as an app would make per request.
 * `addMessage` is LPUSH then EXPIRE (it never trims); `appendTurn` is `addMessages([human, ai])`.
 */
export async function createLangChain(
  url: string,
  workload: Workload,
): Promise<Competitor & { history(i: number): RedisChatMessageHistory }> {
  const config = { url };
  const keyPrefix = 'bench:langchain';
  const sessionTTL = workload.ttlSeconds;
  const users = workload.userTexts;
  const assistants = workload.assistantTexts;
  const history = (i: number) =>
    new RedisChatMessageHistory({
      sessionId: `${keyPrefix}:${conversationOf(workload, i)}`,
      sessionTTL,
      config,
    });
  const messageFor = (k: number) => {
    const { role, text } = messageOf(workload, k);
    return role === 'user' ? new HumanMessage(text) : new AIMessage(text);
  };
  const first = history(0);
  // Its lazy connect is not safe for concurrent first calls ("Socket already opened"): connect once up front.
  await first.ensureReadiness();
  return {
    id: 'langchain',
    label: 'LangChain.js RedisChatMessageHistory',
    keyPrefix,
    prefillWith: 'lpush',
    storedEntry: (k) => JSON.stringify(mapChatMessagesToStoredMessages([messageFor(k)])[0]),
    history,
    run: {
      append: (i) => {
        const { role, text } = appendedMessageOf(workload, i);
        return history(i).addMessage(
          role === 'user' ? new HumanMessage(text) : new AIMessage(text),
        );
      },
      appendTurn: (i) =>
        history(i).addMessages([
          new HumanMessage(users[i % users.length]),
          new AIMessage(assistants[i % assistants.length]),
        ]),
      getHistory: (i) => history(i).getMessages(),
    },
    close: async () => {
      const client = first.client as { isOpen: boolean; quit(): Promise<unknown> };
      if (client.isOpen) await client.quit();
    },
  };
}
