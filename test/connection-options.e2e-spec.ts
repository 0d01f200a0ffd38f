import { Redis } from 'ioredis';
import { CHAT_MEMORY_REDIS, InMemoryChatMemoryStore } from 'nestjs-chat-memory';
import { describe, expect, it } from 'vitest';
import { redisUrl } from './support/helpers.js';
import { expectConfigError, useChatMemoryModules } from './support/modules.js';

const nodes = [{ host: '127.0.0.1', port: 7000 }];
const sentinel = { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' };

describe('cluster, sentinel and connection options are validated at boot', () => {
  const boot = useChatMemoryModules();
  const cases: [string, unknown, RegExp][] = [
    ['cluster', { cluster: { nodes }, sentinel }, /cannot be combined with "sentinel"/],
    ['cluster', { cluster: { nodes }, url: 'redis://x' }, /cannot be combined with "url"/],
    ['cluster', { cluster: { nodes }, client: {} }, /cannot be combined with "client"/],
    [
      'sentinel',
      { sentinel, store: new InMemoryChatMemoryStore() },
      /cannot be combined with "store"/,
    ],
    ['cluster', { cluster: 'redis://x' }, /expected \{ nodes, options\? \}/],
    ['cluster.nodes', { cluster: { nodes: [] } }, /non-empty array/],
    ['cluster.nodes', { cluster: {} }, /non-empty array/],
    ['cluster.nodes[1]', { cluster: { nodes: [7000, { host: 'a', port: 70000 }] } }, /host:port/],
    ['cluster.options', { cluster: { nodes, options: 5 } }, /expected an object/],
    [
      'redisOptions',
      { cluster: { nodes }, redisOptions: { password: 'x' } },
      /cluster\.options\.redisOptions/,
    ],
    ['sentinel', { sentinel: [] }, /expected \{ sentinels, name \}/],
    ['sentinel.sentinels', { sentinel: { name: 'm' } }, /non-empty array/],
    [
      'sentinel.sentinels[0]',
      { sentinel: { sentinels: [{ host: '' }], name: 'm' } },
      /\{ host, port \}/,
    ],
    ['sentinel.name', { sentinel: { sentinels: sentinel.sentinels } }, /master group name/],
    ['connection', { connection: true }, /expected an object/],
    ['connection.commandTimeoutMs', { connection: { commandTimeoutMs: 0 } }, /positive integer/],
    ['connection.readyTimeoutMs', { connection: { readyTimeoutMs: 1.5 } }, /positive integer/],
    ['connection.failFast', { connection: { failFast: 'yes' } }, /expected a boolean/],
    [
      'connection.failFast',
      { store: new InMemoryChatMemoryStore(), connection: { failFast: true } },
      /does not apply with "store"/,
    ],
  ];

  it.each(cases)(
    'rejects a bad %s with ChatMemoryConfigError naming it',
    (option, options, message) => expectConfigError(options, option, message),
  );

  it('connection.commandTimeoutMs sets the timeout of the client it creates, over redisOptions', async () => {
    for (const [options, expected] of [
      [{ connection: { commandTimeoutMs: 750 }, redisOptions: { commandTimeout: 100 } }, 750],
      [{ redisOptions: { commandTimeout: 100 } }, 100],
      [{}, 2000],
    ] as const) {
      const moduleRef = await boot({ url: redisUrl(), ...options });
      expect(moduleRef.get<Redis>(CHAT_MEMORY_REDIS).options.commandTimeout).toBe(expected);
      await moduleRef.close();
    }
  });
});
