import { createHash } from 'node:crypto';
import { messageText, type ChatMessage, type ChatMessageInput } from 'nestjs-chat-memory';
import { CALCULATOR_TOOL } from './calculator.js';
import { summaryOf } from './summary.js';

/** Injection token of the model that writes the assistant's messages. */
export const CHAT_MODEL = Symbol('CHAT_MODEL');

/** A tool as the model sees it: its name and what it does. */
export interface ChatToolSpec {
  name: string;
  description: string;
}

/**
 * What the chat endpoints need from a language model, as the chat APIs of LLMs work: given the
 * conversation so far (the history, the user's new message, then the steps of this turn), the
 * next assistant message. That is either the answer, or tool calls (`toolCalls`), which the
 * caller runs (`ChatAgent`) before it asks again with their results appended as `tool` messages.
 */
export interface ChatModel {
  generate(
    messages: readonly ChatMessage[],
    tools: readonly ChatToolSpec[],
  ): Promise<ChatMessageInput>;
}

/** One calculation found in the messages: a calculator call and its result. */
interface Calculation {
  expression: string;
  result: string;
}

/**
 * An arithmetic question: "what is 12 * 7", "how much is (3 + 4) ^ 2?", "calculate 1/8". `that`
 * or `it` in the expression stands for the previous result ("what is that + 1").
 */
const ARITHMETIC = /\b(?:what(?:'s| is)|how much is|calculate|compute|evaluate)\s+(.+?)\s*[?!.]*$/i;
const EXPRESSION = /^[\d\s.+\-*/%^()×÷]+$/;
const OPERATOR = /[+\-*/%^×÷]/;
const PREVIOUS_RESULT = /\b(?:that|it)\b/gi;
const usesPreviousResult = (text: string) => text.search(PREVIOUS_RESULT) >= 0;
const NAME = /\bmy name is\s+([\p{L}\p{N}_-]+)/iu;

const answer = (content: string): ChatMessageInput => ({ role: 'assistant', content });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A tiny deterministic stand-in for an LLM, with one tool: no network, same input, same answer.
 * It visibly uses the history, so you can watch the memory work (and it works across replicas
 * with Redis):
 *
 * - "my name is Ada", then "what is my name?"; "what did I say first?", "what did I just say?",
 *   "how many messages ...?"; anything else is echoed with the number of remembered messages.
 * - "what is 12 * 7?" (when the `calculator` tool is offered): a first message with a calculator
 *   tool call, `{"expression":"12 * 7"}`; once the caller appends the tool's result, the answer
 *   "12 * 7 = 84". "what is that + 1?" calls the calculator on the previous result it finds in
 *   the history, and "what did you calculate before?" lists the calculations stored there: tool
 *   calls and results replayed from memory.
 */
export class LocalRecallModel implements ChatModel {
  async generate(
    messages: readonly ChatMessage[],
    tools: readonly ChatToolSpec[],
  ): Promise<ChatMessageInput> {
    const last = messages.at(-1);
    if (!last) return answer('Say something, and I will remember it.');
    // The tools of this turn have run: answer with their results.
    if (last.role === 'tool') return answer(answerFromToolResults(messages));

    // A pinned summary of turns that slid out of the window (see summary.ts) comes first.
    const summary = summaryOf(messages[0]);
    const history = messages.slice(summary ? 1 : 0, -1);
    const text = messageText(last).trim();
    const userTurns = history.filter((m) => m.role === 'user').map(messageText);

    const arithmetic = ARITHMETIC.exec(text);
    if (arithmetic && tools.some((tool) => tool.name === CALCULATOR_TOOL)) {
      const call = calculatorCall(messages, arithmetic[1]);
      if (call) return call;
    }

    if (/\bwhat\b.*\b(?:calculated?|computed?)\b/i.test(text)) {
      const done = [
        ...(summary?.calculations ?? []),
        ...calculations(history).map((c) => `${c.expression} = ${c.result}`),
      ];
      return answer(
        done.length > 0
          ? `Before, I calculated ${done.join(' and ')}.`
          : "I haven't calculated anything in this conversation yet (or it slid out of my memory window).",
      );
    }

    const name = NAME.exec(text);
    if (name) return answer(`Nice to meet you, ${name[1]}! I will remember that.`);

    if (/\bwhat(?:'s| is) my name\b/i.test(text)) {
      for (let i = userTurns.length - 1; i >= 0; i--) {
        const told = NAME.exec(userTurns[i]);
        if (told) return answer(`Your name is ${told[1]}.`);
      }
      if (summary?.name)
        return answer(`Your name is ${summary.name} (from my summary of earlier turns).`);
      return answer("You haven't told me your name yet (or it slid out of my memory window).");
    }

    if (/\bwhat did i (?:say|ask) first\b/i.test(text)) {
      return answer(
        userTurns.length > 0
          ? `The first thing you said that I remember was: "${userTurns[0]}"`
          : 'This is the first thing you have said to me.',
      );
    }

    if (/\bwhat did i (?:just )?(?:say|ask)\b/i.test(text)) {
      return answer(
        userTurns.length > 0
          ? `You last said: "${userTurns[userTurns.length - 1]}"`
          : 'This is the first thing you have said to me.',
      );
    }

    if (/\bhow many messages\b/i.test(text)) {
      return answer(
        `I remember ${plural(history.length, 'earlier message')} of this conversation.`,
      );
    }

    return answer(`You said: "${text}". I remember ${plural(history.length, 'earlier message')}.`);
  }
}

/**
 * The assistant message that calls the calculator on `candidate`, with `that` / `it` replaced by
 * the previous result; an answer when there is no previous result; `undefined` when `candidate`
 * is not arithmetic.
 */
function calculatorCall(
  messages: readonly ChatMessage[],
  candidate: string,
): ChatMessageInput | undefined {
  // Arithmetic once `that` / `it` is a number?
  const shape = candidate.replace(PREVIOUS_RESULT, '1');
  if (!EXPRESSION.test(shape) || !OPERATOR.test(shape)) return undefined;
  let expression = candidate;
  if (usesPreviousResult(candidate)) {
    const previous = calculations(messages).at(-1)?.result;
    if (previous === undefined) {
      return answer(
        'I have no earlier result for "that" (nothing calculated yet, or it slid out of my memory window).',
      );
    }
    expression = candidate.replace(
      PREVIOUS_RESULT,
      previous.startsWith('-') ? `(${previous})` : previous,
    );
  }
  const args = JSON.stringify({ expression: expression.replace(/\s+/g, ' ') });
  // Deterministic: the same conversation asking the same thing gets the same id.
  const id = `call_${createHash('sha256')
    .update(JSON.stringify(messages))
    .update(args)
    .digest('hex')
    .slice(0, 24)}`;
  return {
    role: 'assistant',
    content: '',
    toolCalls: [{ id, name: CALCULATOR_TOOL, arguments: args }],
  };
}

/** The calculator calls of `messages` with their (successful) results, oldest first. */
function calculations(messages: readonly ChatMessage[]): Calculation[] {
  const expressions = new Map<string, string>();
  const found: Calculation[] = [];
  for (const message of messages) {
    for (const call of message.toolCalls ?? []) {
      const expression = calculatorExpression(call);
      if (expression !== undefined) expressions.set(call.id, expression);
    }
    if (message.role !== 'tool' || message.toolCallId === undefined) continue;
    const expression = expressions.get(message.toolCallId);
    const result = messageText(message);
    // A result whose call slid out of the window, or an error, is not a calculation to reuse.
    if (expression !== undefined && !result.startsWith('Error')) found.push({ expression, result });
  }
  return found;
}

function calculatorExpression(call: { name: string; arguments: string }): string | undefined {
  if (call.name !== CALCULATOR_TOOL) return undefined;
  try {
    const { expression } = JSON.parse(call.arguments) as { expression?: unknown };
    return typeof expression === 'string' ? expression : undefined;
  } catch {
    return undefined;
  }
}

/** The answer to the tool results at the end of `messages`, for the calls they answer. */
function answerFromToolResults(messages: readonly ChatMessage[]): string {
  const callAt = messages.findLastIndex((m) => m.role === 'assistant' && m.toolCalls?.length);
  const calls = callAt < 0 ? [] : (messages[callAt].toolCalls ?? []);
  const sentences = messages.slice(callAt + 1).map((result) => {
    const call = calls.find((c) => c.id === result.toolCallId);
    const expression = call && calculatorExpression(call);
    const text = messageText(result);
    if (expression === undefined) return `The ${result.name ?? 'tool'} said: ${text}`;
    return text.startsWith('Error')
      ? `I could not calculate ${expression}: ${text.replace(/^Error:\s*/, '')}.`
      : `${expression} = ${text}`;
  });
  return sentences.join('\n');
}
