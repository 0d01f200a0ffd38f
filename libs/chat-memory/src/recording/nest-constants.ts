/**
 * @internal The one Nest metadata key the recording needs: `@Sse()` marks its handler with it, and
 * an SSE handler's values are sent as events rather than as one response. Nest exports it from
 * its public `constants` entry; `nest-constants.spec.ts` fails if `@Sse()` stops setting it.
 */
export { SSE_METADATA } from '@nestjs/common/constants.js';
