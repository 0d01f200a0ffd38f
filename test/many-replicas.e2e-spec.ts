import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ChatMemoryService, messageText } from 'nestjs-chat-memory';
import { describe, expect, it } from 'vitest';
import { redisUrl, ULID_PATTERN, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';

const root = join(import.meta.dirname, '..');
const WORKERS = 4;
const TURNS_PER_WORKER = 60;
const CONVERSATIONS = 6;
const NARROW_MAX_TURNS = 4;
const padding = 'é🙂x'.repeat(200);

/** Runs WORKERS replica processes with `env` (on top of the common settings) until they are done. */
async function runWorkers(env: Record<string, string>): Promise<void> {
  const children: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  const ready: Promise<unknown>[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const child = fork(join(root, 'test/support/replica-worker.mjs'), [], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        WORKER: `w${w}`,
        TURNS: String(TURNS_PER_WORKER),
        CONVERSATIONS: String(CONVERSATIONS),
        CONCURRENCY: '8',
        WIDE_MAX_TURNS: '100000',
        NARROW_MAX_TURNS: String(NARROW_MAX_TURNS),
        ...env,
      },
    });
    children.push(child);
    ready.push(new Promise((resolve) => child.once('message', resolve)));
    exits.push(new Promise((resolve) => child.once('exit', (code) => resolve(code))));
  }
  try {
    await Promise.all(ready);
    for (const child of children) child.send('go'); // all start writing together
    expect(await Promise.all(exits)).toEqual(Array(WORKERS).fill(0));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('several replicas (separate Node processes) writing the same conversations at once', () => {
  const boot = useChatMemoryModules(() => ({ url: redisUrl() }));

  it('keeps exactly min(total, maxTurns * 2) entries, turns whole and ordered, nothing duplicated or torn', async () => {
    const wide = uniquePrefix('wide');
    const narrow = uniquePrefix('narrow');
    await runWorkers({ WIDE_PREFIX: wide, NARROW_PREFIX: narrow });

    const wideMemory = (await boot({ config: { keyPrefix: wide, maxTurns: 100_000 } })).get(
      ChatMemoryService,
    );
    const narrowMemory = (
      await boot({ config: { keyPrefix: narrow, maxTurns: NARROW_MAX_TURNS } })
    ).get(ChatMemoryService);
    const everyTurn = new Set<string>();
    const everyId: string[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      const id = `c${c}`;
      // Which turns went to this conversation: turn t of every worker with t % CONVERSATIONS === c.
      const expected = new Set<string>();
      for (let w = 0; w < WORKERS; w++)
        for (let t = c; t < TURNS_PER_WORKER; t += CONVERSATIONS) expected.add(`w${w}/${t}`);
      const total = expected.size * 2;

      for (const [memory, window] of [
        [wideMemory, Infinity],
        [narrowMemory, NARROW_MAX_TURNS * 2],
      ] as const) {
        const history = await memory.getHistory(id);
        expect(history).toHaveLength(Math.min(total, window));
        const seen = new Set<string>();
        for (let i = 0; i < history.length; i += 2) {
          const [user, assistant] = [history[i], history[i + 1]];
          expect(user.role).toBe('user');
          expect(assistant.role).toBe('assistant');
          const match = /^q (w\d+\/\d+) (.*)$/su.exec(messageText(user));
          expect(match).not.toBeNull();
          const [, turn, rest] = match!;
          expect(rest).toBe(padding); // not torn
          expect(assistant.content).toBe(`a ${turn} ${padding}`); // its own answer, adjacent
          // Ids assigned by each replica: ULIDs, the answer's after its question's.
          expect(user.id).toMatch(ULID_PATTERN);
          expect(assistant.id).toMatch(ULID_PATTERN);
          expect(assistant.id! > user.id!).toBe(true);
          expect([typeof user.createdAt, typeof assistant.createdAt]).toEqual(['number', 'number']);
          if (window === Infinity) everyId.push(user.id!, assistant.id!);
          expect(expected.has(turn)).toBe(true);
          expect(seen.has(turn)).toBe(false); // not duplicated
          seen.add(turn);
          if (window === Infinity) everyTurn.add(turn);
        }
        // The wide window keeps every turn sent to this conversation; the narrow one a subset.
        expect(window === Infinity ? seen : expected).toEqual(expected);
      }
    }
    expect(everyTurn.size).toBe(WORKERS * TURNS_PER_WORKER);
    // No two messages got the same id, though four processes made them at the same time.
    expect(new Set(everyId).size).toBe(everyId.length);
  }, 60_000);

  it('keeps every owner’s listing exact while four processes write to their conversations', async () => {
    const wide = uniquePrefix('owned');
    const narrow = uniquePrefix('ownednarrow');
    const owners = ['o1', 'o2', 'o3'];
    await runWorkers({ WIDE_PREFIX: wide, NARROW_PREFIX: narrow, OWNERS: owners.join(',') });
    const memory = (await boot({ config: { keyPrefix: wide, maxTurns: 100_000 } })).get(
      ChatMemoryService,
    );
    // Turn t of each worker went to conversation c(t % CONVERSATIONS) of owner o(t % 3).
    for (const [o, owner] of owners.entries()) {
      const expected = new Map<string, number>();
      for (let t = 0; t < TURNS_PER_WORKER; t++) {
        if (t % owners.length !== o) continue;
        const id = `c${t % CONVERSATIONS}`;
        expected.set(id, (expected.get(id) ?? 0) + 2 * WORKERS);
      }
      const { conversations, nextCursor } = await memory.listConversations(owner, { limit: 100 });
      expect(nextCursor).toBeNull();
      expect(new Map(conversations.map((c) => [c.id, c.messageCount]))).toEqual(expected);
      // Newest first, and each conversation's time is that of its latest message.
      const times = conversations.map((c) => c.updatedAt);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      for (const conversation of conversations) {
        const history = await memory.forOwner(owner).getHistory(conversation.id);
        expect(history).toHaveLength(conversation.messageCount);
      }
    }
  }, 60_000);
});
