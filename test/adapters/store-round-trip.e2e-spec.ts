// What each adapter's `from*` functions produce, stored through the real service on Redis and read
// back: every message is accepted, and comes back deep-equal (plus id and createdAt), ready for
// the adapter's `to*` again.
import { ChatMemoryService, type ChatMessageInput } from 'nestjs-chat-memory';
import { toModelMessages } from 'nestjs-chat-memory/ai-sdk';
import { toAnthropicMessages } from 'nestjs-chat-memory/anthropic';
import { toGeminiContents } from 'nestjs-chat-memory/google';
import { toOpenAIChatMessages, toOpenAIResponsesInput } from 'nestjs-chat-memory/openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, ULID_PATTERN, uniquePrefix } from '../support/helpers.js';
import { useChatMemoryModules } from '../support/modules.js';
import { aiSdkCases } from './fixtures/ai-sdk.js';
import { anthropicCases } from './fixtures/anthropic.js';
import { googleCases } from './fixtures/google.js';
import { openaiCases } from './fixtures/openai.js';

const ANY_ID = expect.stringMatching(ULID_PATTERN);
const ANY_TIME = expect.any(Number);

type Cases = { name: string; stored: ChatMessageInput[] }[];
const ADAPTERS: [string, Cases, ((history: never[]) => unknown)[]][] = [
  ['openai', openaiCases, [toOpenAIChatMessages, toOpenAIResponsesInput]],
  ['anthropic', anthropicCases, [toAnthropicMessages]],
  ['google', googleCases, [toGeminiContents]],
  ['ai-sdk', aiSdkCases, [toModelMessages]],
];

/**
 * Whether the messages break a tool-call rule of the window: a tool message that answers no open
 * call, or another message while calls still wait for results.
 */
function breaksToolRules(messages: readonly ChatMessageInput[]): boolean {
  let open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'tool') {
      if (!open.delete(message.toolCallId!)) return true;
    } else {
      if (open.size > 0) return true;
      open = new Set(message.toolCalls?.map((call) => call.id));
    }
  }
  return false;
}

describe.each(ADAPTERS)('%s adapter output stored on Redis', (_name, cases, back) => {
  const boot = useChatMemoryModules(() => ({ url: redisUrl() }), { closeAfter: 'all' });
  let memory: ChatMemoryService;
  beforeAll(async () => {
    memory = (await boot({ config: { keyPrefix: uniquePrefix('adapters'), maxTurns: 100 } })).get(
      ChatMemoryService,
    );
  });

  const indexed = cases.map((c, i) => [c.name, c.stored, i] as const);

  // A provider may send a tool result whose call is not in the input (it was trimmed on the
  // client): the window rules refuse to store one, since the next request would be rejected.
  const refused = indexed.filter(([, stored]) => breaksToolRules(stored));
  it.skipIf(refused.length === 0).each(refused)(
    '%s: refused by the tool-call rules, nothing written',
    async (_case, stored, i) => {
      await expect(memory.append(`case-${i}`, stored)).rejects.toThrow(/tool call/);
      await expect(memory.count(`case-${i}`)).resolves.toBe(0);
    },
  );

  it.each(indexed.filter(([, stored]) => !breaksToolRules(stored)))(
    '%s: stored in one write and read back as given',
    async (_case, stored, i) => {
      const conversationId = `case-${i}`;
      const written = await memory.append(conversationId, stored);
      const history = await memory.getHistory(conversationId);
      expect(history).toStrictEqual(written);
      expect(history).toStrictEqual(
        stored.map((message) => ({
          ...message,
          id: message.id ?? ANY_ID,
          createdAt: message.createdAt ?? ANY_TIME,
        })),
      );
      // The history converts back to the provider's shape as it is read (for OpenAI, to the API
      // it came from at least: Responses input with file ids does not fit Chat Completions).
      const converts = back.filter((convert) => {
        try {
          convert(history as never[]);
          return true;
        } catch {
          return false;
        }
      });
      expect(converts.length).toBeGreaterThan(0);
    },
  );
});
