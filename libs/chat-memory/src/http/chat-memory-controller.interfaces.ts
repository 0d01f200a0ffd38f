import type { CanActivate, Type } from '@nestjs/common';

/** Options of the opt-in REST controller (`ChatMemoryModule.forRoot({ controller: {...} })`). */
export interface ChatMemoryControllerOptions {
  /** Route prefix of the controller. Default `'chat-memory/conversations'`. */
  path?: string;
  /**
   * Guards run before every route of the controller, in order (e.g. your auth guard). Guard
   * classes are instantiated in ChatMemoryModule, so their dependencies must come from global
   * modules; or pass instances. Default: none.
   */
  guards?: (Type<CanActivate> | CanActivate)[];
  /**
   * Ownership check, run after `guards`: may the caller of this request read and change this
   * conversation? `false` answers 403 Forbidden. Receives the framework request (Express or
   * Fastify). Default: none (every caller may access every conversation).
   */
  canAccess?: (request: unknown, conversationId: string) => boolean | Promise<boolean>;
}

/** What `GET /:conversationId` answers. */
export interface ChatConversationInfo {
  conversationId: string;
  /** Number of stored messages (`0` when the conversation is missing or expired). */
  count: number;
  /** Seconds until it expires; `null` when it is missing or never expires. */
  ttlSeconds: number | null;
}
