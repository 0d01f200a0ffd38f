import type { Redis } from 'ioredis';
import { messageText, type ChatMemoryService } from 'nestjs-chat-memory';
import { expect } from 'vitest';
import { ULID_PATTERN } from './helpers.js';

interface Attempt {
  seq: number;
  startedAt: number;
  ok: boolean;
}

/** Writes acknowledged so far, by conversation: the sequence numbers of the turns. */
export type AckedWrites = Map<string, number[]>;

/**
 * Background traffic for failover tests: one sequential writer per conversation, each appending
 * turns `q <id> <seq>` / `a <id> <seq>` as fast as Redis answers, recording what was acknowledged.
 */
export function writeTraffic(memory: ChatMemoryService, ids: readonly string[]) {
  const attempts = new Map<string, Attempt[]>(ids.map((id) => [id, []]));
  const state = { running: true };
  const loops = ids.map(async (id) => {
    const log = attempts.get(id)!;
    for (let seq = 0; state.running; seq++) {
      const attempt: Attempt = { seq, startedAt: Date.now(), ok: false };
      log.push(attempt);
      try {
        await memory.appendTurn(id, `q ${id} ${seq}`, `a ${id} ${seq}`);
        attempt.ok = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  const acked = () => [...attempts.values()].flat().filter((a) => a.ok).length;

  return {
    /** Waits until `check(number of acknowledged writes)` holds. */
    async until(check: (acked: number) => boolean, timeoutMs = 20_000): Promise<void> {
      await expect.poll(() => check(acked()), { timeout: timeoutMs, interval: 20 }).toBe(true);
    },
    /** The writes acknowledged so far. */
    snapshot(): AckedWrites {
      return new Map(
        [...attempts].map(([id, log]) => [id, log.filter((a) => a.ok).map((a) => a.seq)]),
      );
    },
    /** Waits until every conversation has had a write started after `time` acknowledged. */
    async untilAllSucceedAfter(time: number, timeoutMs: number): Promise<void> {
      await expect
        .poll(
          () => [...attempts.values()].every((log) => log.some((a) => a.ok && a.startedAt > time)),
          { timeout: timeoutMs, interval: 50 },
        )
        .toBe(true);
    },
    /** Number of failed writes started after `time`. */
    failuresAfter(time: number): number {
      return [...attempts.values()].flat().filter((a) => !a.ok && a.startedAt > time).length;
    },
    async stop(): Promise<void> {
      state.running = false;
      await Promise.all(loops);
    },
    /**
     * Checks every conversation: turns whole (user then assistant of the same write), only writes
     * that were attempted, every write in `before` present and in order, and every write
     * acknowledged after the last failure present.
     */
    async verify(before: AckedWrites): Promise<void> {
      for (const [id, log] of attempts) {
        const history = await memory.getHistory(id);
        expect(history.length % 2).toBe(0);
        const seqs: number[] = [];
        for (let i = 0; i < history.length; i += 2) {
          const match = new RegExp(`^q ${id} (\\d+)$`).exec(messageText(history[i]));
          expect(history[i].role).toBe('user');
          expect(match, `entry ${i} of ${id}: ${history[i].content}`).not.toBeNull();
          const seq = Number(match![1]);
          expect(history[i + 1]).toEqual({
            id: expect.stringMatching(ULID_PATTERN),
            role: 'assistant',
            content: `a ${id} ${seq}`,
            createdAt: expect.any(Number),
          });
          expect(seq).toBeLessThan(log.length);
          seqs.push(seq);
        }
        const kept = seqs.filter((seq) => before.get(id)!.includes(seq));
        expect(kept, `writes of ${id} acknowledged before the failure`).toEqual(before.get(id));
        const lastFailure = Math.max(-1, ...log.filter((a) => !a.ok).map((a) => a.seq));
        const after = log.filter((a) => a.ok && a.seq > lastFailure).map((a) => a.seq);
        for (const seq of after) expect(seqs).toContain(seq);
      }
    },
  };
}

const offset = (info: string, field: string) =>
  Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? -1);

/** Resolves once every replica has received the master's replication stream up to now. */
export async function waitForReplicaSync(master: Redis, replicas: Redis[]): Promise<void> {
  const target = offset(await master.info('replication'), 'master_repl_offset');
  expect(target).toBeGreaterThan(0);
  for (const replica of replicas) {
    await expect
      .poll(async () => offset(await replica.info('replication'), 'slave_repl_offset'), {
        timeout: 10_000,
        interval: 20,
      })
      .toBeGreaterThanOrEqual(target);
  }
}
