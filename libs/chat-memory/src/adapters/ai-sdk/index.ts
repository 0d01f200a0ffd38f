/**
 * `nestjs-chat-memory/ai-sdk`: converts stored history to and from the Vercel AI SDK's message
 * types (`ModelMessage` for `generateText` / `streamText`, `UIMessage` for `useChat`). It imports
 * only types from `ai`, so it loads without the SDK installed.
 *
 * Fields the AI SDK needs back (its `providerOptions` / `providerMetadata`: reasoning signatures,
 * item ids, cache control...) and the kind of each tool output are kept in
 * `providerData.aiSdk` of the part or tool call they belong to.
 */
export {
  fromAiSdkResult,
  fromModelMessages,
  toModelMessages,
  type AiSdkResultLike,
} from './model-messages.js';
export { fromUIMessages, toUIMessages } from './ui-messages.js';
