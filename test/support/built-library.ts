import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const root = join(import.meta.dirname, '../..');

/** Newest modification time of the files under `dir`. */
function newestFile(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the library (libs/chat-memory/dist) when it is missing or older than its sources, for
 * tests whose child processes import `nestjs-chat-memory` as plain Node does: the built package.
 */
export function ensureLibraryBuilt(): void {
  const dist = join(root, 'libs/chat-memory/dist/index.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestFile(join(root, 'libs/chat-memory/src')))
    return;
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'libs/chat-memory/tsconfig.lib.json'],
    { cwd: root, stdio: 'inherit' },
  );
}
