import type { ChatMemoryStore } from './chat-memory-store.interface.js';

interface Entry {
  items: string[];
  expiresAt: number | null;
}

/**
 * A process-local store with the same semantics as Redis (window, millisecond TTL, atomic push,
 * count, clear). For unit tests and running without Redis; not shared between replicas.
 *
 * ```ts
 * ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() })
 * ```
 */
export class InMemoryChatMemoryStore implements ChatMemoryStore {
  private readonly lists = new Map<string, Entry>();
  private lastSweep = 0;

  /** @param now clock in milliseconds, `Date.now` by default (inject a fake one in tests). */
  constructor(private readonly now: () => number = Date.now) {}

  async push(
    key: string,
    entries: readonly string[],
    maxLength: number,
    ttlMs: number | null,
  ): Promise<number> {
    const current = this.now();
    this.sweep(current);
    let entry = this.live(key, current);
    if (!entry) {
      entry = { items: [], expiresAt: null };
      this.lists.set(key, entry);
    }
    entry.items.push(...entries);
    if (entry.items.length > maxLength) entry.items.splice(0, entry.items.length - maxLength);
    if (ttlMs !== null) entry.expiresAt = current + ttlMs;
    return entry.items.length;
  }

  async range(key: string): Promise<string[]> {
    return [...(this.live(key, this.now())?.items ?? [])];
  }

  async length(key: string): Promise<number> {
    return this.live(key, this.now())?.items.length ?? 0;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key, this.now()) !== undefined;
    this.lists.delete(key);
    return existed;
  }

  async ttl(key: string): Promise<number | null> {
    const current = this.now();
    const entry = this.live(key, current);
    return entry?.expiresAt != null ? entry.expiresAt - current : null;
  }

  /** Removes every conversation. */
  clearAll(): void {
    this.lists.clear();
  }

  private live(key: string, current: number): Entry | undefined {
    const entry = this.lists.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= current) {
      this.lists.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Drops expired conversations at most once a second, so unread ones do not pile up. */
  private sweep(current: number): void {
    if (current - this.lastSweep < 1000) return;
    this.lastSweep = current;
    for (const [key, entry] of this.lists) {
      if (entry.expiresAt !== null && entry.expiresAt <= current) this.lists.delete(key);
    }
  }
}
