import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';

/** The admin key used when `CHAT_ADMIN_KEY` is not set: for local development only. */
export const DEFAULT_ADMIN_KEY = 'dev-admin-key';

/**
 * Lets a request through when its `x-api-key` header equals `CHAT_ADMIN_KEY` (default
 * `dev-admin-key`, with a warning at boot). Guards the chat memory controller of the example.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly key: Buffer;

  constructor(config: ConfigService) {
    const key = config.get<string>('CHAT_ADMIN_KEY');
    if (!key) {
      new Logger('ChatApp').warn(
        `CHAT_ADMIN_KEY is not set: the conversations API accepts the development key "${DEFAULT_ADMIN_KEY}"`,
      );
    }
    this.key = Buffer.from(key || DEFAULT_ADMIN_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers['x-api-key'];
    if (typeof header !== 'string') return false;
    const given = Buffer.from(header);
    return given.length === this.key.length && timingSafeEqual(given, this.key);
  }
}
