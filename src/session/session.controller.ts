import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { chatUserOf, signInCookie, signOutCookie } from './chat-user.js';
import { SignInDto, type SessionDto } from './session.dto.js';

/** What the handlers need of the response: setting a header (Express and Fastify both have it). */
interface HeaderResponse {
  header(name: string, value: string): unknown;
}

/**
 * The demo sign-in of the chat page: `POST /session` with `{ name }` sets the `chat_user` cookie,
 * which the app's owner resolver reads (see `chat-user.ts`); `DELETE /session` clears it. There is
 * no password: this is a demo, not authentication.
 */
@Controller('session')
export class SessionController {
  /** Who is signed in: `{ name }`, or `{ name: null }`. */
  @Get()
  current(@Req() request: unknown): SessionDto {
    return { name: chatUserOf(request) ?? null };
  }

  /** Signs in as `body.name` (400 for a name that is not valid). */
  @Post()
  @HttpCode(200)
  signIn(
    @Body() body: SignInDto,
    @Res({ passthrough: true }) response: HeaderResponse,
  ): SessionDto {
    response.header('Set-Cookie', signInCookie(body.name));
    return { name: body.name };
  }

  /** Signs out. */
  @Delete()
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) response: HeaderResponse): void {
    response.header('Set-Cookie', signOutCookie());
  }
}
