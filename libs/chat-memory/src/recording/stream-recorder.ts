import { Observable } from 'rxjs';
import type { ChatMessageInput } from '../chat-message.interfaces.js';
import { defaultChunk } from './record-chat-turn.defaults.js';
import type { RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/**
 * @internal Accumulates what a stream sent, chunk by chunk: its text, and the agent steps (assistant
 * tool calls, tool results) that the `chunk` option returned as messages, in order. Text is closed
 * into an assistant message when a step follows it.
 */
export class StreamText {
  private text = '';
  private readonly steps: ChatMessageInput[] = [];
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

  /**
   * The answer: the text when no step was sent (as a string), else the steps and the text after
   * them (as messages). Throws what the `chunk` option threw, if it did.
   */
  finish(): string | ChatMessageInput[] {
    const text = this.textSoFar();
    if (this.steps.length === 0) return text;
    return text === '' ? [...this.steps] : [...this.steps, { role: 'assistant', content: text }];
  }

  /**
   * The answer of a stream the client left: what was sent, the last text followed by `marker` and
   * marked `metadata: { interrupted: true }`. A stream cut while a tool call still waited for its
   * results keeps only the steps before that call: stored open calls would refuse the
   * conversation's next turn until their results came. `plain`: the marked text alone, as a string
   * (the Python format has no metadata).
   */
  interrupted(marker: string, plain: boolean): string | ChatMessageInput | ChatMessageInput[] {
    const text = this.textSoFar();
    if (plain) return `${text}${marker}`;
    const answer: ChatMessageInput = {
      role: 'assistant',
      content: `${text}${marker}`,
      metadata: { interrupted: true },
    };
    const steps = this.steps.slice(0, this.firstOpenStep());
    return steps.length === 0 ? answer : [...steps, answer];
  }

  private textSoFar(): string {
    if (this.failed) throw this.error;
    return this.text + this.decoder.decode();
  }

  /** The index of the first step with a tool call that has no result among the steps, else their count. */
  private firstOpenStep(): number {
    const answered = new Set<unknown>();
    for (const step of this.steps) if (step.toolCallId !== undefined) answered.add(step.toolCallId);
    const open = this.steps.findIndex((step) =>
      (step.toolCalls ?? []).some((call) => !answered.has(call.id)),
    );
    return open < 0 ? this.steps.length : open;
  }

  private append(value: unknown): void {
    if (this.chunk) {
      const part = this.chunk(value);
      if (typeof part === 'string') {
        this.text += part;
      } else if (part !== null && typeof part === 'object') {
        // A step: the text before it is a message of its own. appendTurn checks the step.
        const text = this.text + this.decoder.decode();
        if (text !== '') this.steps.push({ role: 'assistant', content: text });
        this.text = '';
        this.steps.push(part);
      }
    } else if (value instanceof Uint8Array) {
      this.text += this.decoder.decode(value, { stream: true });
    } else {
      this.text += defaultChunk(value) ?? '';
    }
  }
}

/** @internal How a stream's turn is stored: when it ends, and when the client leaves early. */
export interface StreamTurn {
  readonly chunk: RecordChatTurnOptions['chunk'];
  completed(text: StreamText): Promise<void>;
  interrupted(text: StreamText): Promise<void>;
}

/** @internal An `@Sse()` stream: events pass through; the turn is recorded once, when it ends. */
export function recordEventStream(
  events$: Observable<unknown>,
  turn: StreamTurn,
): Observable<unknown> {
  return new Observable((subscriber) => {
    const text = new StreamText(turn.chunk);
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
        void turn.completed(text).then(() => subscriber.complete());
      },
    });
    return () => {
      subscription.unsubscribe();
      // Unsubscribed before the end: the client went away.
      if (!settled) void turn.interrupted(text);
    };
  });
}

/** @internal A chunked (async iterable) body: passed through, recorded once it is fully read. */
export async function* recordChunks(
  source: AsyncIterable<unknown>,
  turn: StreamTurn,
): AsyncGenerator<unknown> {
  const text = new StreamText(turn.chunk);
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
    if (state === 'open') await turn.interrupted(text);
  }
  await turn.completed(text);
}

/** @internal Whether `value` is an async iterable (a chunked body). */
export const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
