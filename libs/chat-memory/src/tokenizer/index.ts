import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../chat-message.interfaces.js';

/** Tokens OpenAI's chat format adds per message (role and separators). */
const MESSAGE_OVERHEAD = 3;
/** The same flat count for an image or file part as `estimateTokens`. */
const ATTACHMENT_TOKENS = 256;

/**
 * A `config.tokenCounter` that counts with the o200k_base encoding (GPT-4o and later OpenAI models)
 * through the optional peer dependency `gpt-tokenizer`: the text and reasoning parts, tool call
 * names and arguments, 3 tokens per message, and a flat 256 per image or file part. Slower than
 * the default estimate (it tokenizes every message written), exact for text.
 *
 * ```ts
 * import { o200kTokenCounter } from 'nestjs-chat-memory/tokenizer';
 * ChatMemoryModule.forRoot({ config: { tokenCounter: o200kTokenCounter, maxTokens: 8000 } });
 * ```
 */
export function o200kTokenCounter(message: ChatMessage): number {
  let tokens = MESSAGE_OVERHEAD;
  const { content, toolCalls } = message;
  if (typeof content === 'string') {
    tokens += countTokens(content);
  } else {
    for (const part of content) {
      tokens +=
        part.type === 'text' || part.type === 'reasoning'
          ? countTokens(part.text)
          : ATTACHMENT_TOKENS;
    }
  }
  if (toolCalls) {
    for (const call of toolCalls) tokens += countTokens(call.name) + countTokens(call.arguments);
  }
  return tokens;
}
