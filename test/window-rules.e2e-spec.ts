import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as fc from 'fast-check';
import {
  ChatMemoryService,
  InMemoryChatMemoryStore,
  InvalidMessageError,
  estimateTokens,
  type ChatMemoryConfig,
  type ChatMemoryModuleOptions,
  type ChatMessage,
  type ChatMessageInput,
} from 'nestjs-chat-memory';
import { describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { useChatMemoryModules } from './support/modules.js';
import { useTestCluster } from './support/redis-cluster.js';

/**
 * The window rules, as properties over random agent conversations: text turns, parallel tool calls,
 * tool errors, system messages, pinned prompts, appends of 1 to n messages, resent batches and
 * writes that break a tool-call rule, under any maxTurns / maxMessages / maxTokens. After every
 * write, each store (Redis, in-memory, Redis Cluster) is checked against the rules, and all of
 * them must hold exactly the same window.
 */

type Step =
  | { kind: 'user' | 'assistant' | 'system'; text: string }
  | { kind: 'calls'; count: number; text: string }
  | { kind: 'results'; count: number; error: boolean }
  | { kind: 'orphan' }
  | { kind: 'interrupt' };

type Op =
  | { kind: 'append'; steps: Step[] }
  | { kind: 'resend' }
  | { kind: 'pin'; text: string | null }
  | { kind: 'read'; maxTokens: number; limit: number };

const text = fc.string({ maxLength: 40, unit: 'grapheme-ascii' });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('user' as const), text }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('assistant' as const), text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('system' as const), text }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('calls' as const),
      count: fc.integer({ min: 1, max: 3 }),
      text,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('results' as const),
      count: fc.integer({ min: 1, max: 3 }),
      error: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'orphan' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'interrupt' as const }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      steps: fc.array(step, { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'resend' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pin' as const),
      text: fc.option(text, { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      maxTokens: fc.integer({ min: 1, max: 150 }),
      limit: fc.integer({ min: 1, max: 7 }),
    }),
  },
);
const windowConfig = fc.record({
  maxTurns: fc.integer({ min: 1, max: 5 }),
  maxMessages: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
  maxTokens: fc.option(fc.integer({ min: 10, max: 120 }), { nil: null }),
});

/** Turns steps into messages, closing open calls first the way a correct agent would. */
class Conversation {
  private open: string[] = [];
  private calls = 0;
  private ids = 0;
  constructor(private readonly tag: string) {}

  private id(): string {
    return `${this.tag}-${++this.ids}`;
  }

  /** A fixed time, so that every store reads back the same message. */
  private get at(): number {
    return 1_700_000_000_000 + this.ids;
  }

  /** The messages of one append, and whether it breaks a rule on purpose. */
  messages(steps: readonly Step[]): { messages: ChatMessageInput[]; breaks: boolean } {
    const messages: ChatMessageInput[] = [];
    const close = (count = this.open.length, error = false) => {
      for (const callId of this.open.splice(0, count)) {
        messages.push({
          id: this.id(),
          createdAt: this.at,
          role: 'tool',
          toolCallId: callId,
          content: error ? 'failed' : `result of ${callId}`,
          ...(error ? { metadata: { isError: true } } : {}),
        });
      }
    };
    for (const s of steps) {
      switch (s.kind) {
        case 'orphan':
          return {
            messages: [...messages, { role: 'tool', toolCallId: 'nobody-called', content: 'x' }],
            breaks: true,
          };
        case 'interrupt':
          if (this.open.length === 0) break;
          return { messages: [...messages, { role: 'user', content: 'stop!' }], breaks: true };
        case 'results':
          close(s.count, s.error);
          break;
        case 'calls': {
          close();
          const toolCalls = Array.from({ length: s.count }, () => ({
            id: `call-${++this.calls}`,
            name: 'lookup',
            arguments: JSON.stringify({ q: s.text }),
          }));
          messages.push({
            id: this.id(),
            createdAt: this.at,
            role: 'assistant',
            content: s.text,
            toolCalls,
          });
          this.open = toolCalls.map((call) => call.id);
          break;
        }
        default:
          close();
          messages.push({ id: this.id(), createdAt: this.at, role: s.kind, content: s.text });
      }
    }
    return { messages, breaks: false };
  }

  /** After a write that was refused: the calls it opened are not open after all. */
  restore(open: string[]): void {
    this.open = open;
  }

  get openCalls(): string[] {
    return [...this.open];
  }
}

/** Where each turn starts in `messages` (a user message, or the first message). */
const turnStarts = (messages: readonly ChatMessage[]): number[] =>
  messages.flatMap((m, i) => (m.role === 'user' || i === 0 ? [i] : []));

/** Checks the tool-call rules on a window: results follow their call; calls get results unless newest. */
function checkToolPairs(window: readonly ChatMessage[]): void {
  const problems: string[] = [];
  const open = new Set<string>();
  window.forEach((message, i) => {
    if (message.role === 'tool') {
      if (!open.delete(message.toolCallId!)) problems.push(`result ${i} has no call before it`);
    } else {
      if (open.size > 0) problems.push(`calls before message ${i} have no results`);
      for (const call of message.toolCalls ?? []) open.add(call.id);
    }
  });
  expect(problems).toEqual([]);
}

/**
 * The rules for one stored window, given everything appended (`log`) and where the window began
 * before this write (`previousStart`, an index into `log`).
 */
function checkWindow(
  window: readonly ChatMessage[],
  log: readonly ChatMessage[],
  previousStart: number,
  config: { maxTurns: number; maxMessages: number | null; maxTokens: number | null },
): number {
  const start = log.length - window.length;
  // A suffix of everything appended, in order.
  expect(window.map((m) => m.id)).toEqual(log.slice(start).map((m) => m.id));
  expect(start).toBeGreaterThanOrEqual(previousStart);
  // Cut only before a user message (or not cut at all).
  expect(start === 0 || window.length === 0 || window[0].role === 'user', 'cut before a user').toBe(
    true,
  );
  checkToolPairs(window);
  // The newest turn is whole.
  const lastUser = log.map((m) => m.role).lastIndexOf('user');
  expect(start).toBeLessThanOrEqual(Math.max(lastUser, 0));
  // Within every bound, unless the window is the newest turn alone.
  const starts = turnStarts(window);
  const tokens = (from: number) =>
    window.slice(from).reduce((sum, m) => sum + estimateTokens(m), 0);
  const fits = (turns: number, messages: number, sum: number) =>
    turns <= config.maxTurns &&
    (config.maxMessages === null || messages <= config.maxMessages) &&
    (config.maxTokens === null || sum <= config.maxTokens);
  expect(
    starts.length <= 1 || fits(starts.length, window.length, tokens(0)),
    'window within its bounds',
  ).toBe(true);
  // And as long as the bounds allow: one more turn (not trimmed before this write) would not fit.
  const longerFits = (): boolean => {
    const logStarts = turnStarts(log.slice(previousStart)).map((i) => i + previousStart);
    const before = logStarts.filter((i) => i < start).pop()!;
    const longer = log.slice(before);
    const sum = longer.reduce((total, m) => total + estimateTokens(m), 0);
    return fits(starts.length + 1, longer.length, sum);
  };
  expect(start > previousStart && longerFits(), 'trimmed only what it had to').toBe(false);
  return start;
}

describe('window rules (fast-check, Redis, in-memory store and Redis Cluster)', () => {
  const testCluster = useTestCluster();

  const boot = useChatMemoryModules();
  const inMemory = new InMemoryChatMemoryStore();

  /** One service per store, all with `config`; `close()` closes their modules. */
  async function services(
    config: ChatMemoryConfig,
  ): Promise<{ stores: ChatMemoryService[]; close: () => Promise<void> }> {
    const targets: ChatMemoryModuleOptions[] = [
      { url: redisUrl(), config },
      { store: inMemory, config },
      { cluster: { nodes: testCluster().startupNodes }, config },
    ];
    const modules = await Promise.all(targets.map((t) => boot(t)));
    return {
      stores: modules.map((m) => m.get(ChatMemoryService)),
      close: async () => {
        await Promise.all(modules.map((m) => m.close()));
      },
    };
  }

  it('hold after every write of random agent conversations, and every store agrees', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        windowConfig,
        fc.array(op, { minLength: 1, maxLength: 25 }),
        async (win, ops) => {
          const config = { keyPrefix: uniquePrefix('rules'), ...win };
          const { stores, close } = await services(config);
          try {
            const id = `conv-${++run}`;
            const conversation = new Conversation(`r${run}`);
            const log: ChatMessage[] = [];
            let previousStart = 0;
            let last: ChatMessageInput[] = [];
            for (const o of ops) {
              if (o.kind === 'pin') {
                for (const memory of stores) {
                  await memory.setSystemPrompt(
                    id,
                    o.text === null
                      ? null
                      : {
                          id: `${id}-p${log.length}`,
                          role: 'system',
                          content: o.text,
                          createdAt: 1,
                        },
                  );
                }
              } else if (o.kind === 'read') {
                const reads = await Promise.all(
                  stores.map((memory) => memory.getHistory(id, { maxTokens: o.maxTokens })),
                );
                for (const read of reads.slice(1)) assert.deepStrictEqual(read, reads[0]);
                checkTokenRead(reads[0], await stores[0].getHistory(id), o.maxTokens, id);
                const pages = await Promise.all(
                  stores.map((memory) => allPages(memory, id, o.limit)),
                );
                for (const pageList of pages.slice(1)) assert.deepStrictEqual(pageList, pages[0]);
                assert.deepStrictEqual(pages[0], await stores[0].getHistory(id));
              } else {
                let batch: ChatMessageInput[];
                let breaks = false;
                const open = conversation.openCalls;
                if (o.kind === 'resend') {
                  // Sent again (a retry, a client re-sending history) while still in the window.
                  const stored = new Set((await stores[0].getHistory(id)).map((m) => m.id));
                  if (!last.every((m) => stored.has(m.id))) continue;
                  batch = last;
                } else {
                  ({ messages: batch, breaks } = conversation.messages(o.steps));
                }
                if (batch.length === 0) continue;
                const results = await Promise.allSettled(
                  stores.map((memory) => memory.append(id, batch)),
                );
                if (breaks) {
                  for (const result of results) {
                    assert.equal(result.status, 'rejected');
                    assert.ok(
                      (result as PromiseRejectedResult).reason instanceof InvalidMessageError,
                    );
                  }
                  conversation.restore(open);
                } else {
                  const stored = results.map((result) => {
                    if (result.status === 'rejected') throw result.reason;
                    return result.value;
                  });
                  const duplicates = stored.map((s) => s.duplicates.map((m) => m.id));
                  for (const d of duplicates.slice(1)) assert.deepStrictEqual(d, duplicates[0]);
                  if (o.kind === 'resend') {
                    assert.deepStrictEqual(
                      duplicates[0],
                      batch.map((m) => m.id),
                    );
                  } else {
                    assert.deepStrictEqual(duplicates[0], []);
                    log.push(...stored[0]);
                    last = batch;
                  }
                }
              }
              const windows = await Promise.all(stores.map((memory) => memory.getHistory(id)));
              for (const w of windows.slice(1)) expect(w).toStrictEqual(windows[0]);
              previousStart = checkWindow(
                splitPinned(windows[0], id).window,
                log,
                previousStart,
                win,
              );
            }
          } finally {
            await close();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 240_000);
});

/** The pinned prompt (its ids are `<conversation>-p<n>` here) and the rest of a history. */
function splitPinned(
  history: ChatMessage[],
  id: string,
): { pinned: ChatMessage | undefined; window: ChatMessage[] } {
  return history[0]?.id?.startsWith(`${id}-p`)
    ? { pinned: history[0], window: history.slice(1) }
    : { pinned: undefined, window: history };
}

/** Every page of a conversation, newest page first, joined oldest first. */
async function allPages(
  memory: ChatMemoryService,
  id: string,
  limit: number,
): Promise<ChatMessage[]> {
  const pages: ChatMessage[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = await memory.getHistoryPage(id, { limit, before });
    pages.unshift(page.messages);
    if (page.nextBefore === null) break;
    before = page.nextBefore;
  }
  return pages.flat();
}

/** A `maxTokens` read: the newest whole turns of the window that fit, the pinned prompt first. */
function checkTokenRead(
  read: ChatMessage[],
  history: ChatMessage[],
  maxTokens: number,
  id: string,
): void {
  const { pinned, window } = splitPinned(history, id);
  expect(pinned === undefined || isDeepStrictEqual(read[0], pinned), 'the prompt first').toBe(true);
  const got = pinned ? read.slice(1) : read;
  const budget = maxTokens - (pinned ? estimateTokens(pinned) : 0);
  const starts = turnStarts(window);
  if (window.length === 0) return assert.deepStrictEqual(got, []);
  // The longest turn-boundary suffix that fits, the newest turn at least.
  let expected = window.slice(starts[starts.length - 1]);
  for (let t = starts.length - 2; t >= 0; t--) {
    const candidate = window.slice(starts[t]);
    if (candidate.reduce((sum, m) => sum + estimateTokens(m), 0) > budget) break;
    expected = candidate;
  }
  expect(got).toStrictEqual(expected);
}
