import { Logger } from '@nestjs/common';
import {
  messageText,
  type ChatMemoryService,
  type ChatMessage,
  type JsonObject,
} from 'nestjs-chat-memory';

/**
 * What the example keeps of turns that slid out of the window: the user's name, the calculations,
 * how many messages were summarized. It lives in the conversation's pinned system prompt (as its
 * text and, for the model to read back exactly, in its `metadata.summary`), which no trimming removes.
 */
export interface ConversationSummary {
  name?: string;
  calculations: string[];
  messages: number;
}

const NAME = /\bmy name is\s+([\p{L}\p{N}_-]+)/iu;

/** The summary stored in a pinned prompt, if `message` is one. */
export function summaryOf(message: ChatMessage | undefined): ConversationSummary | undefined {
  const summary = message?.role === 'system' ? message.metadata?.summary : undefined;
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) return undefined;
  const { name, calculations, messages } = summary;
  return {
    name: typeof name === 'string' ? name : undefined,
    calculations: Array.isArray(calculations)
      ? calculations.filter((c): c is string => typeof c === 'string')
      : [],
    messages: typeof messages === 'number' ? messages : 0,
  };
}

/** `previous` updated with the evicted messages: the stand-in for asking an LLM to summarize. */
export function summarize(
  previous: ConversationSummary | undefined,
  evicted: readonly ChatMessage[],
): ConversationSummary {
  const summary: ConversationSummary = {
    name: previous?.name,
    calculations: [...(previous?.calculations ?? [])],
    messages: (previous?.messages ?? 0) + evicted.length,
  };
  for (const message of evicted) {
    if (message.role === 'user')
      summary.name = NAME.exec(messageText(message))?.[1] ?? summary.name;
    if (message.role === 'assistant' && message.toolCalls === undefined) {
      // The calculator's answers: one "12 * 7 = 84" line per calculation.
      for (const line of messageText(message).split('\n')) {
        if (/^[\d\s.+\-*/%^()×÷]+ = -?[\d.e+]+$/.test(line)) summary.calculations.push(line);
      }
    }
  }
  // Keep the prompt small: the ten newest calculations.
  summary.calculations = summary.calculations.slice(-10);
  return summary;
}

/** The pinned prompt's text for a summary. */
export function summaryText({ name, calculations, messages }: ConversationSummary): string {
  const facts = [
    name ? `the user's name is ${name}` : undefined,
    calculations.length > 0 ? `calculated ${calculations.join(', ')}` : undefined,
  ].filter(Boolean);
  return `Summary of ${messages} earlier messages: ${facts.length > 0 ? facts.join('; ') : 'small talk'}.`;
}

/**
 * `config.onEvict` of the example app: folds the messages the window dropped into a summary kept
 * in the pinned system prompt. (Two replicas evicting from one conversation at the same moment may
 * each write their own summary; the last one wins. An app that must not lose a fact would archive
 * evicted messages to a database instead, or both.)
 */
export async function summarizeEvicted(
  conversationId: string,
  evicted: ChatMessage[],
  memory: ChatMemoryService,
): Promise<void> {
  const [first] = await memory.getHistory(conversationId);
  const summary = summarize(summaryOf(first), evicted);
  await memory.setSystemPrompt(conversationId, {
    role: 'system',
    content: summaryText(summary),
    metadata: { summary: summary as unknown as JsonObject },
  });
  new Logger('ChatApp').debug(`Summarized ${evicted.length} evicted messages of ${conversationId}`);
}
