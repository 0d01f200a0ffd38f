/**
 * `nestjs-chat-memory/openai`: converts stored history to and from the OpenAI SDK's shapes, for
 * Chat Completions (`client.chat.completions.create`) and the Responses API
 * (`client.responses.create`). Types only are taken from `openai`; nothing here loads it.
 *
 * OpenAI-specific fields that must go back to the API (reasoning item ids and encrypted content,
 * output message and function call item ids, refusal marks, ...) are kept in
 * `providerData.openai` of the part or tool call they belong to.
 */
export {
  fromOpenAIChatCompletion,
  fromOpenAIChatMessage,
  fromOpenAIChatMessages,
  toOpenAIChatMessages,
} from './chat-completions.js';
export { fromOpenAIResponsesOutput, toOpenAIResponsesInput } from './responses.js';
export type { OpenAIHistoryOptions } from './shared.js';
