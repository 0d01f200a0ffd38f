import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort, startRedisServer, type TestRedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const run = promisify(execFile);

/** One node of a test cluster, with its server process. */
export interface TestClusterNode {
  port: number;
  server: TestRedisServer;
}

/** A Redis Cluster of `redis-server` processes on free loopback ports. */
export interface TestRedisCluster {
  nodes: TestClusterNode[];
  /** Startup nodes for an ioredis `Cluster`. */
  startupNodes: { host: string; port: number }[];
  /** Ports of the current masters (as the live nodes see it), with their replicas' ports. */
  masters(): Promise<{ port: number; replicas: number[] }[]>;
  /** A plain connection to one node (closed by `stop()`). */
  connect(port: number): Redis;
  /** Waits until every live node reports `cluster_state:ok`. */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const portOf = (address: string) => Number(address.split('@')[0].split(':').pop());

const poll = (check: () => Promise<boolean>, what: string, timeoutMs: number) =>
  waitFor(check, what, timeoutMs, 100);

/**
 * Starts `masters * (1 + replicasPerMaster)` cluster-enabled `redis-server` processes (nothing kept on
 * disk beyond each node's own `nodes.conf`) and joins them with `redis-cli --cluster create`.
 * `nodeTimeoutMs` is `cluster-node-timeout`: a stopped master is replaced after about twice that.
 */
export async function startRedisCluster({
  masters = 3,
  replicasPerMaster = 1,
  nodeTimeoutMs = 1000,
} = {}): Promise<TestRedisCluster> {
  const count = masters * (1 + replicasPerMaster);
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    // Let a replica take over however briefly it was out of touch with its master.
    '--cluster-replica-validity-factor',
    '0',
  ];
  // The cluster bus defaults to port + 10000, which may be taken or above 65535: pick a free one.
  const servers = await Promise.all(
    Array.from({ length: count }, async () =>
      startRedisServer([...args, '--cluster-port', String(await freePort())]),
    ),
  );
  const nodes = servers.map((server) => ({ port: server.port, server }));
  const connections: Redis[] = [];
  const connect = (port: number) => {
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: false,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => undefined); // stopped nodes are expected in failover tests
    connections.push(redis);
    return redis;
  };
  const admins = new Map(nodes.map((node) => [node.port, connect(node.port)]));
  const live = () => nodes.filter((node) => node.server.alive());

  const cluster: TestRedisCluster = {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    connect,
    async masters() {
      const [first] = live();
      const lines = String(await admins.get(first.port)!.call('CLUSTER', 'NODES')).trim();
      const entries = lines.split('\n').map((line) => line.split(' '));
      const result = entries
        .filter(([, , flags]) => flags.includes('master') && !flags.includes('fail'))
        .filter(([, , , , , , , , ...slots]) => slots.length > 0)
        .map(([id, address]) => ({
          port: portOf(address),
          replicas: entries
            .filter(([, , flags, masterId]) => masterId === id && !flags.includes('fail'))
            .map(([, replicaAddress]) => portOf(replicaAddress)),
        }));
      return result;
    },
    async waitUntilOk(timeoutMs = 20_000) {
      await poll(
        async () => {
          for (const node of live()) {
            const info = String(await admins.get(node.port)!.call('CLUSTER', 'INFO'));
            if (!info.includes('cluster_state:ok')) return false;
          }
          return true;
        },
        'cluster_state:ok on every node',
        timeoutMs,
      );
    },
    async stop() {
      for (const redis of connections) redis.disconnect();
      await Promise.all(servers.map((server) => server.stop()));
    },
  };

  try {
    const cli = process.env.REDIS_CLI_BIN ?? 'redis-cli';
    await run(cli, [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]);
    await cluster.waitUntilOk();
    // Every node must know every other, and every replica must be in sync, before tests start.
    await poll(
      async () => {
        for (const node of nodes) {
          const info = String(await admins.get(node.port)!.call('CLUSTER', 'INFO'));
          if (!info.includes(`cluster_known_nodes:${count}`)) return false;
          const replication = await admins.get(node.port)!.info('replication');
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return false;
        }
        return (await cluster.masters()).length === masters;
      },
      'every node to join and every replica to sync',
      20_000,
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * A Redis Cluster (3 masters, no replicas) for the calling scope: started before its tests, stopped
 * after them. Call the returned function in a test.
 */
export function useTestCluster(): () => TestRedisCluster {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => cluster!;
}
