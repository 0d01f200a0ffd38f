import {
  Inject,
  Injectable,
  Logger,
  Optional,
  StreamableFile,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer, Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { Stream } from 'node:stream';
import { DEFAULT_INTERRUPTED_MARKER, LOGGER_CONTEXT } from '../chat-memory.constants.js';
import { InvalidContentError } from '../chat-memory.errors.js';
import { RecordingMessages } from '../chat-memory.messages.js';
import type { ChatMemoryService } from '../chat-memory.service.js';
import { getChatMemoryToken } from '../chat-memory.tokens.js';
import { assertConversationId, isObject } from '../chat-memory.validation.js';
import type { ChatMessageInput } from '../chat-message.interfaces.js';
import { prefetchHistory } from './conversation-history.prefetch.js';
import { oncePerInstanceName, recorderClasses, type RecorderStatus } from './recorder-classes.js';
import { assertRecordingSetup } from './recording.explorer.js';
import {
  defaultAnswer,
  defaultConversationId,
  defaultMessage,
} from './record-chat-turn.defaults.js';
import type { ChatTurnRequest, RecordChatTurnOptions } from './record-chat-turn.interfaces.js';
import { recordedHandlerOf, type RecordedHandler } from './record-chat-turn.metadata.js';
import {
  isAsyncIterable,
  recordChunks,
  recordEventStream,
  type StreamText,
  type StreamTurn,
} from './stream-recorder.js';
import { turnContextOf } from './turn-context.js';

/** One request's turn, as the interceptor records it. */
interface Turn {
  readonly request: ChatTurnRequest;
  readonly handler: RecordedHandler;
  readonly options: RecordChatTurnOptions;
  readonly memory: ChatMemoryService;
}

const isWebBody = (value: unknown): boolean =>
  (typeof Response !== 'undefined' && value instanceof Response) ||
  (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream);

/**
 * @internal The guard and interceptor behind `@RecordChatTurn()`, one class per instance name
 * (`recordChatTurnInterceptor(name)`), used as both, so Nest makes one instance of it per
 * controller module. It gets the `ChatMemoryService` of that instance by injection in the
 * controller's module, reads its per-handler options once, and reads the request the same way on
 * Express and Fastify. As a guard it reads the history for `@ConversationHistory()`; as an
 * interceptor it records the turn. When the service is not visible there, the application stops
 * at boot with an error that names the handlers.
 */
export abstract class RecordChatTurnInterceptor
  implements CanActivate, NestInterceptor, OnModuleInit, RecorderStatus
{
  protected readonly logger = new Logger(LOGGER_CONTEXT);
  /** Handlers already warned about (a warning is logged once per handler). */
  private readonly warned = new WeakSet<RecordedHandler>();

  protected constructor(
    /** The instance this interceptor records to (`undefined`: the unnamed one). */
    readonly memoryName: string | undefined,
    private readonly memory: ChatMemoryService | undefined,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    private readonly modules: ModulesContainer,
  ) {}

  /** Whether the `ChatMemoryService` of its instance was found in the controller's module. */
  get hasMemory(): boolean {
    return this.memory !== undefined;
  }

  onModuleInit(): void {
    if (!this.memory) assertRecordingSetup(this.modules, this.reflector);
  }

  /** Lets every request through, after reading the history the handler asks for. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { memory } = this;
    if (context.getType() !== 'http' || !memory) return true;
    const handler = recordedHandlerOf(this.reflector, context);
    // A class-level @RecordChatTurn() for another instance, overridden on the handler.
    if (handler.options?.memory === this.memoryName)
      await prefetchHistory(memory, handler, context);
    return true;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { memory } = this;
    if (context.getType() !== 'http' || !memory) return next.handle();
    const handler = recordedHandlerOf(this.reflector, context);
    const options = handler.options;
    // A class-level @RecordChatTurn() for another instance, overridden on the handler.
    if (!options || options.memory !== this.memoryName) return next.handle();
    const request = context.switchToHttp().getRequest<ChatTurnRequest>();
    const turnContext = turnContextOf(request);
    if (turnContext.recording) return next.handle();
    turnContext.recording = true;

    const turn: Turn = { request, handler, options, memory };
    const result$ = next.handle();
    if (handler.sse) return recordEventStream(result$, this.streamTurn(turn));
    const response: unknown = context.switchToHttp().getResponse();
    return this.recordResult(result$, turn, response);
  }

  /**
   * Records the turn; never throws. Failures, including those of the option functions, are
   * logged with the conversation id and handed to `onRecordError`.
   */
  private async record(turn: Turn, answerOf: () => unknown): Promise<void> {
    const { options, request } = turn;
    let conversationId: string | undefined;
    try {
      conversationId = (options.conversationId ?? defaultConversationId)(request);
      assertConversationId(conversationId);
      const message = (options.message ?? defaultMessage)(request);
      if (typeof message !== 'string' && !isObject(message)) {
        throw new InvalidContentError(
          RecordingMessages.noUserMessage(options.message ? 'the message option' : 'body.message'),
        );
      }
      const answer = await answerOf();
      if (typeof answer !== 'string' && !isObject(answer)) {
        throw new InvalidContentError(RecordingMessages.noAnswer());
      }
      // Checked by appendTurn: a user message, and an assistant message or assistant/tool steps.
      await turn.memory
        .forRequest(request)
        .appendTurn(
          conversationId,
          message as string | ChatMessageInput,
          answer as string | ChatMessageInput | ChatMessageInput[],
        );
    } catch (error) {
      this.logger.warn(RecordingMessages.notRecorded(conversationId, error));
      if (options.onRecordError) {
        try {
          await options.onRecordError(error, { conversationId, request });
        } catch (hookError) {
          this.logger.error(RecordingMessages.hookFailed(hookError));
        }
      }
    }
  }

  /** A plain (non-SSE) handler: its last value is the response, recorded before it is sent. */
  private recordResult(
    result$: Observable<unknown>,
    turn: Turn,
    response: unknown,
  ): Observable<unknown> {
    return new Observable((subscriber) => {
      let last: unknown;
      let hasValue = false;
      let skip = false;
      const subscription = result$.subscribe({
        next: (value) => {
          if (value instanceof StreamableFile || value instanceof Stream || isWebBody(value)) {
            this.warnOnce(turn.handler, RecordingMessages.fileBody(turn.handler.name));
            skip = true;
          } else if (isAsyncIterable(value)) {
            skip = true;
            value = recordChunks(value, this.streamTurn(turn));
          } else {
            last = value;
            hasValue = true;
          }
          subscriber.next(value);
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          if (!skip && hasValue && this.respondedItself(response, last)) {
            this.warnOnce(turn.handler, RecordingMessages.respondsItself(turn.handler.name));
            skip = true;
          }
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

  /**
   * Whether the handler sent the response itself (`@Res()` without passthrough): by the time it
   * returned, the response had gone out, or it returned the response object.
   */
  private respondedItself(response: unknown, result: unknown): boolean {
    const { httpAdapter } = this.adapterHost;
    return result === response || Boolean(httpAdapter?.isHeadersSent(response));
  }

  private streamTurn(turn: Turn): StreamTurn {
    return {
      chunk: turn.options.chunk,
      completed: (text: StreamText) => this.record(turn, () => text.finish()),
      interrupted: (text: StreamText) => {
        if ((turn.options.onDisconnect ?? 'record') === 'skip') return Promise.resolve();
        const marker = turn.options.interruptedMarker ?? DEFAULT_INTERRUPTED_MARKER;
        // The Python format has no metadata: the marker alone says it there.
        return this.record(turn, () =>
          text.interrupted(marker, turn.memory.wireFormat === 'ractogateway'),
        );
      },
    };
  }

  private warnOnce(handler: RecordedHandler, message: string): void {
    if (this.warned.has(handler)) return;
    this.warned.add(handler);
    this.logger.warn(message);
  }
}

/**
 * @internal The interceptor class of the instance named `memory`, made once per name, so that Nest
 * creates one per controller module and injects that instance's service there.
 */
export const recordChatTurnInterceptor = oncePerInstanceName(
  (memory): Type<RecordChatTurnInterceptor> => {
    @Injectable()
    class NamedRecordChatTurnInterceptor extends RecordChatTurnInterceptor {
      constructor(
        @Optional() @Inject(getChatMemoryToken(memory)) service: ChatMemoryService | undefined,
        @Inject(Reflector) reflector: Reflector,
        @Inject(HttpAdapterHost) adapterHost: HttpAdapterHost,
        @Inject(ModulesContainer) modules: ModulesContainer,
      ) {
        super(memory, service, reflector, adapterHost, modules);
      }
    }
    recorderClasses.set(memory, NamedRecordChatTurnInterceptor);
    return NamedRecordChatTurnInterceptor;
  },
);
