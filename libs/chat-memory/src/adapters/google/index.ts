/**
 * `nestjs-chat-memory/google`: converts stored history to and from the Gemini API's shapes in
 * `@google/genai` (`ai.models.generateContent`, `generateContentStream`, `ai.chats`). Types only
 * are taken from `@google/genai`; nothing here loads it.
 *
 * Gemini's own fields that must go back to the API (above all `thoughtSignature`) are kept in
 * `providerData.google` of the part or tool call they belong to.
 */
export { fromGeminiContent } from './from-gemini.js';
export { type GeminiHistory, toGeminiContents } from './to-gemini.js';
