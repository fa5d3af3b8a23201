/**
 * Report step of the `packages` collector: marks file and conffile changes that a package
 * operation explains (`explained_by`), fills `report.packages` and `summary.explained`, and
 * cross-checks with dpkg.log. Works only from stored data (both sessions' package items and
 * the verification recorded at collect time) plus dpkg.log, so a report rebuilt later for old
 * sessions gives the same answer.
 */
import type { ReportHookContext, StoredItem } from '../../types.js';
import type { Report, ReportChange } from '../../core/report-model.js';
import { encodePath } from '../../keys.js';
import { readDpkgLogWindow } from './dpkg-db.js';
import { PACKAGE_SCHEME, type PackagesOptions, VERIFY_SCHEME, packagePathOfKey, rootPrefix } from './collect.js';
import { type DpkgLogEntry, isInstalled, logTime } from './parse.js';

/** One package with an operation between the two sessions. */
interface PackageOp {
  id: string;
  name: string;
  arch: string;
  change: 'added' | 'removed' | 'changed';
  old: string | null;
  new: string | null;
  label: string;
  oldList: Set<string>;
  newList: Set<string>;
  /** Package path → `file <sha256>` / `symlink <target>` as verified at collect time. */
  verified: Map<string, { kind: string; value: string }> | undefined;
  explained: number;
}

const FILE_PLUGINS = new Set(['file', 'conffile']);

function idOf(key: string, scheme: string): string | undefined {
  const prefix = `${scheme}://`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

function byId(items: Iterable<StoredItem>, scheme: string): Map<string, StoredItem> {
  const out = new Map<string, StoredItem>();
  for (const it of items) {
    const id = idOf(it.key, scheme);
    if (id !== undefined) out.set(id, it);
  }
  return out;
}

function listOf(ctx: ReportHookContext, item: StoredItem | undefined): Set<string> {
  const sha = item?.contentHashes.files;
  const text = sha ? ctx.content(sha) : undefined;
  return new Set(text ? text.split('\n').filter(Boolean) : []);
}

function versionOf(item: StoredItem | undefined): string | null {
  if (!item || !isInstalled(String(item.attributes.status ?? ''))) return null;
  return String(item.attributes.version ?? '');
}

/**
 * The `explained_by` text: `<name>:<arch> <old> → <new>` for an upgrade or downgrade,
 * `<name>:<arch> <new> (installed)`, `<name>:<arch> <old> (removed)`, `<name>:<arch> <v> (reinstalled)`.
 */
function opLabel(id: string, old: string | null, neu: string | null): string {
  if (old === null) return `${id} ${neu} (installed)`;
  if (neu === null) return `${id} ${old} (removed)`;
  if (old === neu) return `${id} ${neu} (reinstalled)`;
  return `${id} ${old} → ${neu}`;
}

function parseVerified(text: string | undefined): Map<string, { kind: string; value: string }> {
  const out = new Map<string, { kind: string; value: string }>();
  for (const line of (text ?? '').split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0) continue;
    out.set(line.slice(b + 1), { kind: line.slice(0, a), value: line.slice(a + 1, b) });
  }
  return out;
}

export function enrichWithPackages(ctx: ReportHookContext, o: PackagesOptions): void {
  const report = ctx.report;
  const oldPkgs = byId(ctx.oldItems('packages'), PACKAGE_SCHEME);
  const newPkgs = byId(ctx.newItems('packages'), PACKAGE_SCHEME);
  const newVerify = byId(ctx.newItems('packages'), VERIFY_SCHEME);

  // Which packages had an operation: their item changed, or their verification was redone.
  const opIds = new Set<string>();
  for (const c of report.changes) {
    if (c.plugin !== 'packages') continue;
    const pid = idOf(c.key, PACKAGE_SCHEME);
    if (pid !== undefined && (c.change !== 'changed' || Object.keys(c.attributes).length > 0)) opIds.add(pid);
    const vid = idOf(c.key, VERIFY_SCHEME);
    if (vid !== undefined && c.change !== 'removed') opIds.add(vid);
  }
  // Internal verification items and file-list diffs are not for readers.
  report.changes = report.changes.filter((c) => !(c.plugin === 'packages' && c.key.startsWith(`${VERIFY_SCHEME}://`)));
  for (const c of report.changes) if (c.plugin === 'packages') delete c.diff;

  const baseline = oldPkgs.size === 0;
  const ops = new Map<string, PackageOp>();
  if (!baseline) {
    for (const id of [...opIds].sort()) {
      const oldItem = oldPkgs.get(id);
      const newItem = newPkgs.get(id);
      const old = versionOf(oldItem);
      const neu = versionOf(newItem);
      if (old === null && neu === null) continue;
      const v = newVerify.get(id);
      const verifiedNow = v && neu !== null && v.attributes.version === neu;
      const i = id.lastIndexOf(':');
      ops.set(id, {
        id,
        name: id.slice(0, i),
        arch: id.slice(i + 1),
        change: old === null ? 'added' : neu === null ? 'removed' : 'changed',
        old,
        new: neu,
        label: opLabel(id, old, neu),
        oldList: listOf(ctx, oldItem),
        newList: neu === null ? new Set() : listOf(ctx, newItem),
        verified: verifiedNow ? parseVerified(v.contentHashes.verified ? ctx.content(v.contentHashes.verified) : '') : undefined,
        explained: 0,
      });
    }
    attribute(ctx, report, ops, o);
  }

  const explained = [...ops.values()].reduce((n, p) => n + p.explained, 0);
  report.summary.explained = explained;
  if (ops.size) {
    report.packages = [...ops.values()].map((p) => ({ name: p.name, arch: p.arch, change: p.change, old: p.old, new: p.new, explained: p.explained }));
  }
  crossCheck(report, ops, o.dpkgLog);
}

/** Mark explained changes. */
function attribute(ctx: ReportHookContext, report: Report, ops: Map<string, PackageOp>, o: PackagesOptions): void {
  if (!ops.size) return;
  const encodedRoot = encodePath(rootPrefix(o.root));
  const newOwners = new Map<string, PackageOp[]>();
  const oldOwners = new Map<string, PackageOp[]>();
  for (const p of ops.values()) {
    for (const path of p.newList) (newOwners.get(path) ?? newOwners.set(path, []).get(path)!).push(p);
    for (const path of p.oldList) (oldOwners.get(path) ?? oldOwners.set(path, []).get(path)!).push(p);
  }
  const candidates: { c: ReportChange; path: string }[] = [];
  for (const c of report.changes) {
    if (!FILE_PLUGINS.has(c.plugin)) continue;
    const path = packagePathOfKey(c.key, encodedRoot);
    if (path !== undefined && (newOwners.has(path) || oldOwners.has(path))) candidates.push({ c, path });
  }
  // New values not visible in the change (unchanged attributes) are looked up once, lazily.
  let lookup: Map<string, StoredItem> | undefined;
  const newValue = (c: ReportChange, attr: string): unknown => {
    if (attr in c.attributes) return c.attributes[attr]!.new;
    if (!lookup) {
      lookup = new Map();
      const wanted = new Set(candidates.map((x) => x.c.key));
      for (const plugin of FILE_PLUGINS) for (const it of ctx.newItems(plugin)) if (wanted.has(it.key)) lookup.set(it.key, it);
    }
    return lookup.get(c.key)?.attributes[attr];
  };
  for (const { c, path } of candidates) {
    const by = explainer(c, path, newOwners, oldOwners, newValue, o.verifyChecksums);
    if (!by) continue;
    by.explained++;
    if (o.collapseExplained) c.explained_by = by.label;
  }
}

function explainer(
  c: ReportChange,
  path: string,
  newOwners: Map<string, PackageOp[]>,
  oldOwners: Map<string, PackageOp[]>,
  newValue: (c: ReportChange, attr: string) => unknown,
  verify: boolean,
): PackageOp | undefined {
  if (c.change === 'removed') {
    // Gone because the package was removed or no longer ships it; never a file it still ships.
    return oldOwners.get(path)?.find((p) => !p.newList.has(path) && !newOwners.has(path));
  }
  // conffile items have no type: they are always regular files.
  const type = c.plugin === 'conffile' ? 'file' : newValue(c, 'type');
  if (type === 'dir') {
    if (c.plugin !== 'file') return undefined;
    return newOwners.get(path)?.[0] ?? (c.change === 'changed' ? oldOwners.get(path)?.[0] : undefined);
  }
  for (const p of newOwners.get(path) ?? []) {
    if (!verify) return p;
    const v = p.verified?.get(path);
    if (!v) continue;
    if (v.kind === 'file' && type === 'file' && newValue(c, 'sha256') === v.value) return p;
    if (v.kind === 'symlink' && c.plugin === 'file' && type === 'symlink' && encodePath(String(newValue(c, 'target') ?? '')) === v.value) return p;
  }
  return undefined;
}

/** dpkg.log operations in the window, and packages that changed without a logged operation. */
function crossCheck(report: Report, ops: Map<string, PackageOp>, log: string): void {
  const from = new Date(report.old_session.started_at);
  const to = new Date(report.new_session.finished_at ?? report.created_at);
  let entries: DpkgLogEntry[];
  let found: boolean;
  try {
    ({ entries, found } = readDpkgLogWindow(log, from, to));
  } catch (err) {
    (report.notes ??= []).push(`packages: cannot read ${log}: ${(err as Error).message}`);
    return;
  }
  const notes = (report.notes ??= []);
  if (!found) {
    if (ops.size) notes.push(`packages: ${log} does not exist; package operations cannot be cross-checked`);
    return;
  }
  const actions = entries.filter((e) => e.action !== 'configure' && e.action !== 'trigproc');
  if (actions.length) {
    report.package_log = actions.map((e) => ({ ...e, time: logTime(e.time).toISOString() }));
    const counts = new Map<string, number>();
    for (const e of actions) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
    notes.push(`packages: dpkg.log lists ${actions.length} operation${actions.length === 1 ? '' : 's'} between the sessions (${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')})`);
  }
  const logged = new Set(entries.map((e) => `${e.package}:${e.arch}`));
  for (const p of ops.values()) {
    if (!logged.has(p.id)) notes.push(`packages: ${p.label} is not in ${log} between the sessions`);
  }
}
