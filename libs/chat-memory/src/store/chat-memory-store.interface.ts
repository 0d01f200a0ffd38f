/**
 * Where conversations are kept. Each conversation is one list of serialized messages under one key.
 * Implementations must make every method atomic with respect to concurrent callers
 * (other replicas included) and keep `push` to one round trip.
 */
export interface ChatMemoryStore {
  /**
   * Appends `entries` (oldest first) to the list at `key` as one atomic step, keeps only the last
   * `maxLength` entries and, when `ttlMs` is not `null`, sets the key to expire `ttlMs` milliseconds
   * from now. Resolves to the list length afterwards.
   */
  push(
    key: string,
    entries: readonly string[],
    maxLength: number,
    ttlMs: number | null,
  ): Promise<number>;
  /** Every entry of the list at `key`, oldest first; `[]` when it does not exist or has expired. */
  range(key: string): Promise<string[]>;
  /** The number of entries at `key`; `0` when it does not exist. */
  length(key: string): Promise<number>;
  /** Deletes the list at `key`; resolves to whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Milliseconds until `key` expires; `null` when it does not exist or never expires. */
  ttl(key: string): Promise<number | null>;
}
