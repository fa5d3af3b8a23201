/**
 * The in-memory CollectContext every collector's tests use: it records items, errors, notes and
 * progress as the session writer would keep them (the first add of a key wins; an added item
 * replaces a carried one), answers `previous()` and `carryPrevious()` from the items the test
 * preloads, and makes the next session's context. Only the context is a double: collectors run
 * for real on real files and programs.
 */
import { createHash } from 'node:crypto';
import type { CollectContext, Item, StoredItem } from '../../types.js';

export class TestContext implements CollectContext {
  /** Items added with `add()`, in order (a repeated key is left out, as the writer does). */
  readonly items: Item[] = [];
  readonly errors: { key: string; message: string }[] = [];
  readonly notes: string[] = [];
  readonly debugs: string[] = [];
  readonly progressCalls: number[] = [];
  /** The previous session's items, by key. */
  readonly prev: Map<string, StoredItem>;
  /** Items of other plugins in this session, by plugin. */
  readonly session = new Map<string, StoredItem[]>();
  /** sha256 of stored texts. */
  readonly stored = new Set<string>();
  /** Keys carried from the previous session (and not replaced since). */
  readonly carried = new Set<string>();
  /** Keys passed to previous(), in order. */
  readonly previousAsked: string[] = [];
  readonly previousSessionStartedAt: string | undefined;
  /** This session's id (tests set it to pick a rehash turn). */
  sessionId = 1;
  full = false;
  /** Complete sessions the test pretends are kept, newest first. */
  sessions: { id: number; startedAt: string }[] = [];
  /** Everything this session holds by key: added items, error items and carried items. */
  private readonly byKey = new Map<string, Item>();

  constructor(
    readonly plugin: string,
    prev: ReadonlyMap<string, StoredItem> = new Map(),
  ) {
    this.prev = new Map(prev);
    this.previousSessionStartedAt = prev.size ? new Date().toISOString() : undefined;
  }

  completeSessions(): ReadonlyArray<{ id: number; startedAt: string }> {
    return this.sessions;
  }

  add(item: Item): void {
    if (!this.record(item)) return;
    this.items.push(item);
    for (const text of Object.values(item.contents ?? {})) {
      this.stored.add(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  }
  error(key: string, message: string): void {
    if (this.record({ key, attributes: {}, error: message })) this.errors.push({ key, message });
  }
  previous(key: string): StoredItem | undefined {
    this.previousAsked.push(key);
    return this.prev.get(key);
  }
  sessionItems(plugin: string, opts?: { changed?: boolean }): Iterable<StoredItem> {
    const all = this.session.get(plugin) ?? [];
    if (!opts?.changed) return all;
    return all.filter((i) => JSON.stringify(this.prev.get(i.key) ?? null) !== JSON.stringify(i));
  }
  hasContent(sha256: string): boolean {
    return this.stored.has(sha256);
  }
  carryPrevious(filter?: (item: StoredItem) => boolean): number {
    let n = 0;
    for (const p of this.prev.values()) {
      if (this.byKey.has(p.key) || (filter && !filter(p))) continue;
      this.byKey.set(p.key, { key: p.key, attributes: { ...p.attributes }, ...(p.error ? { error: p.error } : {}) });
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
  progress(done: number): void {
    this.progressCalls.push(done);
  }

  /** The item with this key as this session holds it (added, error or carried), if any. */
  item(key: string): Item | undefined {
    return this.byKey.get(key);
  }

  /** Attributes of an item of this session. */
  attrs(key: string): Record<string, unknown> | undefined {
    return this.byKey.get(key)?.attributes;
  }

  /** Whether this session holds the key. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The keys this session holds, in the order first recorded. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** How many items this session holds (added, error and carried). */
  get size(): number {
    return this.byKey.size;
  }

  /** Items as another collector would see them through sessionItems. */
  asStored(): StoredItem[] {
    return [...this.byKey.values()].map((i) => this.toStored(i));
  }

  /** The next session's context: this session's items are its previous ones. */
  next(): TestContext {
    return new TestContext(this.plugin, new Map(this.asStored().map((s) => [s.key, s])));
  }

  private toStored(i: Item): StoredItem {
    return { key: i.key, plugin: this.plugin, attributes: i.attributes, contentHashes: {}, error: i.error ?? null };
  }

  /** Keep an item unless this session already has its key (a carried one is replaced). */
  private record(item: Item): boolean {
    if (this.byKey.has(item.key) && !this.carried.has(item.key)) return false;
    this.carried.delete(item.key);
    this.byKey.set(item.key, item);
    return true;
  }
}
