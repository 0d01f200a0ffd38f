import type { ChatContentPart, JsonObject, JsonValue } from '../chat-message.interfaces.js';

/** @internal What every adapter needs: JSON checks and copies, data URLs, content collapsing. */

/** @internal Whether `value` is a JSON object (not `null`, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** @internal A JSON copy of an SDK value: drops `undefined` keys, so the service accepts it. */
export function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** @internal `{ mediaType, data }` of a base64 `data:` URL, or `undefined` for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  return match ? { mediaType: match[1], data: match[2] } : undefined;
}

/**
 * @internal Message content from parts: the text when it is one text part with no
 * `providerData`, `''` for no part at all, the parts otherwise.
 */
export function collapse(parts: ChatContentPart[]): string | ChatContentPart[] {
  if (parts.length === 0) return '';
  const [only] = parts;
  if (parts.length === 1 && only.type === 'text' && only.providerData === undefined) {
    return only.text;
  }
  return parts;
}
