import { Observable } from 'rxjs';
import { defaultChunk } from './record-chat-turn.defaults.js';
import type { RecordChatTurnOptions } from './record-chat-turn.interfaces.js';

/** @internal Accumulates the text of a stream, chunk by chunk. */
export class StreamText {
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
