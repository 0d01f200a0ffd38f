import type { ChatMessage } from './chat-message.interfaces.js';

/** Tokens a message costs beyond its text (role and framing), as providers count it. */
const MESSAGE_OVERHEAD = 4;
/** Rough tokens of an image or file part (providers bill them by size, which is not known here). */
const ATTACHMENT_TOKENS = 256;

/**
 * The default `config.tokenCounter`: a fast estimate of about 4 characters a token for text,
 * reasoning, tool names and arguments, a flat 256 for each image or file part, and 4 per message.
 * Close for English prose on current OpenAI, Anthropic and Google tokenizers; for exact o200k
 * counts use `o200kTokenCounter` from `nestjs-chat-memory/tokenizer`.
 */
export function estimateTokens(message: ChatMessage): number {
  let chars = 0;
  let tokens = MESSAGE_OVERHEAD;
  const { content, toolCalls } = message;
  if (typeof content === 'string') {
    chars = content.length;
  } else {
    for (const part of content) {
      if (part.type === 'text' || part.type === 'reasoning') chars += part.text.length;
      else tokens += ATTACHMENT_TOKENS;
    }
  }
  if (toolCalls) for (const call of toolCalls) chars += call.name.length + call.arguments.length;
  return tokens + Math.ceil(chars / 4);
}
