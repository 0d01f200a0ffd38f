import { messageText, type ChatMessage } from 'nestjs-chat-memory';

/** Longest title, in characters. */
const MAX_TITLE = 48;

/**
 * `config.generateTitle` of the example app: a new conversation is titled with the start of its
 * first user message (an app with an LLM at hand might ask a small model for a summary instead).
 */
export function titleFromFirstMessage(messages: ChatMessage[]): string | undefined {
  const first = messages.find((message) => message.role === 'user');
  const text = first ? messageText(first).replace(/\s+/g, ' ').trim() : '';
  if (text === '') return undefined;
  return text.length > MAX_TITLE ? `${text.slice(0, MAX_TITLE - 1)}…` : text;
}
