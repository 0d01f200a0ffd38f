import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /chat/:conversationId`, and query of `GET /chat/:conversationId/stream`. */
export class ChatRequestDto {
  /** What the user says. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  message: string;
}

export interface ChatReplyDto {
  reply: string;
}
