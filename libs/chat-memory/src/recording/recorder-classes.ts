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

/**
 * @internal Makes `make(name)` once per instance name and returns the same result afterwards: the
 * guard and interceptor classes of `@RecordChatTurn()` are one per name, so that Nest makes one
 * instance of each per controller module, injected with that instance's service.
 */
export function oncePerInstanceName<T>(
  make: (memory: string | undefined) => T,
): (memory: string | undefined) => T {
  const made = new Map<string | undefined, T>();
  return (memory) => {
    if (!made.has(memory)) made.set(memory, make(memory));
    return made.get(memory)!;
  };
}
