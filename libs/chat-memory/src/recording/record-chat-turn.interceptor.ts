import {
  Injectable,
  Logger,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import {
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/internal.js';
import { ModuleRef, Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { Stream } from 'node:stream';
import type { ChatMemoryService } from '../chat-memory.service.js';
import { findChatMemory } from './chat-memory.lookup.js';
import {
  DEFAULT_INTERRUPTED_MARKER,
  RECORD_CHAT_TURN_METADATA,
} from './record-chat-turn.constants.js';
import {
  defaultAnswer,
  defaultChunk,
  defaultConversationId,
  defaultMessage,
} from './record-chat-turn.defaults.js';
import type { ChatTurnRequest, RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/**
 * Requests already handled: `@RecordChatTurn()` on both a class and a handler attaches the
 * interceptor twice, and the turn must be recorded once.
 */
const handledRequests = new WeakSet<object>();

/** What the interceptor needs to record one turn. */
interface Turn {
  request: ChatTurnRequest;
  options: RecordChatTurnOptions;
}

/** Accumulates the text of a stream, chunk by chunk. */
class StreamText {
  private text = '';
  private readonly decoder = new TextDecoder();
  /** An error of the `chunk` option, reported when the turn is recorded. */
  private error: unknown;
  private failed = false;

  constructor(private readonly chunk: RecordChatTurnOptions['chunk']) {}

  add(value: unknown): void {
    if (this.failed) return;
    try {
      this.append(value);
    } catch (error) {
      this.failed = true;
      this.error = error;
    }
  }

  /** The text so far; throws what the `chunk` option threw, if it did. */
  finish(): string {
    if (this.failed) throw this.error;
    return this.text + this.decoder.decode();
  }

  private append(value: unknown): void {
    if (this.chunk) {
      const text = this.chunk(value);
      if (typeof text === 'string') this.text += text;
    } else if (ArrayBuffer.isView(value)) {
      this.text += this.decoder.decode(value as Uint8Array, { stream: true });
    } else {
      this.text += defaultChunk(value) ?? '';
    }
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';

/**
 * The interceptor behind `@RecordChatTurn()`. It reads its options with the Reflector (handler
 * first, then class), reads the request the same way on Express and Fastify, and finds
 * `ChatMemoryService` in whichever module provides it, so it needs no registration of its own.
 */
@Injectable()
export class RecordChatTurnInterceptor implements NestInterceptor {
  protected readonly logger = new Logger('ChatMemory');
  private service?: ChatMemoryService;
  /** Handlers already warned about (a warning is logged once per handler). */
  private readonly warned = new WeakSet<object>();

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<ChatTurnRequest>();
    if (handledRequests.has(request)) return next.handle();
    handledRequests.add(request);
    const handler = context.getHandler();
    const options =
      this.reflector.getAllAndOverride<RecordChatTurnOptions | undefined>(
        RECORD_CHAT_TURN_METADATA,
        [handler, context.getClass()],
      ) ?? {};
    if (this.handlesResponseItself(context)) {
      this.warnOnce(handler, `${this.nameOf(context)} uses @Res(): its turns are not recorded`);
      return next.handle();
    }
    const turn: Turn = { request, options };
    const result$ = next.handle();
    return this.reflector.get<boolean>(SSE_METADATA, handler)
      ? this.recordStream(result$, turn)
      : this.recordResult(result$, turn, context);
  }

  /**
   * Records the turn; never throws. Failures, including those of the option functions, are
   * logged with the conversation id and handed to `onRecordError`.
   */
  private async record(turn: Turn, answer: () => unknown): Promise<void> {
    const { options, request } = turn;
    let conversationId: string | undefined;
    try {
      conversationId = (options.conversationId ?? defaultConversationId)(request);
      const message = (options.message ?? defaultMessage)(request);
      await this.memory().appendTurn(
        conversationId as string,
        message as string,
        answer() as string,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `Could not record the chat turn of conversation ${JSON.stringify(conversationId ?? null)}: ${reason}`,
      );
      if (options.onRecordError) {
        try {
          await options.onRecordError(error, { conversationId, request });
        } catch (hookError) {
          this.logger.error(
            `onRecordError failed: ${hookError instanceof Error ? hookError.message : String(hookError)}`,
          );
        }
      }
    }
  }

  /** A plain (non-SSE) handler: its last value is the response, recorded before it is sent. */
  private recordResult(
    result$: Observable<unknown>,
    turn: Turn,
    context: ExecutionContext,
  ): Observable<unknown> {
    return new Observable((subscriber) => {
      let last: unknown;
      let hasValue = false;
      let skip = false;
      const subscription = result$.subscribe({
        next: (value) => {
          if (value instanceof StreamableFile || value instanceof Stream || this.isWebBody(value)) {
            this.warnOnce(
              context.getHandler(),
              `${this.nameOf(context)} returns a file or stream body: its turns are not recorded`,
            );
            skip = true;
          } else if (isAsyncIterable(value)) {
            skip = true;
            value = this.recordIterable(value, turn);
          } else {
            last = value;
            hasValue = true;
          }
          subscriber.next(value);
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          if (skip || !hasValue) {
            subscriber.complete();
            return;
          }
          const answer = () => (turn.options.answer ?? defaultAnswer)(last, turn.request);
          void this.record(turn, answer).then(() => subscriber.complete());
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** An `@Sse()` handler: the events are concatenated and recorded once, when the stream ends. */
  private recordStream(events$: Observable<unknown>, turn: Turn): Observable<unknown> {
    return new Observable((subscriber) => {
      const text = new StreamText(turn.options.chunk);
      let settled = false;
      const subscription = events$.subscribe({
        next: (event) => {
          text.add(event);
          subscriber.next(event);
        },
        error: (error) => {
          settled = true;
          subscriber.error(error);
        },
        complete: () => {
          settled = true;
          void this.record(turn, () => text.finish()).then(() => subscriber.complete());
        },
      });
      return () => {
        subscription.unsubscribe();
        // Unsubscribed before the end: the client went away.
        if (!settled) void this.recordInterrupted(turn, text);
      };
    });
  }

  /** A chunked (async iterable) body: passed through, recorded once it is fully read. */
  private recordIterable(source: AsyncIterable<unknown>, turn: Turn): AsyncIterable<unknown> {
    const record = (text: StreamText) => this.record(turn, () => text.finish());
    const recordInterrupted = (text: StreamText) => this.recordInterrupted(turn, text);
    return (async function* recorded() {
      const text = new StreamText(turn.options.chunk);
      let state: 'open' | 'done' | 'failed' = 'open';
      try {
        for await (const chunk of source) {
          // Counted once handed over to be sent.
          text.add(chunk);
          yield chunk;
        }
        state = 'done';
      } catch (error) {
        // A source that fails records nothing, like a handler that throws.
        state = 'failed';
        throw error;
      } finally {
        // Returned early: the client went away.
        if (state === 'open') await recordInterrupted(text);
      }
      await record(text);
    })();
  }

  private recordInterrupted(turn: Turn, text: StreamText): Promise<void> {
    if ((turn.options.onDisconnect ?? 'record') === 'skip') return Promise.resolve();
    const marker = turn.options.interruptedMarker ?? DEFAULT_INTERRUPTED_MARKER;
    return this.record(turn, () => `${text.finish()}${marker}`);
  }

  private memory(): ChatMemoryService {
    this.service ??= findChatMemory(this.moduleRef);
    return this.service;
  }

  private handlesResponseItself(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const args: Record<string, unknown> =
      Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
    const usesResponse = Object.keys(args).some((key) => {
      const type = Number(key.split(':')[0]);
      return type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT;
    });
    return (
      usesResponse &&
      !Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, context.getClass(), handler.name)
    );
  }

  private isWebBody(value: unknown): boolean {
    return (
      (typeof Response !== 'undefined' && value instanceof Response) ||
      (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream)
    );
  }

  private warnOnce(handler: object, message: string): void {
    if (this.warned.has(handler)) return;
    this.warned.add(handler);
    this.logger.warn(message);
  }

  private nameOf(context: ExecutionContext): string {
    return `@RecordChatTurn() on ${context.getClass().name}.${context.getHandler().name}()`;
  }
}
