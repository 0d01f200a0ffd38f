import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { root } from './support/built-library.js';
import { redisUrl, sleep, uniquePrefix } from './support/helpers.js';

// Three app processes append turns to four shared conversations for SOAK_MS while this process
// breaks their connections (CLIENT KILL, some right after Redis ran their scripts) and crashes and
// restarts Redis (AOF, appendfsync always). Every acknowledged write must be stored, once.
const WORKERS = 3;
const CONVERSATIONS = 4;
const CONCURRENCY = 8;
const SOAK_MS = 16_000;
const COMMAND_TIMEOUT_MS = 3000;
/** Far more than a conversation gets in SOAK_MS, so the window never drops anything. */
const MAX_TURNS = 1_000_000;
/** An ACL user for this test's own connections, so that CLIENT KILL USER default spares them. */
const ADMIN = 'soak-admin';
/** Drops every client connection of the workers (user default), not this test's own. */
const KILL_WORKERS = ['CLIENT', 'KILL', 'TYPE', 'normal', 'USER', 'default'] as const;

/** What a worker (test/support/soak-worker.mjs) reports when it has stopped. */
interface WorkerReport {
  done: string;
  /** Acknowledged turns. */
  turns: number;
  /** Rejected calls. */
  failed: number;
  /** Rejected calls by error message. */
  errors: Record<string, number>;
}

/** What a worker sends: ready, acknowledged writes ([conversation index, ...ids]), done. */
type WorkerMessage = { ready: string } | { acknowledged: [number, ...string[]][] } | WorkerReport;

/** What the stored conversations say against what the workers were told. */
interface SoakCheck {
  /** Entries read, over all conversations. */
  entries: number;
  /** Entries that are not JSON objects. */
  malformed: number;
  /** Entries (JSON objects) with no string `i`. */
  withoutId: number;
  /** Ids stored more than once in one conversation. */
  duplicates: { conversation: string; id: string; copies: number }[];
  /** Ids of acknowledged writes missing from their conversation. */
  lost: { conversation: string; id: string }[];
  /** Ids stored that no acknowledged write returned (failed calls may have been stored). */
  unacknowledged: number;
}

/**
 * Checks the stored entries of each conversation (as LRANGE returns them; the id is field `i`,
 * other fields are ignored) against the ids of the acknowledged writes to it.
 */
function checkConversations(
  stored: ReadonlyMap<string, readonly string[]>,
  acknowledged: ReadonlyMap<string, Iterable<string>>,
): SoakCheck {
  const check: SoakCheck = {
    entries: 0,
    malformed: 0,
    withoutId: 0,
    duplicates: [],
    lost: [],
    unacknowledged: 0,
  };
  for (const conversation of new Set([...stored.keys(), ...acknowledged.keys()])) {
    const copies = new Map<string, number>();
    for (const entry of stored.get(conversation) ?? []) {
      check.entries++;
      let parsed: unknown;
      try {
        parsed = JSON.parse(entry);
      } catch {
        check.malformed++;
        continue;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        check.malformed++;
        continue;
      }
      const id = (parsed as { i?: unknown }).i;
      if (typeof id !== 'string') {
        check.withoutId++;
        continue;
      }
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    for (const [id, n] of copies) if (n > 1) check.duplicates.push({ conversation, id, copies: n });
    const acked = new Set(acknowledged.get(conversation) ?? []);
    for (const id of acked) if (!copies.has(id)) check.lost.push({ conversation, id });
    for (const id of copies.keys()) if (!acked.has(id)) check.unacknowledged++;
  }
  return check;
}

/** Every conversation's entries, read with LRANGE. */
async function readConversations(
  client: Redis,
  prefix: string,
  conversations: readonly string[],
): Promise<Map<string, string[]>> {
  const stored = new Map<string, string[]>();
  for (const id of conversations) stored.set(id, await client.lrange(`${prefix}:${id}`, 0, -1));
  return stored;
}

/** A stored message as the library writes it natively. */
const entry = (id: string, role: string, extra = '') =>
  `{"v":1,"i":"${id}","t":1767225600000,"r":"${role}","c":"${role} ${id}"${extra}}`;

describe('the checker of the fault soak', () => {
  it('reports a duplicated entry and a missing acknowledged one, and nothing else', async () => {
    const client = new Redis(redisUrl());
    const prefix = uniquePrefix('soak-check');
    try {
      const ids = ['01KAAAAAAAAAAAAAAAAAAAAAA1', '01KAAAAAAAAAAAAAAAAAAAAAA2'];
      const others = ['01KAAAAAAAAAAAAAAAAAAAAAA3', '01KAAAAAAAAAAAAAAAAAAAAAA4'];
      await client.rpush(`${prefix}:c0`, entry(ids[0], 'user'), entry(ids[1], 'assistant'));
      // The first entry again, as a resent write would push it (an extra field is ignored).
      await client.rpush(`${prefix}:c0`, entry(ids[0], 'user'));
      await client.rpush(`${prefix}:c1`, entry(others[0], 'user', ',"k":"x"'));
      // Counted apart: an entry that is not JSON, and one without an id (the seed's format).
      await client.rpush(`${prefix}:c2`, 'not json', '{"role": "user", "content": "q"}');
      const acknowledged = new Map([
        ['c0', ids],
        ['c1', others], // others[1] was acknowledged but is not stored
      ]);
      const check = checkConversations(
        await readConversations(client, prefix, ['c0', 'c1', 'c2']),
        acknowledged,
      );
      expect(check).toEqual({
        entries: 6,
        malformed: 1,
        withoutId: 1,
        duplicates: [{ conversation: 'c0', id: ids[0], copies: 2 }],
        lost: [{ conversation: 'c1', id: others[1] }],
        unacknowledged: 0,
      });

      // And with the duplicate removed and the missing entry stored: nothing to report.
      await client.lrem(`${prefix}:c0`, -1, entry(ids[0], 'user'));
      await client.rpush(`${prefix}:c1`, entry(others[1], 'assistant'));
      const clean = checkConversations(
        await readConversations(client, prefix, ['c0', 'c1']),
        acknowledged,
      );
      expect(clean).toMatchObject({ entries: 4, duplicates: [], lost: [] });
    } finally {
      await client.del(`${prefix}:c0`, `${prefix}:c1`, `${prefix}:c2`);
      client.disconnect();
    }
  });
});

describe('appendTurn from several processes while connections drop and Redis crashes', () => {
  let dataDir: string | undefined;
  let server: TestRedisServer | undefined;
  const clients: Redis[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The workers run plain Node against the built library (built by the global setup).
    dataDir = mkdtempSync(join(tmpdir(), 'chat-memory-soak-'));
    server = await startRedisServer([
      // Persist every write before acknowledging it, in a folder kept across restarts.
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dataDir,
      '--enable-debug-command',
      'yes',
      '--user',
      ADMIN,
      'on',
      'nopass',
      '~*',
      '&*',
      '+@all',
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const client of clients) client.disconnect();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every acknowledged write exactly once', async () => {
    const redis = server!;
    const prefix = uniquePrefix('soak');
    const conversationIds = Array.from({ length: CONVERSATIONS }, (_, c) => `c${c}`);
    const admin = () => {
      const client = new Redis({
        port: redis.port,
        host: '127.0.0.1',
        username: ADMIN,
        password: 'x',
        commandTimeout: 2000,
        retryStrategy: () => 50,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 1,
      });
      client.on('error', () => undefined); // Redis is restarted on purpose
      clients.push(client);
      return client;
    };
    const sleeper = admin();
    const killer = admin();

    // Start the workers, and collect what they report.
    const acknowledged = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
    const reports: WorkerReport[] = [];
    const ready: Promise<unknown>[] = [];
    const exits: Promise<number | null>[] = [];
    // Settles when the worker has reported "done" (all its batches came before), or a second after
    // it exited without (IPC messages may still be on their way when the exit is seen).
    const finished: Promise<unknown>[] = [];
    for (let w = 0; w < WORKERS; w++) {
      const child = fork(join(root, 'test/support/soak-worker.mjs'), [], {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: {
          ...process.env,
          REDIS_URL: redis.url,
          KEY_PREFIX: prefix,
          WORKER: `w${w}`,
          CONVERSATIONS: String(CONVERSATIONS),
          CONCURRENCY: String(CONCURRENCY),
          COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
          MAX_TURNS: String(MAX_TURNS),
        },
      });
      children.push(child);
      ready.push(new Promise((resolve) => child.once('message', resolve)));
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      exits.push(exit);
      const reported = new Promise<void>((resolve) =>
        child.on('message', (message: WorkerMessage) => {
          if ('acknowledged' in message)
            for (const [c, ...ids] of message.acknowledged) acknowledged.get(`c${c}`)!.push(...ids);
          if ('done' in message) {
            reports.push(message);
            resolve();
          }
        }),
      );
      finished.push(Promise.race([reported, exit.then(() => sleep(1000))]));
    }
    await Promise.all(ready);
    const started = Date.now();
    for (const child of children) child.send({ go: SOAK_MS });

    // Faults until shortly before the workers stop.
    const faults = { kills: 0, killedConnections: 0, stalledKills: 0, restarts: 0, errors: 0 };
    const crash = async () => {
      const pid = Number(/process_id:(\d+)/.exec(await killer.info('server'))![1]);
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => !redis.alive(), 'redis-server to exit');
    };
    const killClients = async () => {
      faults.killedConnections += (await killer.call(...KILL_WORKERS)) as number;
      faults.kills++;
    };
    const restarts = [
      { at: 0.25, how: 'SIGKILL' },
      { at: 0.5, how: 'SIGTERM' },
      { at: 0.75, how: 'SIGKILL' },
    ];
    for (let cycle = 0; Date.now() - started < SOAK_MS - 1500; cycle++) {
      try {
        if (restarts.length > 0 && Date.now() - started >= restarts[0].at * SOAK_MS) {
          if (redis.alive()) {
            if (restarts[0].how === 'SIGKILL') await crash();
            else await redis.stop(); // SIGTERM: Redis shuts down cleanly
          }
          await sleep(200); // writes pile up in the workers' offline queues
          await redis.restart(); // on the same port and folder: the AOF is replayed
          restarts.shift();
          faults.restarts++;
        } else if (cycle % 2 === 0) {
          // Redis stalls while the workers' scripts arrive; the kill arrives after them, so Redis
          // runs those scripts and then drops their connections before writing the replies.
          const stall = sleeper.call('DEBUG', 'SLEEP', '0.1');
          await sleep(50);
          await killClients();
          await stall;
          faults.stalledKills++;
        } else {
          await killClients();
        }
      } catch {
        faults.errors++; // e.g. a command sent while Redis restarts
      }
      await sleep(100 + Math.random() * 250); // let the workers reconnect and write
    }

    await Promise.race([Promise.all(finished), sleep(COMMAND_TIMEOUT_MS + 10_000)]);
    expect(reports.map((report) => report.done).sort()).toEqual(
      Array.from({ length: WORKERS }, (_, w) => `w${w}`),
    );
    expect(await Promise.all(exits)).toEqual(Array(WORKERS).fill(0));
    const elapsed = (Date.now() - started) / 1000;

    const reader = admin();
    const check = checkConversations(
      await readConversations(reader, prefix, conversationIds),
      acknowledged,
    );
    const turns = reports.reduce((n, r) => n + r.turns, 0);
    const failed = reports.reduce((n, r) => n + r.failed, 0);
    const errors: Record<string, number> = {};
    for (const report of reports)
      for (const [message, n] of Object.entries(report.errors))
        errors[message] = (errors[message] ?? 0) + n;
    console.log(
      `fault soak: ${turns} acknowledged turns, ${failed} failed calls, ` +
        `${faults.kills} client kills (${faults.stalledKills} after a stall, ` +
        `${faults.killedConnections} connections), ${faults.restarts} restarts, ` +
        `${check.entries} entries, ${check.duplicates.length} duplicates, ` +
        `${check.lost.length} lost, ${check.unacknowledged} stored unacknowledged, ` +
        `${elapsed.toFixed(1)} s; failures: ${JSON.stringify(errors)}`,
    );

    // Every acknowledged turn's two ids came through.
    expect([...acknowledged.values()].reduce((n, ids) => n + ids.length, 0)).toBe(turns * 2);
    // Counts, and the first few of each (a failure may list thousands).
    expect({
      duplicates: check.duplicates.length,
      lost: check.lost.length,
      malformed: check.malformed,
      firstDuplicates: check.duplicates.slice(0, 3),
      firstLost: check.lost.slice(0, 3),
    }).toEqual({ duplicates: 0, lost: 0, malformed: 0, firstDuplicates: [], firstLost: [] });
    // The soak did what it says: enough writes, under real faults.
    expect(turns).toBeGreaterThan(500);
    expect(faults.restarts).toBe(3);
    expect(faults.kills).toBeGreaterThan(10);
    expect(faults.killedConnections).toBeGreaterThan(10);
  }, 60_000);
});
