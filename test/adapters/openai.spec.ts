import type { ChatMessage, ChatMessageInput } from 'nestjs-chat-memory';
import {
  fromOpenAIChatCompletion,
  fromOpenAIChatMessage,
  fromOpenAIChatMessages,
  fromOpenAIResponsesOutput,
  toOpenAIChatMessages,
  toOpenAIResponsesInput,
} from 'nestjs-chat-memory/openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type {
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
} from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import {
  openaiCases,
  openaiChatCompletionCases,
  openaiChatMessagesCases,
  openaiHistoryCases,
  openaiResponsesCases,
} from './fixtures/openai.js';
import { validationErrors } from './validation.js';

/** The `answer` option of `@RecordChatTurn` for a handler returning a `ChatCompletion`. */
const recordAnswer = (result: unknown): ChatMessageInput[] =>
  fromOpenAIChatCompletion(result as ChatCompletion);

/** The cases where ours -> OpenAI -> ours loses something, and what comes back instead. */
const LOSSY_BACK: Record<string, ChatMessageInput[]> = {
  'completion: web search citations (kept, not sent back)': [
    { role: 'assistant', content: [{ type: 'text', text: 'It rained in Paris today.' }] },
  ],
  'completion: audio reply (stored as its transcript)': [
    { role: 'assistant', content: [{ type: 'text', text: 'Bonjour !' }] },
  ],
};

describe('Chat Completions: fromOpenAIChatMessages / toOpenAIChatMessages', () => {
  describe.each(openaiChatMessagesCases)('$name', ({ messages, stored, resent }) => {
    it('maps the provider messages to the stored messages', () => {
      expect(fromOpenAIChatMessages(messages)).toStrictEqual(stored);
    });

    it('stores what it returns without a validation error', () => {
      expect(validationErrors(fromOpenAIChatMessages(messages))).toEqual([]);
    });

    it('provider -> ours -> provider', () => {
      expect(toOpenAIChatMessages(fromOpenAIChatMessages(messages))).toStrictEqual(
        resent ?? messages,
      );
    });

    it('ours -> provider -> ours', () => {
      expect(fromOpenAIChatMessages(toOpenAIChatMessages(stored))).toStrictEqual(stored);
    });
  });

  it('sends system messages as developer messages with systemRole: developer', () => {
    const [developerCase] = openaiChatMessagesCases.filter((c) => c.name.includes('developer'));
    expect(toOpenAIChatMessages(developerCase.stored, { systemRole: 'developer' })).toStrictEqual(
      developerCase.messages,
    );
  });

  it('reads a ChatCompletionMessage pushed as it is into the messages of a tool loop', () => {
    const reply = openaiChatCompletionCases[1].completion.choices[0].message;
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather and time?' },
      reply,
      { role: 'tool', tool_call_id: 'call_A', content: 'sunny' },
    ];
    expect(fromOpenAIChatMessages(messages)).toStrictEqual([
      { role: 'user', content: 'Weather and time?' },
      ...openaiChatCompletionCases[1].stored,
      { role: 'tool', toolCallId: 'call_A', name: 'get_weather', content: 'sunny' },
    ]);
  });

  it('drops reasoning parts (Chat Completions takes no reasoning input)', () => {
    const history: ChatMessage[] = [
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'thinking', providerData: { signature: 's' } },
          { type: 'text', text: 'Answer' },
        ],
      },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'only thinking' }] },
      {
        role: 'assistant',
        content: [{ type: 'reasoning', text: 'then a call' }],
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      },
    ];
    expect(toOpenAIChatMessages(history)).toStrictEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Answer' }] },
      { role: 'assistant', content: '' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
    ]);
  });

  it('ignores id, createdAt and metadata, and keeps names except on tool messages', () => {
    const history: ChatMessage[] = [
      {
        id: '01JGZ7Y0AAAAAAAAAAAAAAAAAA',
        createdAt: 1_767_225_600_000,
        role: 'user',
        name: 'alice',
        content: 'Hi',
        metadata: { channel: 'web' },
      },
      {
        role: 'assistant',
        name: 'bot',
        content: '',
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":1}' }],
      },
      { role: 'tool', toolCallId: 'c1', name: 'f', content: 'done' },
    ];
    expect(toOpenAIChatMessages(history)).toStrictEqual([
      { role: 'user', name: 'alice', content: 'Hi' },
      {
        role: 'assistant',
        name: 'bot',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'done' },
    ]);
  });

  it('keeps arguments as the exact text the model wrote, even when it is not valid JSON', () => {
    const args = '{"city": "Paris",}';
    const stored = fromOpenAIChatMessage({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }],
    });
    expect(stored.toolCalls?.[0].arguments).toBe(args);
    expect(toOpenAIChatMessages([stored])).toStrictEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }],
      },
    ]);
  });

  it('throws, naming the message and part, for content Chat Completions cannot take', () => {
    expect(() =>
      toOpenAIChatMessages([
        { role: 'user', content: 'x' },
        {
          role: 'system',
          content: [{ type: 'image', url: 'https://example.com/a.png' }],
        },
      ]),
    ).toThrow(/toOpenAIChatMessages: history\[1\]\.content\[0\]: .*image/);
    expect(() =>
      toOpenAIChatMessages([
        {
          role: 'user',
          content: [
            { type: 'file', url: 'https://example.com/a.pdf', mediaType: 'application/pdf' },
          ],
        },
      ]),
    ).toThrow(/history\[0\]\.content\[0\]: .*not by URL/);
    expect(() =>
      toOpenAIChatMessages([
        { role: 'tool', toolCallId: 'c1', content: [{ type: 'image', url: 'https://x/a.png' }] },
      ]),
    ).toThrow(/history\[0\]\.content\[0\]/);
  });

  it('throws for the deprecated function role, naming the message', () => {
    expect(() =>
      fromOpenAIChatMessages([
        { role: 'user', content: 'x' },
        { role: 'function', name: 'f', content: '1' },
      ]),
    ).toThrow(/fromOpenAIChatMessages: messages\[1\]/);
  });
});

describe('Chat Completions: fromOpenAIChatCompletion / fromOpenAIChatMessage', () => {
  describe.each(openaiChatCompletionCases)('$name', ({ name, completion, stored, resent }) => {
    it('maps the first choice to the stored messages', () => {
      expect(fromOpenAIChatCompletion(completion)).toStrictEqual(stored);
      expect(fromOpenAIChatMessage(completion.choices[0].message)).toStrictEqual(stored[0]);
      expect(validationErrors(stored)).toEqual([]);
    });

    it('provider -> ours -> provider', () => {
      expect(toOpenAIChatMessages(fromOpenAIChatCompletion(completion))).toStrictEqual(resent);
    });

    it('ours -> provider -> ours', () => {
      expect(fromOpenAIChatMessages(toOpenAIChatMessages(stored))).toStrictEqual(
        LOSSY_BACK[name] ?? stored,
      );
    });
  });

  it('returns no message for a response without choices', () => {
    expect(
      fromOpenAIChatCompletion({ ...openaiChatCompletionCases[0].completion, choices: [] }),
    ).toEqual([]);
  });

  it('works as the answer of @RecordChatTurn', () => {
    expect(recordAnswer(openaiChatCompletionCases[0].completion)).toStrictEqual([
      { role: 'assistant', content: 'Paris is the capital of France.' },
    ]);
  });
});

describe('Responses API: fromOpenAIResponsesOutput / toOpenAIResponsesInput', () => {
  describe.each(openaiResponsesCases)('$name', ({ items, stored, resent }) => {
    it('maps the items to the stored messages', () => {
      expect(fromOpenAIResponsesOutput(items)).toStrictEqual(stored);
      expect(validationErrors(fromOpenAIResponsesOutput(items))).toEqual([]);
    });

    it('provider -> ours -> provider', () => {
      expect(toOpenAIResponsesInput(fromOpenAIResponsesOutput(items))).toStrictEqual(
        resent ?? items,
      );
    });

    it('ours -> provider -> ours', () => {
      expect(fromOpenAIResponsesOutput(toOpenAIResponsesInput(stored))).toStrictEqual(stored);
    });
  });

  it('keeps reasoning_text content and an empty summary text apart', () => {
    const items: ResponseInputItem[] = [
      {
        type: 'reasoning',
        id: 'rs_oss',
        summary: [{ type: 'summary_text', text: '' }],
        content: [
          { type: 'reasoning_text', text: 'step 1' },
          { type: 'reasoning_text', text: 'step 2' },
        ],
      },
    ];
    const stored = fromOpenAIResponsesOutput(items);
    expect(stored).toStrictEqual([
      {
        role: 'assistant',
        content: [
          {
            type: 'reasoning',
            text: '',
            providerData: { openai: { id: 'rs_oss', type: 'summary_text' } },
          },
          {
            type: 'reasoning',
            text: 'step 1',
            providerData: { openai: { id: 'rs_oss', type: 'reasoning_text' } },
          },
          {
            type: 'reasoning',
            text: 'step 2',
            providerData: { openai: { id: 'rs_oss', type: 'reasoning_text' } },
          },
        ],
      },
    ]);
    expect(toOpenAIResponsesInput(stored)).toStrictEqual(items);
  });

  it('keeps function call namespace and caller, and drops statuses', () => {
    const items: ResponseInputItem[] = [
      {
        type: 'function_call',
        id: 'fc_n',
        call_id: 'call_n',
        name: 'lookup',
        namespace: 'crm',
        arguments: '{}',
        caller: { type: 'direct' },
        status: 'completed',
      },
    ];
    const stored = fromOpenAIResponsesOutput(items);
    expect(stored[0].toolCalls).toStrictEqual([
      {
        id: 'call_n',
        name: 'lookup',
        arguments: '{}',
        providerData: { openai: { id: 'fc_n', namespace: 'crm', caller: { type: 'direct' } } },
      },
    ]);
    const { status: _status, ...withoutStatus } = items[0] as { status?: string };
    expect(toOpenAIResponsesInput(stored)).toStrictEqual([withoutStatus]);
  });

  it('starts a new assistant message when content follows function calls', () => {
    const stored = fromOpenAIResponsesOutput([
      { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
      { type: 'reasoning', id: 'rs_2', summary: [] },
      { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{}' },
    ]);
    expect(stored).toStrictEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      {
        role: 'assistant',
        content: [{ type: 'reasoning', text: '', providerData: { openai: { id: 'rs_2' } } }],
        toolCalls: [{ id: 'c2', name: 'g', arguments: '{}' }],
      },
    ]);
  });

  it('sends system messages as developer messages with systemRole: developer', () => {
    expect(
      toOpenAIResponsesInput([{ role: 'system', content: 'Be brief.' }], {
        systemRole: 'developer',
      }),
    ).toStrictEqual([{ type: 'message', role: 'developer', content: 'Be brief.' }]);
  });

  it('lossy: drops reasoning without an OpenAI item id, splits id-less text parts', () => {
    const history: ChatMessage[] = [
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'foreign thought', providerData: { signature: 's' } },
          { type: 'text', text: 'First.' },
          { type: 'text', text: 'Second.' },
        ],
      },
    ];
    const input = toOpenAIResponsesInput(history);
    expect(input).toStrictEqual([
      { type: 'message', role: 'assistant', content: 'First.' },
      { type: 'message', role: 'assistant', content: 'Second.' },
    ]);
    expect(fromOpenAIResponsesOutput(input)).toStrictEqual([
      { role: 'assistant', content: 'First.' },
      { role: 'assistant', content: 'Second.' },
    ]);
  });

  it('throws, naming the message and part, for an image in an assistant message', () => {
    expect(() =>
      toOpenAIResponsesInput([
        { role: 'user', content: 'draw' },
        { role: 'assistant', content: [{ type: 'image', url: 'https://example.com/a.png' }] },
      ]),
    ).toThrow(/toOpenAIResponsesInput: history\[1\]\.content\[0\]: .*image/);
  });
});

describe('our history -> OpenAI -> ours', () => {
  describe.each(openaiHistoryCases)(
    '$name',
    ({ stored, chat, chatBack, responses, responsesBack }) => {
      it('Chat Completions', () => {
        expect(toOpenAIChatMessages(stored)).toStrictEqual(chat);
        expect(fromOpenAIChatMessages(toOpenAIChatMessages(stored))).toStrictEqual(
          chatBack ?? stored,
        );
      });

      it('Responses API', () => {
        expect(toOpenAIResponsesInput(stored)).toStrictEqual(responses);
        expect(fromOpenAIResponsesOutput(toOpenAIResponsesInput(stored))).toStrictEqual(
          responsesBack ?? stored,
        );
      });
    },
  );
});

describe('fixtures', () => {
  it.each(openaiCases)('$name: stored messages pass validation', ({ stored }) => {
    expect(validationErrors(stored)).toEqual([]);
  });
});

describe('compile-time: the output is what the SDK accepts', () => {
  it('assigns into ChatCompletionCreateParamsNonStreaming and ResponseCreateParamsNonStreaming', () => {
    const history: ChatMessage[] = openaiHistoryCases[1].stored;
    const chatParams: ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-4.1',
      messages: toOpenAIChatMessages(history),
    };
    const responseParams: ResponseCreateParamsNonStreaming = {
      model: 'gpt-5',
      input: toOpenAIResponsesInput(history),
      store: false,
      include: ['reasoning.encrypted_content'],
    };
    const messages: ChatCompletionCreateParamsNonStreaming['messages'] =
      toOpenAIChatMessages(history);
    const input: ResponseCreateParamsNonStreaming['input'] = toOpenAIResponsesInput(history);
    expect(chatParams.messages).toStrictEqual(messages);
    expect(responseParams.input).toStrictEqual(input);
  });
});
