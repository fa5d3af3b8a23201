/**
 * `gather <collector>`: run one collector and print its current items without storing
 * anything, as sec-tools' `sec-gather-*` do: JSON (an object keyed by item, attributes inside),
 * text or HTML. The collectors it reads from (`after`) run first, in memory too.
 */
import { createHash } from 'node:crypto';
import { usageError } from '../errors.js';
import type { Attributes, CollectContext, Collector, Item, StoredItem } from '../types.js';
import type { CommandSpec } from './command.js';
import { formatOf, out } from './command.js';

/** A context that keeps everything in memory; nothing is stored. */
class MemoryContext implements CollectContext {
  readonly items: Item[] = [];
  readonly previousSessionStartedAt: string | undefined = undefined;
  readonly sessionId = 0;
  /** Nothing is reused: there is no previous session to reuse from. */
  readonly full = true;
  private readonly keys = new Set<string>();
  constructor(readonly plugin: string, private readonly others: Map<string, Item[]>, private readonly notes: string[], private readonly debugLog: (m: string) => void) {}
  add(item: Item): void {
    if (this.keys.has(item.key)) return;
    this.keys.add(item.key);
    this.items.push(item);
  }
  error(key: string, message: string): void {
    this.add({ key, attributes: {}, error: message });
  }
  previous(): StoredItem | undefined {
    return undefined;
  }
  *sessionItems(plugin: string): Iterable<StoredItem> {
    for (const i of this.others.get(plugin) ?? []) {
      const contentHashes: Record<string, string> = { ...(i.contentRefs ?? {}) };
      for (const [n, t] of Object.entries(i.contents ?? {})) contentHashes[n] = createHash('sha256').update(t, 'utf8').digest('hex');
      yield { key: i.key, plugin, attributes: i.attributes, contentHashes, error: i.error ?? null };
    }
  }
  hasContent(): boolean {
    return false;
  }
  carryPrevious(): number {
    return 0;
  }
  note(message: string): void {
    this.notes.push(message);
  }
  debug(message: string): void {
    this.debugLog(`${this.plugin}: ${message}`);
  }
  progress(): void {}
  completeSessions(): ReadonlyArray<{ id: number; startedAt: string }> {
    return [];
  }
}

/** Control characters as `\xNN`, so a value cannot move the cursor or retitle a terminal. */
function terminalSafe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const shown = (v: unknown) => (v === null || v === undefined ? '-' : String(v));

/** Items as the JSON object: key → attributes (and `error` when it could not be collected). */
export function itemsObject(items: readonly Item[]): Record<string, Attributes> {
  const o: Record<string, Attributes> = {};
  for (const i of items) o[i.key] = i.error ? { ...i.attributes, error: i.error } : { ...i.attributes };
  return o;
}

export function renderText(items: readonly Item[]): string {
  let s = '';
  for (const [key, attrs] of Object.entries(itemsObject(items))) {
    s += `${terminalSafe(key)}\n`;
    for (const [n, v] of Object.entries(attrs)) s += `    ${terminalSafe(n)}: ${terminalSafe(shown(v))}\n`;
  }
  return s;
}

export function renderHtml(name: string, host: string, items: readonly Item[]): string {
  const rows = Object.entries(itemsObject(items)).map(([key, attrs]) =>
    `<tr><th scope="row"><code>${html(key)}</code></th><td><dl>${Object.entries(attrs).map(([n, v]) => `<dt>${html(n)}</dt><dd>${html(shown(v))}</dd>`).join('')}</dl></td></tr>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${html(name)} on ${html(host)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:0 1em}dt{color:#57606a}dd{margin:0}</style>
</head><body><h1>${html(name)} on ${html(host)}</h1><p>${items.length} item${items.length === 1 ? '' : 's'}</p>
<table>${rows.join('\n')}</table></body></html>
`;
}

export const gatherCommand: CommandSpec = {
  name: 'gather',
  uses: [],
  positional: '<collector>',
  describe: "print a collector's current items without storing them",
  formats: ['json', 'text', 'html'],
  async run(app, args) {
    const name = String((args as { collector?: unknown }).collector ?? '');
    const byName = new Map(app.collectors.map((c) => [c.name, c]));
    const target = byName.get(name);
    if (!target) throw usageError(`unknown collector '${name}'; expected one of: ${app.collectors.map((c) => c.name).join(', ')}`);
    // The collectors it reads from first, depth first, each once.
    const order: Collector[] = [];
    const visit = (c: Collector, stack: Set<string>) => {
      if (order.includes(c) || stack.has(c.name)) return;
      stack.add(c.name);
      for (const d of c.after ?? []) {
        const dep = byName.get(d);
        if (dep && app.cfg.plugins.get(d)?.enabled) visit(dep, stack);
      }
      order.push(c);
    };
    visit(target, new Set());
    const notes: string[] = [];
    const done = new Map<string, Item[]>();
    for (const c of order) {
      const options = app.cfg.plugins.get(c.name)?.options ?? {};
      await c.init?.(options, { configDir: app.cfg.dir, stateDir: app.cfg.storageDir });
      const ctx = new MemoryContext(c.name, done, notes, (m) => app.log.debug(m));
      await c.collect(ctx, options);
      done.set(c.name, ctx.items);
    }
    const items = [...done.get(target.name)!].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const n of notes) app.log.warn(n);
    const format = formatOf(gatherCommand, args);
    if (format === 'json') out(`${JSON.stringify(itemsObject(items), null, 2)}\n`);
    else if (format === 'html') out(renderHtml(target.name, app.hostname, items));
    else out(renderText(items));
  },
};
