import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type {
  ChatMemoryOperation,
  ChatMemoryOperationContext,
  ChatMemoryOperationObserver,
  ChatMemoryOperationOutcome,
  ChatMemoryTelemetry,
} from '../chat-memory.telemetry.js';

/** Options of `openTelemetry()`. */
export interface ChatMemoryOpenTelemetryOptions {
  /**
   * Put the conversation id and the owner on spans (`chat_memory.conversation.id`,
   * `chat_memory.owner`). They often identify a person, so they are left out unless you opt in.
   * Never on metrics (unbounded cardinality). Default: `false`.
   */
  includeIds?: boolean;
  /** Where spans go. Default: the global tracer provider (`trace.setGlobalTracerProvider`). */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go. Default: the global meter provider, as it is at the first call of the
   * service, so register your SDK before the app serves anything.
   */
  meterProvider?: MeterProvider;
}

/** The instrumentation scope name of the spans and metrics. */
export const CHAT_MEMORY_INSTRUMENTATION_NAME = 'nestjs-chat-memory';

/** Attribute names, in the `chat_memory.` namespace (plus OpenTelemetry's own `error.type`). */
export const ChatMemoryAttributes = {
  OPERATION: 'chat_memory.operation',
  STORE: 'chat_memory.store',
  MESSAGES_WRITTEN: 'chat_memory.messages.written',
  MESSAGES_TRIMMED: 'chat_memory.messages.trimmed',
  MESSAGES_EVICTED: 'chat_memory.messages.evicted',
  MESSAGES_RETURNED: 'chat_memory.messages.returned',
  WINDOW_SIZE: 'chat_memory.window.size',
  TOKENS_RETURNED: 'chat_memory.tokens.returned',
  CONVERSATION_ID: 'chat_memory.conversation.id',
  OWNER: 'chat_memory.owner',
  ERROR_TYPE: 'error.type',
} as const;

/** Metric names. */
export const ChatMemoryMetrics = {
  DURATION: 'chat_memory.operation.duration',
  WRITTEN: 'chat_memory.messages.written',
  TRIMMED: 'chat_memory.messages.trimmed',
  EVICTED: 'chat_memory.messages.evicted',
} as const;

/**
 * OpenTelemetry for `ChatMemoryModule`: pass it as the module's `telemetry` option.
 *
 * Every `ChatMemoryService` call makes a span named `chat_memory.<operation>` (for example
 * `chat_memory.append`) with the operation, the store kind, the messages written, trimmed and
 * evicted, the window size, the messages and tokens returned, and `error.type` on failure. Never
 * any content; ids only with `includeIds`. Metrics: `chat_memory.operation.duration` (seconds, a
 * histogram by operation, store and `error.type`) and the counters `chat_memory.messages.written`,
 * `chat_memory.messages.trimmed` (dropped from a window by a write) and
 * `chat_memory.messages.evicted` (of those, handed to `config.onEvict`).
 *
 * With no OpenTelemetry SDK registered, the API hands out no-op tracers and meters and the cost
 * is a few hundred nanoseconds per call.
 *
 * ```ts
 * import { openTelemetry } from 'nestjs-chat-memory/opentelemetry';
 *
 * ChatMemoryModule.forRoot({ url: process.env.REDIS_URL, telemetry: openTelemetry() });
 * ```
 */
export function openTelemetry(options: ChatMemoryOpenTelemetryOptions = {}): ChatMemoryTelemetry {
  return new OpenTelemetryIntegration(options);
}

/** The metric instruments, made at the first call. */
interface Instruments {
  readonly duration: Histogram;
  readonly written: Counter;
  readonly trimmed: Counter;
  readonly evicted: Counter;
}

class OpenTelemetryIntegration implements ChatMemoryTelemetry {
  private readonly tracer: Tracer;
  private readonly includeIds: boolean;
  private readonly meterProvider: MeterProvider | undefined;
  private made: Instruments | undefined;
  /** `{ operation, store }` attributes, made once per pair (they go on every span and metric). */
  private readonly labels = new Map<string, Attributes>();

  constructor(options: ChatMemoryOpenTelemetryOptions) {
    this.includeIds = options.includeIds === true;
    // The global provider is a proxy that follows an SDK registered later.
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      CHAT_MEMORY_INSTRUMENTATION_NAME,
    );
    this.meterProvider = options.meterProvider;
  }

  /** The instruments: the global meter provider has no proxy, so they are made on first use. */
  get instruments(): Instruments {
    return (this.made ??= this.makeInstruments());
  }

  private makeInstruments(): Instruments {
    const meter = (this.meterProvider ?? metrics.getMeterProvider()).getMeter(
      CHAT_MEMORY_INSTRUMENTATION_NAME,
    );
    const duration = meter.createHistogram(ChatMemoryMetrics.DURATION, {
      description: 'Duration of chat memory operations, from the call to its settled promise.',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
        ],
      },
    });
    const written = meter.createCounter(ChatMemoryMetrics.WRITTEN, {
      description: 'Messages stored (duplicates skipped by id are not counted).',
      unit: '{message}',
    });
    const trimmed = meter.createCounter(ChatMemoryMetrics.TRIMMED, {
      description: 'Messages removed from a conversation window by a write.',
      unit: '{message}',
    });
    const evicted = meter.createCounter(ChatMemoryMetrics.EVICTED, {
      description: 'Trimmed messages handed to the onEvict hook.',
      unit: '{message}',
    });
    return { duration, written, trimmed, evicted };
  }

  startOperation(
    operation: ChatMemoryOperation,
    context: ChatMemoryOperationContext,
  ): ChatMemoryOperationObserver {
    const labels = this.labelsOf(operation, context.storeKind);
    let attributes = labels;
    if (this.includeIds) {
      attributes = { ...labels };
      if (context.conversationId !== undefined) {
        attributes[ChatMemoryAttributes.CONVERSATION_ID] = context.conversationId;
      }
      if (context.owner !== null) attributes[ChatMemoryAttributes.OWNER] = context.owner;
    }
    const span = this.tracer.startSpan(`chat_memory.${operation}`, {
      kind: SpanKind.INTERNAL,
      attributes,
    });
    return new OperationObserver(this.instruments, span, labels);
  }

  private labelsOf(operation: ChatMemoryOperation, storeKind: string): Attributes {
    const name = `${operation} ${storeKind}`;
    let labels = this.labels.get(name);
    if (labels === undefined) {
      labels = Object.freeze({
        [ChatMemoryAttributes.OPERATION]: operation,
        [ChatMemoryAttributes.STORE]: storeKind,
      });
      this.labels.set(name, labels);
    }
    return labels;
  }
}

class OperationObserver implements ChatMemoryOperationObserver {
  readonly detailed: boolean;
  private readonly startedAt = performance.now();
  private ended = false;

  constructor(
    private readonly instruments: Instruments,
    private readonly span: Span,
    private readonly labels: Attributes,
  ) {
    this.detailed = span.isRecording();
  }

  end(outcome: ChatMemoryOperationOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const { labels } = this;
    const { messagesWritten, messagesTrimmed, messagesEvicted } = outcome;
    const { instruments, span } = this;
    if (this.detailed) {
      setCount(span, ChatMemoryAttributes.MESSAGES_WRITTEN, messagesWritten);
      setCount(span, ChatMemoryAttributes.MESSAGES_TRIMMED, messagesTrimmed);
      setCount(span, ChatMemoryAttributes.MESSAGES_EVICTED, messagesEvicted);
      setCount(span, ChatMemoryAttributes.MESSAGES_RETURNED, outcome.messagesReturned);
      setCount(span, ChatMemoryAttributes.WINDOW_SIZE, outcome.windowSize);
      setCount(span, ChatMemoryAttributes.TOKENS_RETURNED, outcome.tokensReturned);
    }
    span.end();
    instruments.duration.record(seconds, labels);
    if (messagesWritten) instruments.written.add(messagesWritten, labels);
    if (messagesTrimmed) instruments.trimmed.add(messagesTrimmed, labels);
    if (messagesEvicted) instruments.evicted.add(messagesEvicted, labels);
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const seconds = (performance.now() - this.startedAt) / 1000;
    // The error's class only: its message may carry ids or content.
    const type = error instanceof Error && error.name ? error.name : '_OTHER';
    this.span.setAttribute(ChatMemoryAttributes.ERROR_TYPE, type);
    this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
    this.instruments.duration.record(seconds, {
      ...this.labels,
      [ChatMemoryAttributes.ERROR_TYPE]: type,
    });
  }
}

function setCount(span: Span, name: string, value: number | undefined): void {
  if (value !== undefined) span.setAttribute(name, value);
}
