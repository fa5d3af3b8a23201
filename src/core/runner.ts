/**
 * Runs the enabled collectors into one new session. A collector's exception becomes one error
 * item and its previous items are carried, so a broken collector never reads as "everything
 * removed"; the other collectors go on.
 */
import { collectorFailure, ConfigError, messageOf } from '../errors.js';
import type { Config, PluginConfig } from '../config/config.js';
import type { SessionRow, Store } from '../store/store.js';
import type { ChainRecord } from '../store/chain.js';
import { SessionWriter } from '../store/session-writer.js';
import type { CollectContext, Collector, Item, Options, StoredItem } from '../types.js';
import type { Logger } from './logger.js';

export interface CollectResult {
  session: SessionRow;
  previous: SessionRow | undefined;
}

export interface ProgressSink {
  update(plugin: string, done: number, total?: number): void;
  stop(): void;
}

/** Enabled collectors in an order that honours `after`. */
function orderCollectors(collectors: readonly Collector[], enabled: (c: Collector) => boolean): Collector[] {
  const chosen = collectors.filter(enabled);
  const names = new Set(chosen.map((c) => c.name));
  const out: Collector[] = [];
  const placed = new Set<string>();
  const visit = (c: Collector, stack: Set<string>) => {
    if (placed.has(c.name) || stack.has(c.name)) return;
    stack.add(c.name);
    for (const dep of c.after ?? []) {
      const d = chosen.find((x) => x.name === dep);
      if (d && names.has(dep)) visit(d, stack);
    }
    placed.add(c.name);
    out.push(c);
  };
  for (const c of chosen) visit(c, new Set());
  return out;
}

/** Validate every enabled collector's options before anything is written. */
export async function initCollectors(cfg: Config, collectors: readonly Collector[]): Promise<Collector[]> {
  const ordered = orderCollectors(collectors, (c) => cfg.plugins.get(c.name)?.enabled === true);
  for (const c of ordered) {
    const pc = cfg.plugins.get(c.name)!;
    try {
      await c.init?.(pc.options, { configDir: cfg.dir, stateDir: cfg.storageDir });
    } catch (err) {
      if (err instanceof ConfigError && !err.located) throw new ConfigError(err.message, placeOf(err, c.name, pc));
      throw err;
    }
  }
  return ordered;
}

/**
 * Where a collector's own check failed: the file and line of the option it names — given as
 * `key`, or read from the `[section] key…` its message starts with — else the collector's file.
 */
function placeOf(err: ConfigError, section: string, pc: PluginConfig): { file?: string; line?: number } {
  const where = pc.where ?? {};
  let key = err.key;
  if (key === undefined) {
    const m = new RegExp(`^\\[${section.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] ([^\\s:]+)`).exec(err.message);
    if (m && Object.hasOwn(where, m[1]!)) key = m[1];
  }
  if (key !== undefined && Object.hasOwn(where, key)) return where[key]!;
  return { file: pc.file };
}

export async function collect(
  cfg: Config,
  store: Store,
  collectors: readonly Collector[],
  log: Logger,
  hostname: string,
  progress?: ProgressSink,
  opts: { full?: boolean; rescan?: boolean; sign?: (record: ChainRecord) => string; notes?: readonly string[] } = {},
): Promise<CollectResult> {
  const ordered = await initCollectors(cfg, collectors);
  const writer = new SessionWriter(store, hostname, { sign: opts.sign });
  const previous = writer.previous;
  for (const n of opts.notes ?? []) writer.note(n);
  try {
    for (const collector of ordered) {
      const options: Options = cfg.plugins.get(collector.name)!.options;
      const ctx = makeContext(collector.name, writer, store, log, progress, opts.full === true, opts.rescan === true || opts.full === true);
      const started = Date.now();
      try {
        await collector.collect(ctx, options);
      } catch (err) {
        const wrapped = collectorFailure(collector.name, err);
        log.warn(`${wrapped.message}`);
        log.debug(err instanceof Error && err.stack ? err.stack : String(err));
        const carried = writer.carry(collector.name);
        writer.add(collector.name, { key: `${collector.name}://`, attributes: {}, error: messageOf(err) });
        if (carried) writer.note(`${collector.name}: failed; its ${carried} previous items were kept for comparison`);
      }
      log.debug(`${collector.name}: done in ${Date.now() - started} ms`);
    }
    progress?.stop();
    const session = writer.finish();
    return { session, previous };
  } catch (err) {
    progress?.stop();
    writer.abort();
    throw err;
  }
}

function makeContext(
  plugin: string,
  writer: SessionWriter,
  store: Store,
  log: Logger,
  progress: ProgressSink | undefined,
  full: boolean,
  rescan: boolean,
): CollectContext {
  return {
    plugin,
    add(item: Item) {
      if (!writer.add(plugin, item)) log.debug(`${plugin}: duplicate key ${item.key} ignored`);
    },
    error(key: string, message: string) {
      writer.add(plugin, { key, attributes: {}, error: message });
    },
    previous(key: string): StoredItem | undefined {
      return writer.previousItem(key);
    },
    sessionItems(other: string, opts?: { changed?: boolean }) {
      return writer.items(other, opts?.changed ?? false);
    },
    hasContent(sha256: string) {
      return store.hasBlob(sha256);
    },
    carryPrevious(filter?: (item: StoredItem) => boolean) {
      return writer.carry(plugin, filter);
    },
    note(message: string) {
      writer.note(message);
      log.debug(`note: ${message}`);
    },
    debug(message: string) {
      log.debug(`${plugin}: ${message}`);
    },
    progress(done: number, total?: number) {
      progress?.update(plugin, done, total);
    },
    previousSessionStartedAt: writer.previous?.started_at,
    sessionId: writer.session.id,
    full,
    rescan,
    completeSessions() {
      return store.sessions().map((s) => ({ id: s.id, startedAt: s.started_at }));
    },
    shared(name: string) {
      return store.meta(name);
    },
  };
}
