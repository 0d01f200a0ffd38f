import type { ChatMessage } from 'nestjs-chat-memory';

/** Injection token of the model that writes the assistant's replies. */
export const CHAT_MODEL = Symbol('CHAT_MODEL');

/** What the chat endpoint needs from a language model: a reply given the history and the new message. */
export interface ChatModel {
  reply(history: readonly ChatMessage[], message: string): Promise<string>;
}

/**
 * A tiny deterministic stand-in for an LLM: no network, same input, same answer. It visibly
 * uses the history, so you can watch the memory work (and it works across replicas with Redis).
 */
export class LocalRecallModel implements ChatModel {
  async reply(history: readonly ChatMessage[], message: string): Promise<string> {
    const text = message.trim();
    const userTurns = history.filter((m) => m.role === 'user').map((m) => m.content);

    const name = /\bmy name is\s+([\p{L}\p{N}_-]+)/iu.exec(text);
    if (name) return `Nice to meet you, ${name[1]}! I will remember that.`;

    if (/\bwhat(?:'s| is) my name\b/i.test(text)) {
      for (let i = userTurns.length - 1; i >= 0; i--) {
        const told = /\bmy name is\s+([\p{L}\p{N}_-]+)/iu.exec(userTurns[i]);
        if (told) return `Your name is ${told[1]}.`;
      }
      return "You haven't told me your name yet (or it slid out of my memory window).";
    }

    if (/\bwhat did i (?:say|ask) first\b/i.test(text)) {
      return userTurns.length > 0
        ? `The first thing you said that I remember was: "${userTurns[0]}"`
        : 'This is the first thing you have said to me.';
    }

    if (/\bwhat did i (?:just )?(?:say|ask)\b/i.test(text)) {
      return userTurns.length > 0
        ? `You last said: "${userTurns[userTurns.length - 1]}"`
        : 'This is the first thing you have said to me.';
    }

    if (/\bhow many messages\b/i.test(text)) {
      return `I remember ${history.length} earlier message${history.length === 1 ? '' : 's'} of this conversation.`;
    }

    return `You said: "${text}". I remember ${history.length} earlier message${history.length === 1 ? '' : 's'}.`;
  }
}
