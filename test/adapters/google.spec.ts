import type { Content, GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import type { ChatMessage, ChatMessageInput } from 'nestjs-chat-memory';
import { fromGeminiContent, toGeminiContents } from 'nestjs-chat-memory/google';
import { describe, expect, it } from 'vitest';
import { googleCases, googleContentsCases, googleHistoryCases } from './fixtures/google.js';
import { validationErrors } from './validation.js';

const fromContents = (contents: readonly Content[]): ChatMessageInput[] =>
  contents.flatMap((content) => fromGeminiContent(content));

/** A history whose assistant message calls a tool with `args` as its arguments. */
const callWith = (args: string): ChatMessage[] => [
  { role: 'user', content: 'Go.' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: args }] },
];

/** A Gemini 2.5 tool turn: no ids on the call or its result, no name on the result. */
const idlessTurn = (city: string): Content[] => [
  { role: 'user', parts: [{ text: `Weather in ${city}?` }] },
  { role: 'model', parts: [{ functionCall: { name: `weather_${city}`, args: { city } } }] },
  { role: 'user', parts: [{ functionResponse: { response: { output: 'ok' } } }] },
  { role: 'model', parts: [{ text: 'Done.' }] },
];

describe('nestjs-chat-memory/google', () => {
  describe('Gemini -> ours -> Gemini', () => {
    it.each(googleContentsCases)('$name', ({ contents, stored, resent }) => {
      const messages = fromContents(contents);
      expect(messages).toEqual(stored);
      expect(validationErrors(messages)).toEqual([]);
      const request = toGeminiContents(messages);
      expect(request.systemInstruction).toBeUndefined();
      expect(request.contents).toEqual(resent ?? contents);
    });
  });

  describe('ours -> Gemini -> ours', () => {
    it.each(googleHistoryCases)('$name', ({ stored, request, back }) => {
      const sent = toGeminiContents(stored);
      expect(sent).toEqual(request);
      const messages = fromContents(sent.contents);
      expect(messages).toEqual(back ?? stored.filter((message) => message.role !== 'system'));
      expect(validationErrors(messages)).toEqual([]);
    });
  });

  it('lists the lossy cases explicitly', () => {
    expect(googleContentsCases.filter((c) => c.resent).map((c) => c.name)).toEqual([
      'lossy: a function call without args comes back with args {}',
      'lossy: text after a function call goes back before it',
      'lossy: a tool result whose output is the text of a JSON object is sent as that object',
    ]);
    expect(googleHistoryCases.filter((c) => c.back).map((c) => c.name)).toEqual([
      'system prompt, plain text; ids, createdAt, metadata and names ignored',
      'images and files; a data: URL goes as inline data',
      'tool loop with parallel calls: results merged into one user turn, names filled in',
      "reasoning parts: Gemini signature kept, another provider's data not sent",
      'legacy history: { role, content } only; a tool message without toolCallId goes as user text',
      'lossy: consecutive same-role messages merge; empty messages are left out',
      'lossy: tool JSON is re-serialized, {"output": "..."} is unwrapped, empty arguments are {}',
      'lossy: a flat providerData.thoughtSignature is sent, and read back under google',
      'tool result with an image and a tool message whose call is gone from the window',
    ]);
  });

  it('every from* output in the shared cases passes the service validation', () => {
    for (const { name, stored } of googleCases) {
      expect({ name, errors: validationErrors(stored) }).toEqual({ name, errors: [] });
    }
  });

  it('reads response.candidates[0].content, and nothing from an empty response', () => {
    const response: Pick<GenerateContentResponse, 'candidates'> = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hi.' }] }, index: 0 }],
    };
    expect(fromGeminiContent(response.candidates?.[0]?.content)).toEqual([
      { role: 'assistant', content: 'Hi.' },
    ]);
    const blocked: Pick<GenerateContentResponse, 'candidates'> = { candidates: [] };
    expect(fromGeminiContent(blocked.candidates?.[0]?.content)).toEqual([]);
    expect(fromGeminiContent({ role: 'model', parts: [] })).toEqual([]);
    expect(fromGeminiContent({ role: 'model' })).toEqual([]);
  });

  it('reads a content without a role as the model', () => {
    expect(fromGeminiContent({ parts: [{ text: 'Hi.' }] })).toEqual([
      { role: 'assistant', content: 'Hi.' },
    ]);
  });

  it('throws, naming the message, for tool call arguments Gemini cannot take', () => {
    expect(() => toGeminiContents(callWith('{"a":'))).toThrow(
      /^toGeminiContents: messages\[1\]\.toolCalls\[0\]\.arguments: not valid JSON/,
    );
    expect(() => toGeminiContents(callWith('[1, 2]'))).toThrow(
      'toGeminiContents: messages[1].toolCalls[0].arguments: not a JSON object',
    );
    expect(() => toGeminiContents(callWith('null'))).toThrow(/not a JSON object/);
  });

  it('throws, naming the part, for an unknown part type', () => {
    const history = [
      { role: 'user', content: [{ type: 'audio', data: 'x' }] },
    ] as unknown as ChatMessage[];
    expect(() => toGeminiContents(history)).toThrow(
      'toGeminiContents: messages[0].content[0].type: unknown part type "audio"',
    );
  });

  it('throws for a function call without a name', () => {
    expect(() =>
      fromGeminiContent({ role: 'model', parts: [{ functionCall: { args: {} } }] }),
    ).toThrow('fromGeminiContent: parts[0].functionCall: a function call without a name');
  });

  it('sends the latest call with a repeated made-up id', () => {
    const contents = [...idlessTurn('Paris'), ...idlessTurn('Rome')];
    const stored = fromContents(contents);
    expect(stored.filter((m) => m.role === 'tool')).toEqual([
      { role: 'tool', content: 'ok', toolCallId: 'call_0' },
      { role: 'tool', content: 'ok', toolCallId: 'call_0' },
    ]);
    // Gemini sent no names on the results: the name comes from the call with the same id.
    const resent = toGeminiContents(stored).contents;
    expect(resent[2].parts).toEqual([
      { functionResponse: { name: 'weather_Paris', response: { output: 'ok' } } },
    ]);
    expect(resent[6].parts).toEqual([
      { functionResponse: { name: 'weather_Rome', response: { output: 'ok' } } },
    ]);
  });

  it("does not read another provider's providerData as Gemini fields", () => {
    const { contents } = toGeminiContents([
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'Hi.', providerData: { openai: { id: 'msg_1' } } }],
        toolCalls: [
          { id: 'c1', name: 'f', arguments: '{}', providerData: { anthropic: { cache: true } } },
        ],
      },
    ]);
    expect(contents).toEqual([
      {
        role: 'model',
        parts: [{ text: 'Hi.' }, { functionCall: { id: 'c1', name: 'f', args: {} } }],
      },
    ]);
  });

  it('fits the request params of ai.models.generateContent (compile-time check)', () => {
    const history: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi!' },
    ];
    const { systemInstruction, contents } = toGeminiContents(history);
    const params: GenerateContentParameters = {
      model: 'gemini-3-flash-preview',
      contents,
      config: { systemInstruction },
    };
    expect(params.config?.systemInstruction).toEqual({ parts: [{ text: 'You are terse.' }] });
  });
});
