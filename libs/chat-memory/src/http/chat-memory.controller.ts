import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Logger,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { DEFAULT_CHAT_MEMORY_CONTROLLER_PATH, LOGGER_CONTEXT } from '../chat-memory.constants.js';
import type { ChatMessage } from '../chat-memory.interfaces.js';
import { StoreMessages } from '../chat-memory.messages.js';
import { ChatMemoryService } from '../chat-memory.service.js';
import { ChatMemoryExceptionFilter } from './chat-memory-exception.filter.js';
import type {
  ChatConversationInfo,
  ChatMemoryControllerOptions,
} from './chat-memory-controller.interfaces.js';
import { AppendChatMessageDto, ChatHistoryQueryDto } from './chat-memory.dto.js';

/** The response, as far as the controller needs it (Express and Fastify both have `header`). */
interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** Answers 403 unless `canAccess(request, conversationId)` says yes. */
class ConversationAccessGuard implements CanActivate {
  constructor(private readonly canAccess: NonNullable<ChatMemoryControllerOptions['canAccess']>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ params?: Record<string, string> }>();
    const conversationId = request.params?.conversationId ?? '';
    if (!(await this.canAccess(request, conversationId))) {
      throw new ForbiddenException('You may not access this conversation');
    }
    return true;
  }
}

/** @internal Builds the controller class for the given options. */
export function createChatMemoryController(options: ChatMemoryControllerOptions): Type<unknown> {
  const path = options.path ?? DEFAULT_CHAT_MEMORY_CONTROLLER_PATH;
  const guards: (Type<CanActivate> | CanActivate)[] = [...(options.guards ?? [])];
  if (options.canAccess) guards.push(new ConversationAccessGuard(options.canAccess));
  const unguarded = guards.length === 0;

  @Controller(path)
  @UseGuards(...guards)
  // Validated here, so it works without a global ValidationPipe.
  @UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
  @UseFilters(ChatMemoryExceptionFilter)
  class ChatMemoryController implements OnModuleInit {
    constructor(@Inject(ChatMemoryService) private readonly memory: ChatMemoryService) {}

    onModuleInit(): void {
      if (unguarded) {
        new Logger(LOGGER_CONTEXT).warn(StoreMessages.unguardedController(path));
      }
    }

    /** `{ conversationId, count, ttlSeconds }`. */
    @Get(':conversationId')
    async info(@Param('conversationId') conversationId: string): Promise<ChatConversationInfo> {
      const [count, ttlSeconds] = await Promise.all([
        this.memory.count(conversationId),
        this.memory.getTtl(conversationId),
      ]);
      return { conversationId, count, ttlSeconds };
    }

    /**
     * The history, oldest first. With `?limit=` and/or `?before=<message id>`, a page (default 50
     * messages) and, when older messages exist, a `Link: <...>; rel="next"` header to them.
     */
    @Get(':conversationId/messages')
    async messages(
      @Param('conversationId') conversationId: string,
      @Query() query: ChatHistoryQueryDto,
      @Res({ passthrough: true }) reply: HeaderReply,
    ): Promise<ChatMessage[]> {
      if (query.limit === undefined && query.before === undefined) {
        return this.memory.getHistory(conversationId);
      }
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      const page = await this.memory.getHistoryPage(conversationId, {
        limit,
        before: query.before,
      });
      if (page.nextBefore !== null) {
        const next = new URLSearchParams({ limit: String(limit ?? 50), before: page.nextBefore });
        reply.header('Link', `<./messages?${next.toString()}>; rel="next"`);
      }
      return page.messages;
    }

    /** Appends one message; answers 201 with it as stored (with its `id` and `createdAt`). */
    @Post(':conversationId/messages')
    @HttpCode(HttpStatus.CREATED)
    async append(
      @Param('conversationId') conversationId: string,
      @Body() body: AppendChatMessageDto,
    ): Promise<ChatMessage> {
      // A plain object: the DTO instance would carry no class-specific behaviour worth storing.
      const [stored] = await this.memory.append(conversationId, { ...body });
      return stored;
    }

    /** Deletes the conversation; answers 204. */
    @Delete(':conversationId')
    @HttpCode(HttpStatus.NO_CONTENT)
    async clear(@Param('conversationId') conversationId: string): Promise<void> {
      await this.memory.clear(conversationId);
    }
  }
  return ChatMemoryController;
}
