/**
 * `nestjs-chat-memory/anthropic`: converts stored history to and from the shapes of the
 * Anthropic Messages API in `@anthropic-ai/sdk` (`client.messages.create`, `messages.stream`).
 * Types only are taken from `@anthropic-ai/sdk`; nothing here loads it.
 *
 * Anthropic's own fields that must go back to the API (thinking signatures, redacted thinking,
 * `cache_control`, citations, server tool blocks, the `is_error` of a tool result, ...) are kept
 * in `providerData.anthropic` of the part or tool call they belong to.
 */
export { fromAnthropicMessage, fromAnthropicMessages } from './from-anthropic.js';
export { type AnthropicHistory, toAnthropicMessages } from './to-anthropic.js';
