import { Module } from '@nestjs/common';
import { SessionController } from './session.controller.js';

/** The demo sign-in (a name in a cookie) of the chat page. */
@Module({ controllers: [SessionController] })
export class SessionModule {}
