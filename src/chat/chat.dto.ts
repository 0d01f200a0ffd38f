import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

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
