import { Module } from '@nestjs/common';
import { PageController } from './page.controller.js';

/** The chat page at `/` (its JSON endpoints are the chat module's and the session module's). */
@Module({ controllers: [PageController] })
export class PageModule {}
