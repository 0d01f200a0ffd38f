import { generateText, stepCountIs, streamText, tool, type ModelMessage, type UIMessage } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import type { ChatMessage, ChatMessageInput, RecordChatTurnOptions } from 'nestjs-chat-memory';
import {
  fromAiSdkResult,
  fromModelMessages,
  fromUIMessages,
  toModelMessages,
  toUIMessages,
  type AiSdkResultLike,
} from 'nestjs-chat-memory/ai-sdk';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { aiSdkCases, aiSdkHistoryCases, aiSdkModelCases, aiSdkUICases } from './fixtures/ai-sdk.js';
import { validationErrors } from './validation.js';

/** What `fromModelMessages` can give back from stored messages: no `id`, no `createdAt`. */
const withoutIds = (messages: readonly ChatMessage[]): ChatMessageInput[] =>
  messages.map(({ id: _id, createdAt: _createdAt, ...rest }) => rest);

/** Usage of a mocked model call. */
const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model that calls the `weather` tool once, then answers with the tool's result. */
function weatherModel(): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: [
      {
        content: [
          {
            type: 'tool-call',
            toolCallId: 'call_1',
            toolName: 'weather',
            input: '{"city":"Paris"}',
          },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: USAGE,
        warnings: [],
      },
      {
        content: [{ type: 'text', text: 'It is 18 °C in Paris.' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: USAGE,
        warnings: [],
      },
    ],
  });
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temperature: 18 }),
});

describe('fromModelMessages / toModelMessages', () => {
  describe.each(aiSdkModelCases)('$name', ({ messages, stored, resent }) => {
    it('maps the SDK messages to the stored messages', () => {
      expect(fromModelMessages(messages)).toEqual(stored);
    });
    it('stores what it returns without a validation error', () => {
      expect(validationErrors(fromModelMessages(messages))).toEqual([]);
    });
    it('SDK -> ours -> SDK', () => {
      expect(toModelMessages(fromModelMessages(messages))).toEqual(resent ?? messages);
    });
    it('ours -> SDK -> ours', () => {
      expect(fromModelMessages(toModelMessages(stored))).toEqual(stored);
    });
  });

  it('returns plain JSON: no undefined-valued keys anywhere', () => {
    for (const { messages } of aiSdkModelCases) {
      const stored = fromModelMessages(messages);
      expect(JSON.parse(JSON.stringify(stored))).toStrictEqual(stored);
    }
  });

  it('takes the tool name from the matching call when the tool message has no name', () => {
    const history: ChatMessage[] = [
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'add', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: '3' },
      { role: 'tool', toolCallId: 'missing', content: '4' },
    ];
    const [, tools] = toModelMessages(history);
    expect(tools).toEqual({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'c1',
          toolName: 'add',
          output: { type: 'text', value: '3' },
        },
        {
          type: 'tool-result',
          toolCallId: 'missing',
          toolName: 'unknown',
          output: { type: 'text', value: '4' },
        },
      ],
    });
  });

  it('sends arguments that are not JSON as the input string', () => {
    const [assistant] = toModelMessages([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a": 1,' }],
      },
    ]);
    expect(assistant).toEqual({
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'f', input: '{"a": 1,' }],
    });
  });

  it('falls back to text when a marked json result is not JSON', () => {
    const [toolMessage] = toModelMessages([
      {
        role: 'tool',
        toolCallId: 'c1',
        name: 'f',
        content: [{ type: 'text', text: 'oops', providerData: { aiSdk: { outputType: 'json' } } }],
      },
    ]);
    expect(toolMessage).toEqual({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'c1',
          toolName: 'f',
          output: { type: 'text', value: 'oops' },
        },
      ],
    });
  });

  it('lossy: ignores id, createdAt, metadata and names; leaves reasoning out of user messages', () => {
    const history: ChatMessage[] = [
      {
        id: 'm1',
        role: 'user',
        name: 'alice',
        metadata: { a: 1 },
        createdAt: 5,
        content: [
          { type: 'reasoning', text: 'hidden' },
          { type: 'text', text: 'Hi' },
        ],
      },
      {
        role: 'system',
        content: [
          { type: 'text', text: 'A' },
          { type: 'image', url: 'https://example.com/x.png' },
          { type: 'text', text: 'B' },
        ],
      },
    ];
    expect(toModelMessages(history)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'system', content: 'AB' },
    ]);
  });

  it('lossy: separate tool messages come back merged; an empty tool output stays a content output', () => {
    const messages: ModelMessage[] = [
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'a',
            toolName: 't',
            output: { type: 'text', value: '1' },
          },
        ],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'b',
            toolName: 't',
            output: { type: 'content', value: [] },
          },
        ],
      },
    ];
    expect(toModelMessages(fromModelMessages(messages))).toEqual([
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'a',
            toolName: 't',
            output: { type: 'text', value: '1' },
          },
          {
            type: 'tool-result',
            toolCallId: 'b',
            toolName: 't',
            output: { type: 'content', value: [] },
          },
        ],
      },
    ]);
  });

  it('throws, naming the message, for an unknown role', () => {
    expect(() => toModelMessages([{ role: 'function', content: 'x' } as never])).toThrow(
      /message 0 has an unknown role "function"/,
    );
    expect(() =>
      fromModelMessages([
        { role: 'user', content: 'x' },
        { role: 'developer', content: 'x' } as never,
      ]),
    ).toThrow(/message 1 has an unknown role "developer"/);
  });
});

describe('fromUIMessages / toUIMessages', () => {
  describe.each(aiSdkUICases)('$name', ({ messages, stored, resent }) => {
    it('maps the UI messages to the stored messages', () => {
      expect(fromUIMessages(messages)).toEqual(stored);
    });
    it('stores what it returns without a validation error', () => {
      expect(validationErrors(fromUIMessages(messages))).toEqual([]);
    });
    it('UI -> ours -> UI', () => {
      expect(toUIMessages(fromUIMessages(messages))).toEqual(resent ?? messages);
    });
    it('ours -> UI -> ours', () => {
      expect(fromUIMessages(toUIMessages(stored))).toEqual(stored);
    });
  });

  it('returns plain JSON: no undefined-valued keys anywhere', () => {
    for (const { messages } of aiSdkUICases) {
      const stored = fromUIMessages(messages);
      expect(JSON.parse(JSON.stringify(stored))).toStrictEqual(stored);
    }
  });

  it('splits a turn without step-start parts where text follows a tool result', () => {
    const messages: UIMessage[] = [
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'text', text: 'Checking.' },
          {
            type: 'tool-add',
            toolCallId: 'c1',
            state: 'output-available',
            input: { a: 1, b: 2 },
            output: 3,
          },
          { type: 'text', text: 'It is 3.' },
        ],
      },
    ];
    expect(fromUIMessages(messages)).toEqual([
      {
        id: 'a1',
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [{ id: 'c1', name: 'add', arguments: '{"a":1,"b":2}' }],
      },
      {
        role: 'tool',
        toolCallId: 'c1',
        name: 'add',
        content: [{ type: 'text', text: '3', providerData: { aiSdk: { outputType: 'json' } } }],
      },
      { role: 'assistant', content: 'It is 3.' },
    ]);
  });

  it('keeps a provider-executed result in the same step as the text after it', () => {
    const messages: UIMessage[] = [
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'step-start' },
          {
            type: 'tool-web_search',
            toolCallId: 'ws',
            state: 'output-available',
            providerExecuted: true,
            input: { query: 'x' },
            output: 'results',
          },
          { type: 'text', text: 'Found.', state: 'done' },
        ],
      },
    ];
    const stored = fromUIMessages(messages);
    expect(stored).toEqual([
      {
        id: 'a1',
        role: 'assistant',
        content: 'Found.',
        toolCalls: [
          {
            id: 'ws',
            name: 'web_search',
            arguments: '{"query":"x"}',
            providerData: { aiSdk: { providerExecuted: true } },
          },
        ],
      },
      {
        role: 'tool',
        toolCallId: 'ws',
        name: 'web_search',
        content: [
          {
            type: 'text',
            text: 'results',
            providerData: { aiSdk: { outputType: 'text', providerExecuted: true } },
          },
        ],
      },
    ]);
    // Sent to the model, the result goes back into the assistant message.
    expect(toModelMessages(stored)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Found.' },
          {
            type: 'tool-call',
            toolCallId: 'ws',
            toolName: 'web_search',
            input: { query: 'x' },
            providerExecuted: true,
          },
          {
            type: 'tool-result',
            toolCallId: 'ws',
            toolName: 'web_search',
            output: { type: 'text', value: 'results' },
          },
        ],
      },
    ]);
  });

  it('lossy: drops streaming tool input, preliminary output, non-object metadata and empty turns', () => {
    const messages: UIMessage[] = [
      {
        id: 'a1',
        role: 'assistant',
        metadata: 'not an object',
        parts: [
          { type: 'step-start' },
          { type: 'tool-slow', toolCallId: 's1', state: 'input-streaming', input: { a: 1 } },
          {
            type: 'tool-gen',
            toolCallId: 'g1',
            state: 'output-available',
            input: {},
            output: 'partial',
            preliminary: true,
          },
        ],
      },
      { id: 'a2', role: 'assistant', parts: [{ type: 'step-start' }] },
    ];
    expect(fromUIMessages(messages)).toEqual([
      {
        id: 'a1',
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'g1', name: 'gen', arguments: '{}' }],
      },
    ]);
  });

  it('keeps the raw input of a failed call whose input could not be parsed', () => {
    const messages: UIMessage[] = [
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          {
            type: 'tool-f',
            toolCallId: 'f1',
            state: 'output-error',
            input: undefined,
            rawInput: '{"broken',
            errorText: 'Invalid input',
          },
        ],
      },
    ];
    expect(fromUIMessages(messages)[0].toolCalls).toEqual([
      { id: 'f1', name: 'f', arguments: '{"broken' },
    ]);
  });

  it('throws, naming the message, for something that is not a UIMessage', () => {
    expect(() => fromUIMessages([{ id: 'x', role: 'user' } as never])).toThrow(
      /message 0 is not a UIMessage/,
    );
    expect(() => fromUIMessages([{ id: 'x', role: 'tool', parts: [] } as never])).toThrow(
      /message 0 has an unknown role "tool"/,
    );
  });
});

describe('our history -> AI SDK -> ours', () => {
  describe.each(aiSdkHistoryCases)('$name', ({ stored, model, modelBack, ui, uiBack }) => {
    it('toModelMessages and back', () => {
      expect(toModelMessages(stored)).toEqual(model);
      expect(fromModelMessages(model)).toEqual(modelBack ?? withoutIds(stored));
    });
    it('toUIMessages and back', () => {
      expect(toUIMessages(stored)).toEqual(ui);
      expect(fromUIMessages(ui)).toEqual(uiBack);
    });
  });
});

describe('fromAiSdkResult', () => {
  it('returns every step of a generateText call: tool call, tool result, answer', async () => {
    const result = await generateText({
      model: weatherModel(),
      tools: { weather },
      stopWhen: stepCountIs(3),
      messages: toModelMessages([{ role: 'user', content: 'Weather in Paris?' }]),
    });
    const stored = await fromAiSdkResult(result);
    expect(stored).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' }],
      },
      {
        role: 'tool',
        toolCallId: 'call_1',
        name: 'weather',
        content: [
          {
            type: 'text',
            text: '{"city":"Paris","temperature":18}',
            providerData: { aiSdk: { outputType: 'json' } },
          },
        ],
      },
      { role: 'assistant', content: 'It is 18 °C in Paris.' },
    ]);
    expect(validationErrors(stored)).toEqual([]);
    // The next call gets the same steps back as the model saw them.
    expect(toModelMessages(stored)).toEqual(
      result.response.messages.map((message) =>
        message.role === 'assistant' &&
        Array.isArray(message.content) &&
        message.content.length === 1 &&
        message.content[0].type === 'text'
          ? { role: 'assistant', content: message.content[0].text }
          : message,
      ),
    );
  });

  it('records a tool that throws as an error-text result', async () => {
    const result = await generateText({
      model: weatherModel(),
      tools: {
        weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async (): Promise<{ temperature: number }> => {
            throw new Error('Weather service down');
          },
        }),
      },
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Paris?',
    });
    const stored = await fromAiSdkResult(result);
    expect(stored[1]).toEqual({
      role: 'tool',
      toolCallId: 'call_1',
      name: 'weather',
      content: [
        {
          type: 'text',
          text: 'Weather service down',
          providerData: { aiSdk: { outputType: 'error-text' } },
        },
      ],
    });
  });

  it('awaits the response of a streamText call', async () => {
    const model = new MockLanguageModelV3({
      doStream: {
        stream: simulateReadableStream({
          chunks: [
            { type: 'text-start', id: 't1' },
            { type: 'text-delta', id: 't1', delta: 'Hello ' },
            { type: 'text-delta', id: 't1', delta: 'there.' },
            { type: 'text-end', id: 't1' },
            {
              type: 'finish',
              finishReason: { unified: 'stop', raw: 'stop' },
              usage: USAGE,
            },
          ],
        }),
      },
    });
    const result = streamText({ model, prompt: 'Hi' });
    await result.consumeStream();
    expect(await fromAiSdkResult(result)).toEqual([{ role: 'assistant', content: 'Hello there.' }]);
  });

  it('works as the answer option of @RecordChatTurn (the result is unknown there)', async () => {
    const options: RecordChatTurnOptions = { answer: (result) => fromAiSdkResult(result) };
    const result: AiSdkResultLike = {
      response: Promise.resolve({ messages: [{ role: 'assistant', content: 'Hi' }] }),
    };
    expect(await options.answer?.(result, {})).toEqual([{ role: 'assistant', content: 'Hi' }]);
  });

  it('rejects what is not a generateText or streamText result', async () => {
    await expect(fromAiSdkResult('text')).rejects.toThrow(TypeError);
    await expect(fromAiSdkResult({ response: {} })).rejects.toThrow(/no response.messages/);
  });
});

describe('fixtures', () => {
  it.each(aiSdkCases)('$name: stored messages pass validation', ({ stored }) => {
    expect(validationErrors(stored)).toEqual([]);
  });
});

describe('compile-time: the output is what the SDK accepts', () => {
  it('assigns into the messages of generateText and into UIMessage[]', () => {
    const history: ChatMessage[] = aiSdkHistoryCases[1].stored;
    const messages: Parameters<typeof generateText>[0]['messages'] = toModelMessages(history);
    const uiMessages: UIMessage[] = toUIMessages(history);
    // A typed UIMessage (metadata, data parts, tools) is accepted by fromUIMessages.
    type MyUIMessage = UIMessage<
      { model: string },
      { progress: { percent: number } },
      { weather: { input: { city: string }; output: { temperature: number } } }
    >;
    const typed: MyUIMessage[] = [
      { id: 'u1', role: 'user', metadata: { model: 'm' }, parts: [{ type: 'text', text: 'Hi' }] },
    ];
    expect(fromUIMessages(typed)).toEqual([
      { id: 'u1', role: 'user', metadata: { model: 'm' }, content: 'Hi' },
    ]);
    expect(messages).toHaveLength(4);
    expect(uiMessages).toHaveLength(2);
  });
});
