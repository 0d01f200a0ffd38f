import type { ChatContentPart, ChatToolCall, JsonObject } from '../../chat-message.interfaces.js';
import { isJsonObject, toJson } from '../common.js';

export { isJsonObject, parseDataUrl, toJson } from '../common.js';

/**
 * @internal The key under which this adapter keeps Anthropic's fields in `providerData`, so that
 * another adapter's fields are never sent to Anthropic (and the reverse).
 */
export const PROVIDER_KEY = 'anthropic';

/**
 * @internal A file uploaded through Anthropic's Files API, referenced by id: stored as the URL
 * `anthropic-file:<id>` (a part needs a `url` or `data`; a file id is neither).
 */
export const FILE_ID_SCHEME = 'anthropic-file:';

/**
 * @internal Keys of `providerData.anthropic` that this adapter uses for itself and that are not
 * fields of the block the part stands for:
 * - `block`: a whole content block with no equivalent part (server tool blocks, search results,
 *   ...), kept on an empty text part and sent back as it is;
 * - `toolResult`: on the first part of a `tool` message, the fields of the `tool_result` block
 *   itself (`is_error`, `cache_control`, `toolset_name`).
 */
export const OWN_KEYS = ['block', 'toolResult'] as const;

/** @internal The Anthropic fields kept on a part or tool call, or `undefined`. */
export function anthropicData(holder: { providerData?: JsonObject }): JsonObject | undefined {
  const value = holder.providerData?.[PROVIDER_KEY];
  return isJsonObject(value) ? value : undefined;
}

/**
 * @internal The fields of `providerData.anthropic` that belong to the block itself (everything
 * but the adapter's own keys), to spread back onto the block.
 */
export function blockFields(holder: { providerData?: JsonObject }): JsonObject {
  const data = anthropicData(holder);
  if (!data) return {};
  const fields: JsonObject = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(OWN_KEYS as readonly string[]).includes(key)) fields[key] = value;
  }
  return fields;
}

/**
 * @internal The fields of `block` other than `mapped`, as JSON, leaving out those that are `null`
 * or `undefined` (the API's way of saying "not set"; they are not sent back).
 */
export function extraFields(block: object, mapped: readonly string[]): JsonObject {
  const extra: JsonObject = {};
  for (const [key, value] of Object.entries(block)) {
    if (mapped.includes(key) || value === null || value === undefined) continue;
    extra[key] = toJson(value);
  }
  return extra;
}

/** @internal Merges `data` into `providerData.anthropic` of `target` (nothing when empty). */
export function withAnthropicData<T extends ChatContentPart | ChatToolCall>(
  target: T,
  data: JsonObject,
): T {
  if (Object.keys(data).length === 0) return target;
  const current = anthropicData(target) ?? {};
  target.providerData = { ...target.providerData, [PROVIDER_KEY]: { ...current, ...data } };
  return target;
}

/** @internal UTF-8 text as base64. */
export function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** @internal base64 as UTF-8 text. */
export function decodeBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}
