import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A loopback TCP proxy in front of Redis that counts round trips: a round trip starts each time
 * the client sends bytes after having received bytes (or for the first time). Running one
 * operation at a time, round trips / operations is what a caller waits for, whatever the number
 * of commands or TCP segments.
 */
export interface RoundTripProxy {
  url: string;
  /** Client-to-server bursts since the last `reset()`. */
  roundTrips(): number;
  /** Bytes Redis sent to the clients since the last `reset()`. */
  bytesFromServer(): number;
  /** Bytes the clients sent to Redis since the last `reset()`. */
  bytesToServer(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRoundTripProxy(targetPort: number): Promise<RoundTripProxy> {
  let count = 0;
  let fromServer = 0;
  let toServer = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let serverSpokeLast = true;
    client.on('data', (chunk) => {
      if (serverSpokeLast) count++;
      serverSpokeLast = false;
      toServer += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      serverSpokeLast = true;
      fromServer += chunk.length;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    roundTrips: () => count,
    bytesFromServer: () => fromServer,
    bytesToServer: () => toServer,
    reset: () => {
      count = 0;
      fromServer = 0;
      toServer = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Commands Redis executed, seen through MONITOR: top-level ones, and those run inside scripts. */
export interface CommandLog {
  stop(): Promise<{ topLevel: string[]; inScripts: string[] }>;
}

/** Starts a MONITOR connection; commands from the monitor itself are not counted. */
export async function startCommandLog(url: string): Promise<CommandLog> {
  const topLevel: string[] = [];
  const inScripts: string[] = [];
  const admin = new Redis(url);
  await admin.ping();
  const adminSource = `127.0.0.1:${(admin as unknown as { stream: Socket }).stream.localPort}`;
  const monitor = await admin.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === adminSource) return;
    const name = String(args[0]).toUpperCase();
    if (source === 'lua') inScripts.push(name);
    else topLevel.push(name);
  });
  // MONITOR replies +OK before it streams; a PING round trip makes sure it is streaming.
  await admin.ping();
  await new Promise((resolve) => setTimeout(resolve, 50));
  topLevel.length = 0;
  inScripts.length = 0;
  return {
    stop: async () => {
      await admin.ping();
      await new Promise((resolve) => setTimeout(resolve, 100));
      monitor.disconnect();
      await admin.quit();
      return { topLevel, inScripts };
    },
  };
}

/** "EVALSHA" or "MULTI, RPUSH, LTRIM, EXPIRE, EXEC": the commands of one operation, per op on average. */
export function describeCommands(commands: string[], ops: number): string {
  const counts = new Map<string, number>();
  for (const name of commands) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.size === 0) return '-';
  return [...counts]
    .map(([name, n]) => (n === ops ? name : `${name} x${+(n / ops).toFixed(2)}`))
    .join(', ');
}
