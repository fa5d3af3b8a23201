/**
 * An in-memory CollectContext for collector tests: records items, errors, notes and progress;
 * `previous()` returns what the test preloads. Only the context is a double — collectors run
 * for real on real files.
 */
import { createHash } from 'node:crypto';
import type { CollectContext, Item, StoredItem } from '../../types.js';

/** A recording context. */
export class TestContext implements CollectContext {
  readonly items: Item[] = [];
  readonly errors: { key: string; message: string }[] = [];
  readonly notes: string[] = [];
  readonly debugs: string[] = [];
  readonly progressCalls: number[] = [];
  readonly prev = new Map<string, StoredItem>();
  /** Items of other plugins in this session, by plugin. */
  readonly session = new Map<string, StoredItem[]>();
  /** sha256 of stored texts. */
  readonly stored = new Set<string>();
  readonly previousSessionStartedAt: string | undefined = undefined;
  /** Keys passed to previous(), in order. */
  readonly previousAsked: string[] = [];

  constructor(readonly plugin: string) {}

  add(item: Item): void {
    this.items.push(item);
    for (const text of Object.values(item.contents ?? {})) {
      this.stored.add(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  }
  error(key: string, message: string): void {
    this.errors.push({ key, message });
  }
  previous(key: string): StoredItem | undefined {
    this.previousAsked.push(key);
    return this.prev.get(key);
  }
  sessionItems(plugin: string): Iterable<StoredItem> {
    return this.session.get(plugin) ?? [];
  }
  hasContent(sha256: string): boolean {
    return this.stored.has(sha256);
  }
  carryPrevious(): number {
    return 0;
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

  /** The item with this key, if added. */
  item(key: string): Item | undefined {
    return this.items.find((i) => i.key === key);
  }

  /** Items as another collector would see them through sessionItems. */
  asStored(): StoredItem[] {
    return this.items.map((i) => ({ key: i.key, plugin: this.plugin, attributes: i.attributes, contentHashes: {}, error: i.error ?? null }));
  }
}
