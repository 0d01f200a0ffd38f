import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

/** A `redis-server` process started on a free loopback port (by the tests and the benchmarks). */
export interface TestRedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it if running and starts it again on the same port (nothing is kept). */
  restart(): Promise<void>;
  /** Whether the process is running. */
  alive(): boolean;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something on 127.0.0.1:`port` answers a Redis PING with PONG (within 500 ms). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Starts `redis-server` (from PATH, or `REDIS_SERVER_BIN`) on a free port, keeping nothing on
 * disk. Extra `redis-server` arguments may be passed, e.g. `['--maxmemory', '1mb']`.
 */
export async function startRedisServer(extraArgs: string[] = []): Promise<TestRedisServer> {
  const port = await freePort();
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-memory-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    args.push('--dir', dir, '--protected-mode', 'no', ...extraArgs);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-2000)));
    proc.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-2000)));
    exited = new Promise((resolve) =>
      proc.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      }),
    );
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (error) =>
        reject(new Error(`Could not start ${bin}: ${error.message}. Install redis-server.`)),
      ),
    );
    await Promise.race([
      waitFor(() => ping(port), `redis-server on port ${port}`).catch((error: Error) => {
        throw new Error(`${error.message}; its output:\n${output}`);
      }),
      spawnError,
    ]);
  };

  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const proc = child;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
}
