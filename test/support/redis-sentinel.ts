import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  freePort,
  ping,
  startRedisServer,
  type TestRedisServer,
} from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

/** A master, its replicas and a quorum of sentinels, all on free loopback ports. */
export interface TestRedisSentinel {
  /** The master group name the sentinels monitor. */
  name: string;
  sentinels: { host: string; port: number }[];
  /** Every data node (the first is the initial master). */
  servers: TestRedisServer[];
  /** The port of the current master, as the first live sentinel reports it. */
  masterPort(): Promise<number>;
  /** A plain connection to one data node (closed by `stop()`). */
  connect(port: number): Redis;
  stop(): Promise<void>;
}

const poll = (check: () => Promise<boolean>, what: string, timeoutMs: number) =>
  waitFor(check, what, timeoutMs, 100);

/** Starts one `redis-server --sentinel` with a config file of its own (sentinels rewrite it). */
async function startSentinel(
  masterPort: number,
  name: string,
  options: { quorum: number; downAfterMs: number; failoverTimeoutMs: number },
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chat-memory-sentinel-'));
  const file = join(dir, 'sentinel.conf');
  writeFileSync(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${options.quorum}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child: ChildProcess = spawn(bin, [file, '--sentinel'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await poll(() => ping(port), `sentinel on port ${port}`, 10_000);
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a master with `replicas` replicas (`--replicaof`), waits for them to sync, then starts
 * `sentinels` sentinels (quorum: a majority) and waits until each knows the replicas and the
 * other sentinels, so a failover can happen as soon as the master is stopped.
 */
export async function startRedisSentinel({
  name = 'chatmaster',
  replicas = 2,
  sentinels = 3,
  downAfterMs = 1000,
  failoverTimeoutMs = 5000,
} = {}): Promise<TestRedisSentinel> {
  const master = await startRedisServer();
  const servers = [master];
  const connections: Redis[] = [];
  const connect = (port: number) => {
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // a stopped master is expected in failover tests
    connections.push(redis);
    return redis;
  };
  const sentinelProcs: { port: number; stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const redis of connections) redis.disconnect();
    await Promise.all(sentinelProcs.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    servers.push(
      ...(await Promise.all(
        Array.from({ length: replicas }, () =>
          startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]),
        ),
      )),
    );
    const masterAdmin = connect(master.port);
    await poll(
      async () =>
        (await masterAdmin.info('replication')).match(/slave\d+:.*state=online/g)?.length ===
        replicas,
      'replicas to sync',
      15_000,
    );
    const quorum = Math.floor(sentinels / 2) + 1;
    sentinelProcs.push(
      ...(await Promise.all(
        Array.from({ length: sentinels }, () =>
          startSentinel(master.port, name, { quorum, downAfterMs, failoverTimeoutMs }),
        ),
      )),
    );
    const sentinelAdmins = sentinelProcs.map(({ port }) => connect(port));
    await poll(
      async () => {
        for (const admin of sentinelAdmins) {
          const state = (await admin.call('SENTINEL', 'MASTER', name)) as string[];
          const field = (key: string) => Number(state[state.indexOf(key) + 1]);
          if (field('num-slaves') !== replicas || field('num-other-sentinels') !== sentinels - 1)
            return false;
        }
        return true;
      },
      'sentinels to discover the replicas and each other',
      20_000,
    );
    return {
      name,
      sentinels: sentinelProcs.map(({ port }) => ({ host: '127.0.0.1', port })),
      servers,
      connect,
      async masterPort() {
        for (const admin of sentinelAdmins) {
          try {
            const [, port] = (await admin.call(
              'SENTINEL',
              'GET-MASTER-ADDR-BY-NAME',
              name,
            )) as string[];
            return Number(port);
          } catch {
            // this sentinel is down: ask the next one
          }
        }
        throw new Error('no sentinel answered');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
