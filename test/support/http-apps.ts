import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatMemoryExceptionFilter } from 'nestjs-chat-memory';
import { AppModule } from '../../src/app.module.js';
import { setupApp } from '../../src/app.setup.js';

/** The two HTTP adapters every e2e case runs on, for `describe.each`. */
export const HTTP_ADAPTERS = [
  ['Express', () => new ExpressAdapter()],
  ['Fastify', () => new FastifyAdapter()],
] as const;

export type AdapterFactory = (typeof HTTP_ADAPTERS)[number][1];

/**
 * Boots an app on the given adapter, listening on a free loopback port, with the chat-memory
 * filter (`filter: false`: without) and then whatever `setup` adds. The caller closes the app.
 */
export async function startHttpApp(
  adapter: AdapterFactory,
  metadata: ModuleMetadata,
  {
    filter = true,
    setup = () => undefined,
  }: { filter?: boolean; setup?: (app: INestApplication) => unknown } = {},
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(adapter(), { logger: false });
  if (filter) app.useGlobalFilters(new ChatMemoryExceptionFilter(app.get(HttpAdapterHost)));
  setup(app);
  await app.listen(0, '127.0.0.1');
  const instance = app.getHttpAdapter().getInstance() as { ready?: () => Promise<unknown> };
  if (adapter === HTTP_ADAPTERS[1][1] && instance.ready) await instance.ready();
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

/**
 * Sets the example app's environment (`undefined` unsets a variable), then starts the example app
 * (`AppModule`, with the pipes and filter of `setupApp` as in `main.ts`) on `adapter` (Express by
 * default). The caller closes the app.
 */
export async function startExampleApp(
  env: Record<string, string | undefined>,
  adapter: AdapterFactory = HTTP_ADAPTERS[0][1],
): Promise<{ app: INestApplication; url: string }> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return startHttpApp(adapter, { imports: [AppModule] }, { filter: false, setup: setupApp });
}

/**
 * Opens a GET request with a raw HTTP client (with `headers`, e.g. a cookie), waits until the body
 * contains `until`, then destroys the connection (a client that goes away mid-stream). Resolves to
 * what was received.
 */
export function readThenDisconnect(
  url: string,
  until: string,
  {
    timeoutMs = 10_000,
    headers = {},
  }: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(
          `Timed out waiting for ${JSON.stringify(until)}; got ${JSON.stringify(received)}`,
        ),
      );
    }, timeoutMs);
    const req = httpRequest(
      url,
      { headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          received += chunk;
          if (received.includes(until)) {
            clearTimeout(timer);
            req.destroy();
            resolve(received);
          }
        });
      },
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      if (!received.includes(until)) reject(error);
    });
    req.end();
  });
}
