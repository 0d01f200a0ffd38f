import { IsString, Matches } from 'class-validator';
import { CHAT_USER_PATTERN } from './chat-user.js';

/** Body of `POST /session`. */
export class SignInDto {
  /** The user's name: 1-32 letters, digits, `_`, `.` or `-`, starting with a letter or digit. */
  @IsString()
  @Matches(CHAT_USER_PATTERN, {
    message:
      'name must be 1-32 letters, digits, "_", "." or "-", starting with a letter or a digit',
  })
  name: string;
}

/** Answer of `GET /session` and `POST /session`: who is signed in (`null`: nobody). */
export interface SessionDto {
  name: string | null;
}
