import { Inject, Injectable } from '@nestjs/common';
import type { ChatMessage, ChatMessageInput, ChatToolCall } from 'nestjs-chat-memory';
import { CALCULATOR_TOOL, runCalculator } from './calculator.js';
import { CHAT_MODEL, type ChatModel, type ChatToolSpec } from './chat-model.js';

/** A tool the agent can run: the `ChatToolSpec` the model sees, and the code behind it. */
export interface ChatTool extends ChatToolSpec {
  /** Runs the tool on the JSON text of a call's arguments; the result is the `tool` message. */
  run(argumentsJson: string): string | Promise<string>;
}

/** Injection token of the agent's tools (`ChatTool[]`). */
export const CHAT_TOOLS = Symbol('CHAT_TOOLS');

/** The tools of the example: a calculator. */
export const exampleTools: ChatTool[] = [
  {
    name: CALCULATOR_TOOL,
    description:
      'Evaluates an arithmetic expression ({"expression":"12 * 7"}): + - * / % ^ and parentheses.',
    run: runCalculator,
  },
];

/** Model calls of one turn, at most: a model that keeps calling tools is stopped there. */
const MAX_STEPS = 5;

/**
 * The agent loop: asks the model for the next message; when it calls tools, runs them, appends
 * their results as `tool` messages, and asks again, until the model answers. What one turn adds
 * to the conversation is all of it, in order: `[assistant (tool calls), tool, ..., assistant]`.
 */
@Injectable()
export class ChatAgent {
  constructor(
    @Inject(CHAT_MODEL) private readonly model: ChatModel,
    @Inject(CHAT_TOOLS) private readonly tools: ChatTool[],
  ) {}

  /** The steps of the turn that answers `user` after `history`; the last one is the answer. */
  async run(history: readonly ChatMessage[], user: ChatMessageInput): Promise<ChatMessageInput[]> {
    const steps: ChatMessageInput[] = [];
    for (let i = 0; i < MAX_STEPS; i++) {
      const message = await this.model.generate([...history, user, ...steps], this.tools);
      steps.push(message);
      if (!message.toolCalls?.length) return steps;
      for (const call of message.toolCalls) steps.push(await this.runTool(call));
    }
    steps.push({
      role: 'assistant',
      content: `I stopped after ${MAX_STEPS} steps without an answer.`,
    });
    return steps;
  }

  private async runTool(call: ChatToolCall): Promise<ChatMessageInput> {
    const tool = this.tools.find((t) => t.name === call.name);
    let content: string;
    try {
      content = tool ? await tool.run(call.arguments) : `Error: there is no tool "${call.name}"`;
    } catch (error) {
      content = `Error: ${error instanceof Error ? error.message : String(error)}`;
    }
    return { role: 'tool', toolCallId: call.id, name: call.name, content };
  }
}
