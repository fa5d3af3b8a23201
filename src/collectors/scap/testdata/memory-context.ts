/**
 * An in-memory CollectContext for the scap collector's tests: one session's items, errors and
 * notes, with `previous()` and `carryPrevious()` answered from the session before it. Only the
 * context is a double; oscap and the files run for real.
 */
import type { CollectContext, Item, StoredItem } from '../../../types.js';

export class MemoryContext implements CollectContext {
  readonly plugin = 'scap';
  readonly items = new Map<string, Item>();
  readonly errors: { key: string; message: string }[] = [];
  readonly notes: string[] = [];
  readonly debugs: string[] = [];
  /** Keys carried from the previous session (and not replaced since). */
  readonly carried = new Set<string>();
  readonly previousSessionStartedAt: string | undefined;

  constructor(private readonly prev: ReadonlyMap<string, StoredItem> = new Map()) {
    this.previousSessionStartedAt = prev.size ? new Date().toISOString() : undefined;
  }

  add(item: Item): void {
    // As the session writer: an added item replaces a carried one, a second add is ignored.
    if (this.items.has(item.key) && !this.carried.has(item.key)) return;
    this.carried.delete(item.key);
    this.items.set(item.key, item);
  }
  error(key: string, message: string): void {
    this.errors.push({ key, message });
    this.add({ key, attributes: {}, error: message });
  }
  previous(key: string): StoredItem | undefined {
    return this.prev.get(key);
  }
  sessionItems(): Iterable<StoredItem> {
    return [];
  }
  hasContent(): boolean {
    return false;
  }
  carryPrevious(filter?: (item: StoredItem) => boolean): number {
    let n = 0;
    for (const p of this.prev.values()) {
      if (this.items.has(p.key) || (filter && !filter(p))) continue;
      this.items.set(p.key, { key: p.key, attributes: { ...p.attributes }, ...(p.error ? { error: p.error } : {}) });
      this.carried.add(p.key);
      n++;
    }
    return n;
  }
  note(message: string): void {
    this.notes.push(message);
  }
  debug(message: string): void {
    this.debugs.push(message);
  }
  progress(): void {}

  /** Attributes of an item of this session. */
  attrs(key: string): Record<string, unknown> | undefined {
    return this.items.get(key)?.attributes;
  }

  /** The next session's context: this session's items are its previous ones. */
  next(): MemoryContext {
    const stored = new Map<string, StoredItem>();
    for (const i of this.items.values()) {
      stored.set(i.key, { key: i.key, plugin: this.plugin, attributes: i.attributes, contentHashes: {}, error: i.error ?? null });
    }
    return new MemoryContext(stored);
  }
}
