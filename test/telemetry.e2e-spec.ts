import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  ChatMemoryService,
  ChatMemoryStoreError,
  InMemoryChatMemoryStore,
  InvalidConversationIdError,
  InvalidMessageError,
  estimateTokens,
  type ChatMemoryModuleOptions,
  type ChatMemoryOperation,
  type ChatMemoryStore,
} from 'nestjs-chat-memory';
import {
  openTelemetry,
  type ChatMemoryOpenTelemetryOptions,
} from 'nestjs-chat-memory/opentelemetry';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { expectConfigError, useChatMemoryModules } from './support/modules.js';

/** A metric reader the test collects from when it wants. */
class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** An SDK of our own (not the global one): spans in memory, metrics collected on demand. */
function testSdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const span = (name: string): ReadableSpan => {
    const found = spans().filter((s) => s.name === name);
    expect(found.map((s) => s.name)).toEqual([name]);
    return found[0];
  };
  /** The data points of a metric, by name. */
  const points = async (name: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
  };
  const total = async (name: string): Promise<number> =>
    (await points(name)).reduce((sum, p) => sum + (p.value as number), 0);
  const options = (extra: ChatMemoryOpenTelemetryOptions = {}): ChatMemoryOpenTelemetryOptions => ({
    tracerProvider,
    meterProvider,
    ...extra,
  });
  return { exporter, spans, span, points, total, options };
}

const TURN_USER = 'What is 6 * 7? my secret is swordfish';
const TURN_ANSWER = 'It is 42.';

describe.each([
  ['redis', () => ({ url: redisUrl() })],
  ['memory', () => ({ store: new InMemoryChatMemoryStore() })],
] as const)('OpenTelemetry on the %s store', (storeKind, target) => {
  const boot = useChatMemoryModules(target);
  const service = async (
    sdk: ReturnType<typeof testSdk>,
    extra: ChatMemoryOpenTelemetryOptions = {},
    options: Partial<ChatMemoryModuleOptions> = {},
  ) =>
    (
      await boot({
        ...options,
        telemetry: openTelemetry(sdk.options(extra)),
        config: { keyPrefix: uniquePrefix('otel'), maxTurns: 2, ...options.config },
      })
    ).get(ChatMemoryService);

  it('makes a span per write with what it wrote and trimmed, and never content or ids', async () => {
    const sdk = testSdk();
    const memory = await service(sdk);
    for (let n = 0; n < 3; n++) await memory.appendTurn('conv-secret-1', TURN_USER, TURN_ANSWER);
    const spans = sdk.spans();
    expect(spans.map((s) => s.name)).toEqual(Array(3).fill('chat_memory.appendTurn'));
    expect(spans.map((s) => s.attributes)).toEqual([
      expect.objectContaining({
        'chat_memory.operation': 'appendTurn',
        'chat_memory.store': storeKind,
        'chat_memory.messages.written': 2,
        'chat_memory.messages.trimmed': 0,
        'chat_memory.window.size': 2,
      }),
      expect.objectContaining({ 'chat_memory.messages.trimmed': 0, 'chat_memory.window.size': 4 }),
      // maxTurns 2: the third turn pushes the first one out.
      expect.objectContaining({ 'chat_memory.messages.trimmed': 2, 'chat_memory.window.size': 4 }),
    ]);
    const everything = JSON.stringify(
      spans.map((s) => [s.name, s.attributes, s.events, s.status, s.links]),
    );
    expect(everything).not.toContain('swordfish');
    expect(everything).not.toContain('conv-secret-1');
    expect(spans.every((s) => s.status.code !== SpanStatusCode.ERROR)).toBe(true);
  });

  it('counts what the Python-compatible format trims too', async () => {
    const sdk = testSdk();
    const memory = await service(sdk, {}, { config: { wireFormat: 'ractogateway', maxTurns: 1 } });
    await memory.appendTurn('compat', 'q1', 'a1');
    await memory.appendTurn('compat', 'q2', 'a2');
    expect(sdk.spans().map((s) => s.attributes['chat_memory.messages.trimmed'])).toEqual([0, 2]);
  });

  it('puts the conversation id and the owner on spans only with includeIds', async () => {
    const sdk = testSdk();
    const memory = await service(sdk, { includeIds: true });
    await memory.forOwner('alice').append('conv-7', 'user', 'hello');
    expect(sdk.span('chat_memory.append').attributes).toMatchObject({
      'chat_memory.conversation.id': 'conv-7',
      'chat_memory.owner': 'alice',
      'chat_memory.messages.written': 1,
    });
  });

  it('gives reads the messages and tokens they returned, and the window size', async () => {
    const sdk = testSdk();
    const memory = await service(sdk, {}, { config: { maxTurns: 10 } });
    for (let n = 0; n < 4; n++) await memory.appendTurn('reads', `question ${n}`, `answer ${n}`);
    const full = await memory.getHistory('reads');
    const budgeted = await memory.getHistory('reads', { maxTokens: 20 });
    const page = await memory.getHistoryPage('reads', { limit: 3 });
    const sum = (messages: typeof full) =>
      messages.reduce((tokens, m) => tokens + estimateTokens(m), 0);
    const reads = sdk.spans().filter((s) => s.name !== 'chat_memory.appendTurn');
    expect(reads.map((s) => [s.name, s.attributes])).toEqual([
      [
        'chat_memory.getHistory',
        expect.objectContaining({
          'chat_memory.messages.returned': 8,
          'chat_memory.window.size': 8,
          'chat_memory.tokens.returned': sum(full),
        }),
      ],
      [
        'chat_memory.getHistory',
        expect.objectContaining({
          'chat_memory.messages.returned': budgeted.length,
          'chat_memory.tokens.returned': sum(budgeted),
        }),
      ],
      [
        'chat_memory.getHistoryPage',
        expect.objectContaining({
          'chat_memory.messages.returned': 3,
          'chat_memory.tokens.returned': sum(page.messages),
        }),
      ],
    ]);
    expect(budgeted.length).toBeLessThan(full.length);
    // A windowed read does not know the stored window's size, and does not claim one.
    expect(reads[1].attributes['chat_memory.window.size']).toBeUndefined();
  });

  it('marks a refused call with its error type, and writes nothing', async () => {
    const sdk = testSdk();
    const memory = await service(sdk);
    await expect(memory.append('bad id!', 'user', 'x')).rejects.toBeInstanceOf(
      InvalidConversationIdError,
    );
    await expect(
      memory.append('ok', { role: 'tool', toolCallId: 'nope', content: 'orphan' }),
    ).rejects.toBeInstanceOf(InvalidMessageError);
    expect(await memory.count('ok')).toBe(0);
    const failed = sdk.spans().filter((s) => s.name === 'chat_memory.append');
    expect(failed.map((s) => [s.status.code, s.attributes['error.type']])).toEqual([
      [SpanStatusCode.ERROR, 'InvalidConversationIdError'],
      [SpanStatusCode.ERROR, 'InvalidMessageError'],
    ]);
    // The error's message (which names the conversation) is not put on the span.
    expect(JSON.stringify(failed.map((s) => [s.status, s.events]))).not.toContain('bad id!');
  });

  it('counts messages written, trimmed and evicted, and times every operation', async () => {
    const sdk = testSdk();
    const evicted: number[] = [];
    const memory = await service(
      sdk,
      {},
      { config: { maxTurns: 1, onEvict: (_id, messages) => void evicted.push(messages.length) } },
    );
    for (let n = 0; n < 5; n++) await memory.appendTurn('counted', `q${n}`, `a${n}`);
    await memory.getHistory('counted');
    await expect(memory.clear('bad id!')).rejects.toBeInstanceOf(InvalidConversationIdError);
    expect(await sdk.total('chat_memory.messages.written')).toBe(10);
    expect(await sdk.total('chat_memory.messages.trimmed')).toBe(8);
    expect(await sdk.total('chat_memory.messages.evicted')).toBe(8);
    expect(evicted).toEqual([2, 2, 2, 2]);
    const durations = (await sdk.points('chat_memory.operation.duration')).map((p) => ({
      attributes: p.attributes,
      count: (p.value as Histogram).count,
    }));
    expect(durations).toEqual(
      expect.arrayContaining([
        {
          attributes: { 'chat_memory.operation': 'appendTurn', 'chat_memory.store': storeKind },
          count: 5,
        },
        {
          attributes: { 'chat_memory.operation': 'getHistory', 'chat_memory.store': storeKind },
          count: 1,
        },
        {
          attributes: {
            'chat_memory.operation': 'clear',
            'chat_memory.store': storeKind,
            'error.type': 'InvalidConversationIdError',
          },
          count: 1,
        },
      ]),
    );
    expect(durations).toHaveLength(3);
  });

  it('makes one span for every service call, named after it', async () => {
    const sdk = testSdk();
    const memory = await service(sdk);
    const mine = memory.forOwner('bob');
    await memory.append('a', 'user', 'hi');
    await memory.appendTurn('a', 'hi', 'hello');
    await memory.getHistory('a');
    await memory.getHistoryPage('a');
    await memory.setSystemPrompt('a', 'Be brief.');
    await memory.count('a');
    await memory.getTtl('a');
    await memory.clear('a');
    await mine.append('b', 'user', 'hi');
    await memory.listConversations('bob');
    await memory.updateConversation('bob', 'b', { title: 'Greeting' });
    await memory.deleteConversation('bob', 'b');
    await memory.deleteOwner('bob');
    const operations: ChatMemoryOperation[] = [
      'append',
      'appendTurn',
      'getHistory',
      'getHistoryPage',
      'setSystemPrompt',
      'count',
      'getTtl',
      'clear',
      'append',
      'listConversations',
      'updateConversation',
      'deleteConversation',
      'deleteOwner',
    ];
    expect(sdk.spans().map((s) => s.name)).toEqual(operations.map((op) => `chat_memory.${op}`));
    expect(sdk.spans().map((s) => s.attributes['chat_memory.operation'])).toEqual(operations);
  });
});

const refused = () => Promise.reject(new Error('connection refused'));

describe('OpenTelemetry with a store that fails', () => {
  const boot = useChatMemoryModules();
  /** A store of one's own (store kind `custom`) whose every call fails. */
  const broken: ChatMemoryStore = {
    push: refused,
    pin: refused,
    read: refused,
    range: refused,
    length: refused,
    delete: refused,
    ttl: refused,
  };

  it('ends the span as an error of type ChatMemoryStoreError', async () => {
    const sdk = testSdk();
    const memory = (await boot({ store: broken, telemetry: openTelemetry(sdk.options()) })).get(
      ChatMemoryService,
    );
    await expect(memory.append('c', 'user', 'x')).rejects.toBeInstanceOf(ChatMemoryStoreError);
    await expect(memory.getHistory('c')).rejects.toBeInstanceOf(ChatMemoryStoreError);
    expect(
      sdk
        .spans()
        .map((s) => [
          s.name,
          s.status.code,
          s.attributes['error.type'],
          s.attributes['chat_memory.store'],
        ]),
    ).toEqual([
      ['chat_memory.append', SpanStatusCode.ERROR, 'ChatMemoryStoreError', 'custom'],
      ['chat_memory.getHistory', SpanStatusCode.ERROR, 'ChatMemoryStoreError', 'custom'],
    ]);
  });
});

describe('OpenTelemetry through the global API', () => {
  const boot = useChatMemoryModules(() => ({ store: new InMemoryChatMemoryStore() }));
  afterEach(() => trace.disable());
  afterAll(() => trace.disable());

  it('records nothing and costs no error with no SDK, then follows an SDK registered later', async () => {
    const memory = (await boot({ telemetry: openTelemetry() })).get(ChatMemoryService);
    await memory.append('g', 'user', 'before any SDK');
    const sdk = testSdk();
    const exporter = sdk.exporter;
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    await memory.append('g', 'user', 'after');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat_memory.append']);
    expect(await memory.count('g')).toBe(2);
  });

  it('observes nothing without the telemetry option, even with an SDK registered', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const memory = (await boot()).get(ChatMemoryService);
    await memory.append('g', 'user', 'hello');
    expect(exporter.getFinishedSpans()).toEqual([]);
    // The control: the same SDK records our spans once the option is given.
    const observed = (await boot({ telemetry: openTelemetry() })).get(ChatMemoryService);
    await observed.append('g', 'user', 'hello');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat_memory.append']);
  });

  it('refuses a telemetry option that is not an integration, at boot', async () => {
    await expectConfigError(
      { store: new InMemoryChatMemoryStore(), telemetry: { includeIds: true } },
      'telemetry',
      /openTelemetry\(\) from nestjs-chat-memory\/opentelemetry/,
    );
  });
});
