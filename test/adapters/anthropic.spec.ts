import type {
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from 'nestjs-chat-memory';
import {
  fromAnthropicMessage,
  fromAnthropicMessages,
  toAnthropicMessages,
} from 'nestjs-chat-memory/anthropic';
import { describe, expect, it } from 'vitest';
import {
  anthropicCases,
  anthropicHistoryCases,
  anthropicMessagesCases,
  anthropicResponseCases,
} from './fixtures/anthropic.js';
import { validationErrors } from './validation.js';

describe('fromAnthropicMessage (a messages.create response)', () => {
  describe.each(anthropicResponseCases)('$name', ({ message, stored, resent }) => {
    it('maps the response to the stored messages', () => {
      expect(fromAnthropicMessage(message)).toStrictEqual(stored);
    });

    it('stores what it returns without a validation error', () => {
      expect(validationErrors(fromAnthropicMessage(message))).toEqual([]);
    });

    it('provider -> ours -> provider', () => {
      expect(toAnthropicMessages(fromAnthropicMessage(message))).toStrictEqual({
        messages: resent,
      });
    });

    it('ours -> provider -> ours', () => {
      expect(fromAnthropicMessages(toAnthropicMessages(stored).messages)).toStrictEqual(stored);
    });

    it('reads the response content pushed as it is into the messages of a tool loop', () => {
      const messages: MessageParam[] = [
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: message.content },
      ];
      expect(fromAnthropicMessages(messages)).toStrictEqual([
        { role: 'user', content: 'Go' },
        ...stored,
      ]);
    });
  });

  it('returns no message for a response without content', () => {
    const empty: Message = { ...anthropicResponseCases[0].message, content: [] };
    expect(fromAnthropicMessage(empty)).toEqual([]);
  });

  it('lossy: text that came after a tool call goes back before it', () => {
    const message: Message = {
      ...anthropicResponseCases[0].message,
      content: [
        { type: 'tool_use', id: 't1', name: 'f', input: {}, caller: { type: 'direct' } },
        { type: 'text', text: 'After the call.', citations: null },
      ],
    };
    expect(toAnthropicMessages(fromAnthropicMessage(message)).messages).toStrictEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'After the call.' },
          { type: 'tool_use', id: 't1', name: 'f', input: {} },
        ],
      },
    ]);
  });

  it('keeps toolset_name and citations from documents, drops null fields', () => {
    const message: Message = {
      ...anthropicResponseCases[0].message,
      content: [
        {
          type: 'text',
          text: 'Ship on Friday.',
          citations: [
            {
              type: 'char_location',
              cited_text: 'ship on Friday',
              document_index: 0,
              document_title: null,
              start_char_index: 15,
              end_char_index: 29,
              file_id: null,
            },
          ],
        },
        {
          type: 'tool_use',
          id: 't2',
          name: 'navigate',
          input: { url: 'https://example.com' },
          caller: { type: 'direct' },
          toolset_name: 'browser',
        },
        {
          type: 'tool_use',
          id: 't3',
          name: 'f',
          input: {},
          caller: { type: 'direct' },
          toolset_name: null,
        },
      ],
    };
    const stored = fromAnthropicMessage(message);
    expect(stored).toStrictEqual([
      {
        role: 'assistant',
        content: [
          {
            type: 'text',
            text: 'Ship on Friday.',
            providerData: {
              anthropic: {
                citations: [
                  {
                    type: 'char_location',
                    cited_text: 'ship on Friday',
                    document_index: 0,
                    document_title: null,
                    start_char_index: 15,
                    end_char_index: 29,
                    file_id: null,
                  },
                ],
              },
            },
          },
        ],
        toolCalls: [
          {
            id: 't2',
            name: 'navigate',
            arguments: '{"url":"https://example.com"}',
            providerData: { anthropic: { toolset_name: 'browser' } },
          },
          { id: 't3', name: 'f', arguments: '{}' },
        ],
      },
    ]);
    expect(validationErrors(stored)).toEqual([]);
    expect(toAnthropicMessages(stored).messages).toStrictEqual([
      {
        role: 'assistant',
        content: [
          message.content[0],
          {
            type: 'tool_use',
            id: 't2',
            name: 'navigate',
            input: { url: 'https://example.com' },
            toolset_name: 'browser',
          },
          { type: 'tool_use', id: 't3', name: 'f', input: {} },
        ],
      },
    ]);
  });
});

describe('fromAnthropicMessages / toAnthropicMessages (a request messages list)', () => {
  describe.each(anthropicMessagesCases)('$name', ({ messages, stored, resent, system, back }) => {
    it('maps the provider messages to the stored messages', () => {
      expect(fromAnthropicMessages(messages)).toStrictEqual(stored);
    });

    it('stores what it returns without a validation error', () => {
      expect(validationErrors(fromAnthropicMessages(messages))).toEqual([]);
    });

    it('provider -> ours -> provider', () => {
      const sent = toAnthropicMessages(fromAnthropicMessages(messages));
      expect(sent.messages).toStrictEqual(resent ?? messages);
      expect(sent.system).toStrictEqual(system);
    });

    it('ours -> provider -> ours', () => {
      expect(fromAnthropicMessages(toAnthropicMessages(stored).messages)).toStrictEqual(
        back ?? stored,
      );
    });
  });
});

describe('our history -> Anthropic -> ours', () => {
  describe.each(anthropicHistoryCases)('$name', ({ stored, system, messages, back }) => {
    it('toAnthropicMessages', () => {
      expect(toAnthropicMessages(stored)).toStrictEqual(
        system === undefined ? { messages } : { system, messages },
      );
    });

    it('fromAnthropicMessages of what was sent', () => {
      expect(fromAnthropicMessages(messages)).toStrictEqual(back);
      expect(validationErrors(back)).toEqual([]);
    });

    it('is stable from then on (what comes back is sent the same way)', () => {
      expect(toAnthropicMessages(back).messages).toStrictEqual(messages);
    });
  });

  it('leaves system out when the history has no system text', () => {
    expect(
      toAnthropicMessages([
        { role: 'system', content: '' },
        { role: 'user', content: 'Hi' },
      ]),
    ).toStrictEqual({
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect('system' in toAnthropicMessages([])).toBe(false);
  });

  it('sends a result of a call that is already answered, or of a later turn, as user text', () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      },
      { role: 'assistant', content: 'Still thinking.' },
      { role: 'user', content: 'Well?' },
      { role: 'assistant', content: 'Done.' },
      { role: 'tool', toolCallId: 'c1', content: 'late result' },
    ];
    expect(toAnthropicMessages(history).messages).toStrictEqual([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'c1', name: 'f', input: {} },
          { type: 'text', text: 'Still thinking.' },
        ],
      },
      { role: 'user', content: 'Well?' },
      { role: 'assistant', content: 'Done.' },
      { role: 'user', content: 'late result' },
    ]);
  });

  it('keeps is_error on a tool result sent from parts, and drops reasoning in tool results', () => {
    const history: ChatMessage[] = [
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":1}' }],
      },
      {
        role: 'tool',
        toolCallId: 'c1',
        content: [
          {
            type: 'text',
            text: 'Boom',
            providerData: { anthropic: { toolResult: { is_error: true } } },
          },
          { type: 'reasoning', text: 'ignored' },
          { type: 'file', data: 'JVBERi0xLjQKJSVFT0YK', mediaType: 'application/pdf' },
        ],
      },
    ];
    expect(toAnthropicMessages(history).messages[1]).toStrictEqual({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'c1',
          is_error: true,
          content: [
            { type: 'text', text: 'Boom' },
            {
              type: 'document',
              source: {
                type: 'base64',
                media_type: 'application/pdf',
                data: 'JVBERi0xLjQKJSVFT0YK',
              },
            },
          ],
        },
      ],
    });
  });

  it('ignores other providers’ providerData', () => {
    const history: ChatMessage[] = [
      {
        role: 'user',
        content: [{ type: 'text', text: 'Hi', providerData: { openai: { id: 'msg_1' } } }],
      },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'r', providerData: { openai: { id: 'rs_1' } } },
          { type: 'text', text: 'Hello', providerData: { google: { thoughtSignature: 'x' } } },
        ],
        toolCalls: [
          {
            id: 'c1',
            name: 'f',
            arguments: '{}',
            providerData: { google: { thoughtSignature: 'y' } },
          },
        ],
      },
    ];
    expect(toAnthropicMessages(history).messages).toStrictEqual([
      { role: 'user', content: 'Hi' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Hello' },
          { type: 'tool_use', id: 'c1', name: 'f', input: {} },
        ],
      },
    ]);
  });
});

describe('errors', () => {
  it('throws, naming the message and call, for arguments that are not valid JSON', () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a": 1' }],
      },
    ];
    expect(() => toAnthropicMessages(history)).toThrow(
      /^toAnthropicMessages: messages\[1\]\.toolCalls\[0\]\.arguments is not valid JSON/,
    );
  });

  it('throws for arguments that are JSON but not an object', () => {
    const history: ChatMessage[] = [
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '[1,2]' }] },
    ];
    expect(() => toAnthropicMessages(history)).toThrow(
      'toAnthropicMessages: messages[0].toolCalls[0].arguments must be the JSON text of an object, not [1,2]',
    );
  });

  it('throws, naming the part, for a file with data that is neither a PDF nor text', () => {
    const history: ChatMessage[] = [
      { role: 'user', content: [{ type: 'file', data: 'UklGRg==', mediaType: 'audio/wav' }] },
    ];
    expect(() => toAnthropicMessages(history)).toThrow(
      'toAnthropicMessages: messages[0].content[0]: Anthropic takes PDF and plain-text documents only, not "audio/wav"',
    );
  });
});

describe('fixtures', () => {
  it.each(anthropicCases)('$name: stored messages pass validation', ({ stored }) => {
    expect(validationErrors(stored)).toEqual([]);
  });
});

describe('compile-time: the output is what the SDK accepts', () => {
  it('assigns into MessageCreateParamsNonStreaming, with and without a system prompt', () => {
    for (const { stored } of anthropicHistoryCases.slice(0, 3)) {
      const { system, messages } = toAnthropicMessages(stored);
      const params: MessageCreateParamsNonStreaming = {
        model: 'm',
        max_tokens: 10,
        system,
        messages,
      };
      const spread: MessageCreateParamsNonStreaming = {
        model: 'm',
        max_tokens: 10,
        ...toAnthropicMessages(stored),
      };
      const field: MessageCreateParamsNonStreaming['messages'] = messages;
      expect(params.messages).toStrictEqual(field);
      expect(spread).toStrictEqual(JSON.parse(JSON.stringify(spread)));
    }
  });
});
