import type { ChatMessageInput } from 'nestjs-chat-memory';
import { prepareMessage } from '../../libs/chat-memory/src/chat-message.codec.js';
import { estimateTokens } from '../../libs/chat-memory/src/chat-message.tokens.js';

/**
 * The service's own validation run on what an adapter returns, without Redis: the error messages
 * it would throw, one per rejected message (none when everything can be stored).
 */
export function validationErrors(messages: readonly ChatMessageInput[]): string[] {
  const errors: string[] = [];
  messages.forEach((message, i) => {
    try {
      prepareMessage(
        message,
        `messages[${i}]`,
        {
          maxContentBytes: 1_000_000,
          maxMetadataBytes: 65_536,
          wireFormat: 'native',
          countTokens: estimateTokens,
        },
        Date.now(),
      );
    } catch (error) {
      errors.push(String(error));
    }
  });
  return errors;
}
