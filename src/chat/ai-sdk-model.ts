import { Injectable } from '@nestjs/common';
import type { ModelMessage } from 'ai';
import { messageText } from 'nestjs-chat-memory';
import { fromModelMessages, toModelMessages } from 'nestjs-chat-memory/ai-sdk';
import { ChatAgent } from './chat-agent.js';

/** What `LocalAiSdkModel.generateText()` returns: the part of the AI SDK's result the app reads. */
export interface LocalGenerateTextResult {
  /** The answer's text. */
  text: string;
  /** The messages the call added, in order: tool calls, tool results, the answer. */
  response: { messages: ModelMessage[] };
}

/**
 * The example's local agent (`ChatAgent`: `LocalRecallModel` and the calculator) behind the
 * interface of the Vercel AI SDK: it takes `ModelMessage[]` and returns the new messages as
 * `response.messages`, the way
 * `generateText({ model, tools: { calculator }, messages, stopWhen: stepCountIs(5) })` does. With
 * a real model, call `generateText` there instead (the `ai` package is then a dependency of the
 * app; this example only imports its types).
 */
@Injectable()
export class LocalAiSdkModel {
  constructor(private readonly agent: ChatAgent) {}

  async generateText({ messages }: { messages: ModelMessage[] }): Promise<LocalGenerateTextResult> {
    // The local model reads the library's messages (a real provider would convert to its own API).
    const input = fromModelMessages(messages);
    const user = input.pop();
    if (!user) throw new Error('generateText needs at least one message');
    const steps = await this.agent.run(input, user);
    return {
      text: messageText(steps[steps.length - 1]),
      response: { messages: toModelMessages(steps) },
    };
  }
}
