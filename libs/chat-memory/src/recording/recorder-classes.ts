import type { Type } from '@nestjs/common';

/** @internal What the boot check asks of a recording interceptor. */
export interface RecorderStatus {
  /** Whether the `ChatMemoryService` of its instance was injected in its module. */
  readonly hasMemory: boolean;
}

/**
 * @internal The recording interceptor class of each instance name (`undefined`: the unnamed one),
 * made once per name by `recordChatTurnInterceptor()` and looked up by the boot check.
 */
export const recorderClasses = new Map<string | undefined, Type<RecorderStatus>>();
