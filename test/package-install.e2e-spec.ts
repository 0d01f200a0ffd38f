// What a user of the published package gets: the library is built and packed as `npm pack` would
// publish it, installed from the tarball into a new Nest app outside the workspace (offline, from
// the npm cache that `npm ci` filled), and the README's quick start is compiled and run against
// Redis as it is written.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl } from './support/helpers.js';

const root = join(import.meta.dirname, '..');
const libDir = join(root, 'libs/chat-memory');

/** The peers a Nest app using the quick start installs, at the versions the workspace has. */
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'ioredis',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  'rxjs',
];
/** The quick start reads `process.env`, so a TypeScript app also has the Node.js types. */
const DEV_DEPENDENCIES = ['@types/node'];
/** Each adapter subpath, its SDK (not installed in the app) and functions it must export. */
const ADAPTERS: [string, string, string[]][] = [
  [
    'openai',
    'openai',
    [
      'toOpenAIChatMessages',
      'fromOpenAIChatMessage',
      'toOpenAIResponsesInput',
      'fromOpenAIResponsesOutput',
    ],
  ],
  ['anthropic', '@anthropic-ai/sdk', ['toAnthropicMessages', 'fromAnthropicMessage']],
  ['google', '@google/genai', ['toGeminiContents', 'fromGeminiContent']],
  [
    'ai-sdk',
    'ai',
    ['toModelMessages', 'fromModelMessages', 'toUIMessages', 'fromUIMessages', 'fromAiSdkResult'],
  ],
];
/** README snippets outside the quick start that must compile as pasted (not run). */
const EXTRA_SNIPPETS = ['chat-stream.controller.ts', 'support.module.ts'];

const workspaceVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as Manifest)
    .version;

/** `{ name: version }` of the given packages as installed in the workspace. */
const exact = (names: string[]): Record<string, string> =>
  Object.fromEntries(names.map((name) => [name, workspaceVersion(name)]));

interface Manifest {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  main?: string;
  types?: string;
  exports?: Record<string, string | Record<string, string>>;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** Output kept for a failure message: the end of it, where the error usually is. */
const tail = (text: string, max = 12_000): string =>
  text.length > max ? `...${text.slice(-max)}` : text;

/**
 * The environment for the npm and tsc children: ours, minus what `npm test` / `npx` add that
 * would tie a child npm to the workspace (its package, lifecycle and workspace settings). The
 * cache, registry and user config stay, so the child reads the cache that `npm ci` filled.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const lower = name.toLowerCase();
    if (
      lower.startsWith('npm_package_') ||
      lower.startsWith('npm_lifecycle_') ||
      lower.startsWith('npm_config_workspace') ||
      lower === 'npm_config_include_workspace_root' ||
      lower === 'npm_config_local_prefix' ||
      lower === 'npm_command' ||
      lower === 'init_cwd'
    ) {
      continue;
    }
    env[name] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', NO_COLOR: '1', ...extra };
}

/** Runs a command to completion; rejects with its exit status and output if it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const status = error.killed
          ? `killed (${error.signal ?? 'timeout'})`
          : `exit ${error.code}`;
        reject(
          new Error(
            `\`${[basename(command), ...args].join(' ')}\` in ${cwd} failed (${status})\n` +
              `--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
          ),
        );
      },
    );
  });
}

/** The regular files of a .tgz, by path (`package/...`). Enough of tar for npm's tarballs. */
function readTarball(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  let paxPath: string | undefined;
  for (let offset = 0; offset + 512 <= data.length;) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      header.toString('utf8', start, start + length).replace(/\0[\s\S]*$/, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const body = data.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      if (type === '0' || type === '') files.set(name, body);
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * A lockfile for the new app, taken from the workspace's: the entries that the given packages need
 * (their dependencies and required peers, as Node resolves them in the workspace's tree), so
 * the app gets the same versions and npm finds every tarball in its cache by integrity, without
 * asking the registry for anything.
 */
function lockEntriesFor(names: string[]): Record<string, LockEntry> {
  const workspaceLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages = workspaceLock.packages;
  const find = (from: string, name: string): string | undefined => {
    for (let dir = from; ;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!dir) return undefined;
      const parent = dir.lastIndexOf('/node_modules/');
      dir = parent < 0 ? '' : dir.slice(0, parent);
    }
  };
  const picked: Record<string, LockEntry> = {};
  const visit = (path: string) => {
    if (picked[path]) return;
    const entry = packages[path];
    // Workspace-only flags: npm works the new app's flags out itself.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    picked[path] = {
      ...kept,
      resolved:
        entry.resolved ??
        `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`,
    };
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((peer) => !optionalPeers[peer]?.optional),
    ];
    for (const dependency of needed) {
      const found = find(path, dependency);
      if (found) visit(found);
    }
  };
  for (const name of names) {
    const found = find('', name);
    if (!found) throw new Error(`${name} is not in the workspace's package-lock.json`);
    visit(found);
  }
  return picked;
}

/** The ```ts blocks of `markdown` whose first line is a `// <file>.ts` comment, by file name. */
function namedTsBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [, code] of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = /^\/\/ ([\w.-]+\.ts)\s*\n/.exec(code)?.[1];
    if (name) blocks.set(name, code);
  }
  return blocks;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('nestjs-chat-memory installed from its npm tarball into a new Nest app', () => {
  const conversationId = `pkg-${randomUUID()}`;
  const key = `chat-memory:${conversationId}`;
  let work: string;
  let appDir: string;
  let tarball: Map<string, Buffer>;
  let libManifest: Manifest;
  let redis: Redis;
  let child: ChildProcess | undefined;
  let childOutput = '';
  let childExit: Promise<void> = Promise.resolve();
  let baseUrl: string;

  const appLog = () => `--- app output ---\n${tail(childOutput)}`;

  beforeAll(async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'chat-memory-package-')));
    if (!relative(root, work).startsWith('..')) {
      throw new Error(`The temporary directory ${work} is inside the workspace ${root}`);
    }
    redis = new Redis(redisUrl(), { lazyConnect: true });
    await redis.connect();

    // 1. Build and pack. The build goes to a staging copy of the package rather than to
    //    libs/chat-memory/dist, which other test files load while this one runs.
    const stage = join(work, 'package');
    cpSync(libDir, stage, {
      recursive: true,
      filter: (source) => !/^(dist|node_modules)$/.test(relative(libDir, source).split(sep)[0]),
    });
    await run('npm', ['run', 'build:lib', '--', '--outDir', join(stage, 'dist')], root);
    const packed = JSON.parse(
      await run('npm', ['pack', '--json', '--pack-destination', work], stage),
    ) as { filename: string; integrity: string }[];
    const { filename, integrity } = packed[0];
    tarball = readTarball(join(work, filename));
    libManifest = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8')) as Manifest;

    // 2. A new app that depends on the tarball and on the peers, installed offline.
    appDir = join(work, 'app');
    mkdirSync(join(appDir, 'src'), { recursive: true });
    const dependencies = { ...exact(PEERS), [libManifest.name]: `file:../${filename}` };
    const devDependencies = exact(DEV_DEPENDENCIES);
    const appManifest = {
      name: 'chat-memory-quick-start',
      version: '0.0.0',
      private: true,
      type: 'module',
      dependencies,
      devDependencies,
    };
    writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(appManifest, null, 2)}\n`);
    const lock = {
      name: appManifest.name,
      version: appManifest.version,
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: appManifest.name, version: appManifest.version, dependencies, devDependencies },
        ...lockEntriesFor([...PEERS, ...DEV_DEPENDENCIES]),
        [`node_modules/${libManifest.name}`]: {
          version: libManifest.version,
          resolved: `file:../${filename}`,
          integrity,
          license: libManifest.license,
          engines: libManifest.engines,
          peerDependencies: libManifest.peerDependencies,
          peerDependenciesMeta: libManifest.peerDependenciesMeta,
        },
      },
    };
    writeFileSync(join(appDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], appDir);

    // 3. The README's quick start, as written, compiled with the workspace's TypeScript.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const quickStart = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
    const files = namedTsBlocks(quickStart);
    if (!files.has('main.ts')) {
      throw new Error(
        'README.md: no ```ts block starting with `// main.ts` under "## Quick start"',
      );
    }
    const everywhere = namedTsBlocks(readme);
    for (const name of EXTRA_SNIPPETS) {
      const code = everywhere.get(name);
      if (!code) throw new Error(`README.md: no \`\`\`ts block starting with \`// ${name}\``);
      if (files.has(name)) throw new Error(`README.md: two blocks named ${name}`);
      files.set(name, code);
    }
    for (const [name, code] of files) writeFileSync(join(appDir, 'src', name), code);
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'ES2022',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    };
    writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    await run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(appDir, 'tsconfig.json')],
      appDir,
    );

    // 4. Run it against the test Redis, on a free port.
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const proc = spawn(process.execPath, [join(appDir, 'dist/main.js')], {
      cwd: appDir,
      env: childEnv({ REDIS_URL: redisUrl(), PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout.on('data', (chunk) => (childOutput += chunk));
    proc.stderr.on('data', (chunk) => (childOutput += chunk));
    childExit = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`The app exited (${proc.exitCode ?? proc.signalCode})\n${appLog()}`);
      }
      const answered = await fetch(baseUrl).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (Date.now() > deadline)
        throw new Error(`The app did not answer on ${baseUrl}\n${appLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const proc = child;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await childExit;
      clearTimeout(timer);
    }
    if (redis) {
      await redis.del(key).catch(() => undefined);
      redis.disconnect();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 20_000);

  it('packs LICENSE, README, the JavaScript, declarations and source maps with their sources, and no tests', () => {
    const paths = [...tarball.keys()];
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
    ]) {
      expect(paths).toContain(`package/${path}`);
    }
    // Everything package.json points at is in the tarball.
    const targets = [libManifest.main, libManifest.types];
    for (const target of Object.values(libManifest.exports ?? {})) {
      targets.push(...(typeof target === 'string' ? [target] : Object.values(target)));
    }
    for (const target of targets.filter((t): t is string => t !== undefined)) {
      expect(paths).toContain(join('package', target));
    }
    expect(paths.filter((path) => /\.spec\.|\.tsbuildinfo$/.test(path))).toEqual([]);
    expect(tarball.get('package/LICENSE')?.toString()).toMatch(/^MIT License/);

    const maps = paths.filter((path) => path.endsWith('.js.map'));
    for (const path of maps) {
      const map = JSON.parse(tarball.get(path)!.toString()) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent, `${path} has no sourcesContent`).toHaveLength(map.sources.length);
      for (const content of map.sourcesContent ?? []) expect(content).toEqual(expect.any(String));
    }
    // Every sourceMappingURL of a shipped .js names a shipped map.
    const mapUrls = paths
      .filter((path) => path.endsWith('.js'))
      .map((path) => [
        path,
        /\/\/# sourceMappingURL=(\S+)\s*$/.exec(tarball.get(path)!.toString())?.[1],
      ])
      .filter((pair): pair is [string, string] => pair[1] !== undefined);
    expect(
      mapUrls.map(([path, url]) => join(path, '..', url)).filter((map) => !paths.includes(map)),
    ).toEqual([]);
  });

  it('the app loads nestjs-chat-memory from the installed tarball, not from the workspace', () => {
    const installed = join(appDir, 'node_modules', libManifest.name);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    const resolved = createRequire(join(appDir, 'package.json')).resolve(libManifest.name);
    expect(realpathSync(resolved)).toBe(join(installed, 'dist/index.js'));
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
    expect(manifest.version).toBe(libManifest.version);
  });

  it('records a turn in Redis: the user message and the reply', async () => {
    const response = await fetch(`${baseUrl}/chat/${conversationId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });
    const text = await response.text();
    expect(response.status, `${text}\n${appLog()}`).toBe(201);
    const { reply } = JSON.parse(text) as { reply: unknown };
    expect(reply).toEqual(expect.any(String));
    const stored = (await redis.lrange(key, 0, -1)).map((entry) => JSON.parse(entry) as unknown);
    expect(stored).toEqual([
      { v: 1, i: expect.stringMatching(/^[0-9A-Z]{26}$/), k: 5, r: 'user', c: 'hi' },
      {
        v: 1,
        i: expect.stringMatching(/^[0-9A-Z]{26}$/),
        k: expect.any(Number),
        r: 'assistant',
        c: reply,
      },
    ]);
  });

  it('loads each provider adapter without its SDK installed (types only; the SDK is an optional peer)', async () => {
    for (const [subpath, sdk, names] of ADAPTERS) {
      expect(() => createRequire(join(appDir, 'package.json')).resolve(sdk)).toThrow(
        /Cannot find module/,
      );
      const script = `const m = await import('${libManifest.name}/${subpath}'); console.log(JSON.stringify(Object.keys(m).sort()));`;
      const output = await run(process.execPath, ['--input-type=module', '-e', script], appDir);
      expect({ subpath, exports: JSON.parse(output) as unknown }).toEqual({
        subpath,
        exports: expect.arrayContaining(names),
      });
    }
  });

  it('answers 400 to a body without a message, and stores nothing', async () => {
    const before = await redis.lrange(key, 0, -1);
    const response = await fetch(`${baseUrl}/chat/${conversationId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status, `${await response.text()}\n${appLog()}`).toBe(400);
    expect(await redis.lrange(key, 0, -1)).toEqual(before);
  });
});
