import { IsIn, IsString } from 'class-validator';
import { CHAT_ROLES } from '../chat-memory.constants.js';
import type { ChatRole } from '../chat-memory.interfaces.js';

/** Body of `POST /:conversationId/messages`: one message to append. */
export class AppendChatMessageDto {
  /** `system`, `user`, `assistant` or `tool`. */
  @IsIn(CHAT_ROLES)
  role: ChatRole;

  /** The text; at most `maxContentBytes` UTF-8 bytes (checked by the service). */
  @IsString()
  content: string;
}
