import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  Req,
  UnauthorizedException,
  HttpCode,
  HttpStatus,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Patch,
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
import {
  AppendChatMessageDto,
  ChatHistoryQueryDto,
  ChatListQueryDto,
  UpdateChatConversationDto,
} from './chat-memory.dto.js';
import type { ChatConversationPage } from '../chat-memory.service.js';

/** The response, as far as the controller needs it (Express and Fastify both have `header`). */
interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** Answers 403 unless `canAccess(request, conversationId)` says yes. */
class ConversationAccessGuard implements CanActivate {
  constructor(private readonly canAccess: NonNullable<ChatMemoryControllerOptions['canAccess']>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ params?: Record<string, string> }>();
    const conversationId = request.params?.conversationId;
    // The collection routes (GET /, DELETE /) name no conversation: they only ever serve the
    // caller's own, through the owner resolver.
    if (conversationId === undefined) return true;
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

    /**
     * With an `owner` resolver: the service for the caller's own conversations (401 without an
     * owner). Without one: the service as it is, every conversation.
     */
    private scoped(request: unknown): ChatMemoryService {
      try {
        return this.memory.forRequest(request);
      } catch {
        throw new UnauthorizedException('No owner for this request');
      }
    }

    /** With an owner resolver, a conversation the caller does not have answers 404. */
    private notFound(conversationId: string): NotFoundException {
      return new NotFoundException(`No conversation ${JSON.stringify(conversationId)}`);
    }

    /** The caller's conversations, newest first (needs the module's `owner` resolver). */
    @Get()
    async list(
      @Req() request: unknown,
      @Query() query: ChatListQueryDto,
    ): Promise<ChatConversationPage> {
      const owner = this.scoped(request).owner;
      if (owner === null) throw new NotFoundException("Listing needs the module's owner resolver");
      return this.memory.listConversations(owner, {
        limit: query.limit === undefined ? undefined : Number(query.limit),
        cursor: query.cursor,
      });
    }

    /** Erases every conversation of the caller (needs the module's `owner` resolver). */
    @Delete()
    async erase(@Req() request: unknown): Promise<{ deleted: number }> {
      const owner = this.scoped(request).owner;
      if (owner === null) throw new NotFoundException("Erasing needs the module's owner resolver");
      return { deleted: await this.memory.deleteOwner(owner) };
    }

    /** `{ conversationId, count, ttlSeconds }`. */
    @Get(':conversationId')
    async info(
      @Param('conversationId') conversationId: string,
      @Req() request: unknown,
    ): Promise<ChatConversationInfo> {
      const memory = this.scoped(request);
      const [count, ttlSeconds] = await Promise.all([
        memory.count(conversationId),
        memory.getTtl(conversationId),
      ]);
      if (count === 0 && memory.owner !== null) throw this.notFound(conversationId);
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
      @Req() request: unknown,
      @Res({ passthrough: true }) reply: HeaderReply,
    ): Promise<ChatMessage[]> {
      const memory = this.scoped(request);
      if (query.limit === undefined && query.before === undefined) {
        const history = await memory.getHistory(conversationId);
        if (history.length === 0 && memory.owner !== null) throw this.notFound(conversationId);
        return history;
      }
      if (memory.owner !== null && (await memory.count(conversationId)) === 0) {
        throw this.notFound(conversationId);
      }
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      const page = await memory.getHistoryPage(conversationId, {
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
      @Req() request: unknown,
    ): Promise<ChatMessage> {
      // A plain object: the DTO instance would carry no class-specific behaviour worth storing.
      const [stored] = await this.scoped(request).append(conversationId, { ...body });
      return stored;
    }

    /** Sets the title and/or metadata of one of the caller's conversations; answers 204. */
    @Patch(':conversationId')
    @HttpCode(HttpStatus.NO_CONTENT)
    async update(
      @Param('conversationId') conversationId: string,
      @Body() body: UpdateChatConversationDto,
      @Req() request: unknown,
    ): Promise<void> {
      const owner = this.scoped(request).owner;
      if (owner === null) throw new NotFoundException("Titles need the module's owner resolver");
      const updated = await this.memory.updateConversation(owner, conversationId, {
        title: body.title,
        metadata: body.metadata,
      });
      if (!updated) throw this.notFound(conversationId);
    }

    /** Deletes the conversation; answers 204 (404 for a conversation the owner does not have). */
    @Delete(':conversationId')
    @HttpCode(HttpStatus.NO_CONTENT)
    async clear(
      @Param('conversationId') conversationId: string,
      @Req() request: unknown,
    ): Promise<void> {
      const memory = this.scoped(request);
      const existed = await memory.clear(conversationId);
      if (!existed && memory.owner !== null) throw this.notFound(conversationId);
    }
  }
  return ChatMemoryController;
}
