import type { JsonObject } from '../../chat-message.interfaces.js';
import { isJsonObject, parseDataUrl as parseMediaDataUrl } from '../common.js';

export { isJsonObject, toJson } from '../common.js';

/** @internal `{ mimeType, data }` of a base64 `data:` URL (Gemini's names), or `undefined`. */
export function parseDataUrl(url: string): { mimeType: string; data: string } | undefined {
  const parsed = parseMediaDataUrl(url);
  return parsed && { mimeType: parsed.mediaType, data: parsed.data };
}

/**
 * @internal The key under which this adapter keeps Gemini's fields in `providerData`
 * (`providerData.google`), so that another adapter's fields are never sent to Gemini, and the
 * reverse. It is the key the AI SDK uses for Gemini's provider options too.
 *
 * What it holds: the `Part` fields this adapter does not map (`thoughtSignature`,
 * `videoMetadata`, `mediaResolution`, `partMetadata`, ...), sent back on the part as they are;
 * and three keys of our own, never sent as `Part` fields:
 * - `idGenerated: true` on a tool call whose id the adapter made up (Gemini sent none);
 * - `displayName` on an image part (the `displayName` of its `inlineData` / `fileData`);
 * - `part` on an empty text part that stands for a Gemini part this library has no type for
 *   (`executableCode`, `codeExecutionResult`, a server-side `toolCall`, ...): the whole part.
 */
export const PROVIDER_KEY = 'google';

/** @internal Our own keys in `providerData.google` (see `PROVIDER_KEY`). */
export const OWN_KEYS: ReadonlySet<string> = new Set(['idGenerated', 'displayName', 'part']);

/** @internal The prefix of the ids made up for function calls and responses Gemini sent without one. */
export const GENERATED_ID_PREFIX = 'call_';

/**
 * @internal The Gemini fields kept on a part or tool call: `providerData.google`, or else a flat
 * `providerData.thoughtSignature` (the one Gemini key written without the namespace by some
 * code), or `undefined`.
 */
export function googleData(holder: { providerData?: JsonObject }): JsonObject | undefined {
  const data = holder.providerData;
  if (data === undefined) return undefined;
  const value = data[PROVIDER_KEY];
  if (isJsonObject(value)) return value;
  return typeof data.thoughtSignature === 'string'
    ? { thoughtSignature: data.thoughtSignature }
    : undefined;
}
