/**
 * Report step of the `packages` collector: marks file and conffile changes that a package
 * operation explains (`explained_by`), fills `report.packages` and `summary.explained`, and
 * cross-checks with dpkg.log. Works only from stored data (both sessions' package items and
 * the verification recorded at collect time) plus dpkg.log, so a report rebuilt later for old
 * sessions gives the same answer.
 */
import type { ReportHookContext, ReportHooks, StoredItem } from '../../types.js';
import type { Report, ReportChange } from '../../core/report-model.js';
import { posix } from 'node:path';
import { encodePath } from '../../keys.js';
import { readDpkgLogWindow } from './dpkg-db.js';
import {
  ALIAS_SCHEME,
  type Aliases,
  MODIFIED_SCHEME,
  PACKAGE_SCHEME,
  type PackagesOptions,
  VERIFY_SCHEME,
  aliasesOf,
  canonicalPath,
  packagePathOfKey,
  rootPrefix,
} from './collect.js';
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
  /** Seconds (epoch) of its dpkg.log lines between the sessions, ascending. */
  logTimes: number[];
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

/** A package's stored file list, with the paths as the walk sees them (aliases resolved). */
function listOf(ctx: ReportHookContext, item: StoredItem | undefined, aliases: Aliases): Set<string> {
  const sha = item?.contentHashes.files;
  const text = sha ? ctx.content(sha) : undefined;
  const out = new Set<string>();
  for (const p of text ? text.split('\n') : []) if (p) out.add(canonicalPath(p, aliases));
  return out;
}

const INTERNAL = [VERIFY_SCHEME, ALIAS_SCHEME, MODIFIED_SCHEME].map((s) => `${s}://`);

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

/**
 * The report hooks: set up once per report from both sessions' package items, the packages'
 * own changes (ctx.pluginChanges: `packages://` keys sort after the `file://` changes they
 * explain) and dpkg.log; then each file and conffile change is attributed as it passes. What
 * maintainer scripts did can depend on changes still to come (a directory goes with what
 * changed in it, a conffile with its path's file item): those few candidates are held and
 * decided in `finish`, in the order a whole report would take them.
 */
export function packagesReportHooks(ctx: ReportHookContext, o: PackagesOptions): ReportHooks {
  const report = ctx.report;
  const newPackageItems = [...ctx.newItems('packages')];
  const oldPackageItems = [...ctx.oldItems('packages')];
  const oldPkgs = byId(oldPackageItems, PACKAGE_SCHEME);
  const newPkgs = byId(newPackageItems, PACKAGE_SCHEME);
  const newVerify = byId(newPackageItems, VERIFY_SCHEME);
  // Aliases as the new session found them (the old one's for a session recorded before).
  const newAliases = aliasesOf(newPackageItems);
  const aliases = newAliases.size ? newAliases : aliasesOf(oldPackageItems);

  // Which packages had an operation: their item changed, or their verification was redone.
  const opIds = new Set<string>();
  for (const c of ctx.pluginChanges('packages')) {
    const pid = idOf(c.key, PACKAGE_SCHEME);
    if (pid !== undefined && (c.change !== 'changed' || Object.keys(c.attributes).length > 0)) opIds.add(pid);
    const vid = idOf(c.key, VERIFY_SCHEME);
    if (vid !== undefined && c.change !== 'removed') opIds.add(vid);
  }

  const log = readLog(report, o.dpkgLog);
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
        oldList: listOf(ctx, oldItem, aliases),
        newList: neu === null ? new Set() : listOf(ctx, newItem, aliases),
        verified: verifiedNow ? parseVerified(v.contentHashes.verified ? ctx.content(v.contentHashes.verified) : '') : undefined,
        explained: 0,
        logTimes: log.times.get(id) ?? [],
      });
    }
  }
  const encodedRoot = encodePath(rootPrefix(o.root));
  const value = newValues(ctx);
  const attribution = ops.size ? attributer(ops, o, value) : undefined;
  const owners = baseline ? undefined : ownerMarker(ctx, newPackageItems, oldPackageItems, aliases, ops);

  return {
    change(c) {
      if (c.plugin === 'packages') {
        // Internal items and file-list diffs are not for readers.
        if (INTERNAL.some((p) => c.key.startsWith(p))) return false;
        delete c.diff;
        // The package items' own changes are the operations: the PACKAGES block lists them.
        if (o.collapseExplained) {
          const id = idOf(c.key, PACKAGE_SCHEME);
          const op = id === undefined ? undefined : ops.get(id);
          if (op) c.explained_by = op.label;
        }
        return true;
      }
      if (!FILE_PLUGINS.has(c.plugin)) return true;
      const path = packagePathOfKey(c.key, encodedRoot);
      if (path === undefined) return true;
      const x = { c, path };
      const explained = attribution?.byLists(x) ?? false;
      owners?.(x);
      return attribution?.later(x, explained) ? 'hold' : true;
    },
    finish() {
      attribution?.scripts();
      const explained = [...ops.values()].reduce((n, p) => n + p.explained, 0);
      report.summary.explained = explained;
      if (ops.size) {
        report.packages = [...ops.values()].map((p) => ({ name: p.name, arch: p.arch, change: p.change, old: p.old, new: p.new, explained: p.explained }));
      }
      crossCheck(report, ops, o.dpkgLog, log);
    },
  };
}

/** A file or conffile change below the root, with its package path. */
interface FileChange {
  c: ReportChange;
  path: string;
}

interface LogWindow {
  found: boolean;
  error?: string;
  entries: DpkgLogEntry[];
  /** Package id → epoch seconds of its lines (actions and status) in the window, ascending. */
  times: Map<string, number[]>;
}

function readLog(report: Report, log: string): LogWindow {
  const from = new Date(report.old_session.started_at);
  const to = new Date(report.new_session.finished_at ?? report.created_at);
  const times = new Map<string, number[]>();
  try {
    const { entries, found } = readDpkgLogWindow(log, from, to, { status: true });
    for (const e of entries) {
      const id = `${e.package}:${e.arch}`;
      (times.get(id) ?? times.set(id, []).get(id)!).push(logTime(e.time).getTime() / 1000);
    }
    for (const t of times.values()) t.sort((a, b) => a - b);
    return { found, entries, times };
  } catch (err) {
    return { found: false, error: (err as Error).message, entries: [], times };
  }
}

/**
 * Marking explained changes: `byLists` marks a change a file list of an operated package
 * explains (as it passes); `later` says whether maintainer scripts' work may explain it once
 * the changes after it are known (it is then held); `scripts` decides those at the end.
 */
function attributer(ops: Map<string, PackageOp>, o: PackagesOptions, value: ValueOf): { byLists(x: FileChange): boolean; later(x: FileChange, explained: boolean): boolean; scripts(): void } {
  const newOwners = new Map<string, PackageOp[]>();
  const oldOwners = new Map<string, PackageOp[]>();
  for (const p of ops.values()) {
    for (const path of p.newList) (newOwners.get(path) ?? newOwners.set(path, []).get(path)!).push(p);
    for (const path of p.oldList) (oldOwners.get(path) ?? oldOwners.set(path, []).get(path)!).push(p);
  }
  const mark = (c: ReportChange, by: PackageOp) => {
    by.explained++;
    if (o.collapseExplained) c.explained_by = by.label;
  };
  // What maintainer scripts did during a logged operation (update-alternatives, enabling a
  // unit, writing a config file): needs the operation in dpkg.log.
  const logged = [...ops.values()].filter((p) => p.logTimes.length);
  // Operations that explain an entry of a directory (its mtime and ctime change with them).
  const inDir = new Map<string, Set<PackageOp>>();
  const note = (path: string, by: PackageOp) => {
    const dir = posix.dirname(path);
    (inDir.get(dir) ?? inDir.set(dir, new Set()).get(dir)!).add(by);
  };
  // The file changes of /etc/alternatives, for links through it (all others are only held when they may be explained).
  const alternatives = new Map<string, ReportChange>();
  const heldFiles: FileChange[] = [];
  const heldConffiles: FileChange[] = [];
  return {
    byLists(x) {
      const by = newOwners.has(x.path) || oldOwners.has(x.path) ? explainer(x.c, x.path, newOwners, oldOwners, value, o.verifyChecksums) : undefined;
      if (!by) return false;
      mark(x.c, by);
      if (logged.length) note(x.path, by);
      return true;
    },
    later(x, explained) {
      if (!logged.length) return false;
      if (x.c.plugin === 'file' && x.path.startsWith(ALTERNATIVES)) alternatives.set(x.path, x.c);
      if (explained) return false;
      // After the owners are marked: a package file found to differ from its checksum is never taken.
      if (x.c.plugin === 'file' ? !scriptCandidate(x, logged, value, oldOwners) : x.c.differs_from_package || x.c.owner_package) return false;
      (x.c.plugin === 'file' ? heldFiles : heldConffiles).push(x);
      return true;
    },
    scripts() {
      if (!logged.length) return;
      const fileBy = new Map<string, PackageOp>();
      const isDir = (x: FileChange) => (x.c.change === 'removed' ? x.c.attributes.type?.old : value(x.c, 'type')) === 'dir';
      // Entries first, then directories deepest first: a directory goes with what changed in it.
      const order = heldFiles.filter((x) => !isDir(x));
      order.push(...heldFiles.filter((x) => isDir(x)).sort((a, b) => b.path.split('/').length - a.path.split('/').length));
      for (const x of order) {
        const by = scriptExplainer(x, logged, value, alternatives, newOwners, oldOwners, inDir);
        if (!by) continue;
        mark(x.c, by);
        fileBy.set(x.path, by);
        note(x.path, by);
      }
      // A conffile item has no times: it goes with the file item of its path.
      for (const x of heldConffiles) {
        const by = fileBy.get(x.path);
        if (by) mark(x.c, by);
      }
    },
  };
}

/** The new value of an attribute of a file change (an unchanged one looked up in the new session, once per change). */
type ValueOf = (c: ReportChange, attr: string) => unknown;

function newValues(ctx: ReportHookContext): ValueOf {
  const items = new WeakMap<ReportChange, StoredItem | null>();
  return (c, attr) => {
    if (attr in c.attributes) return c.attributes[attr]!.new;
    if (c.change === 'removed') return undefined;
    let it = items.get(c);
    if (it === undefined) items.set(c, (it = ctx.newItem(c.key) ?? null));
    return it?.attributes[attr];
  };
}

/**
 * Whether scriptExplainer may explain a file change once all changes are known: the same
 * tests, those that need no other change, the cheap ones first (the time before the type).
 */
function scriptCandidate(x: FileChange, logged: PackageOp[], value: ValueOf, oldOwners: Map<string, PackageOp[]>): boolean {
  const { c, path } = x;
  if (c.differs_from_package) return false;
  if (c.change === 'removed') {
    if (c.attributes.type?.old !== 'symlink' || c.owner_package) return false;
    const t = linkTarget(path, String(c.attributes.target?.old ?? ''));
    return t.startsWith(ALTERNATIVES) || (oldOwners.get(t)?.some((p) => p.logTimes.length && !p.newList.has(t)) ?? false);
  }
  const ctime = value(c, 'ctime');
  if (typeof ctime !== 'string') return false;
  const t = Date.parse(`${ctime.slice(0, 23)}Z`) / 1000;
  if (!Number.isFinite(t) || !logged.some((p) => t >= p.logTimes[0]! - 1 && t < p.logTimes[p.logTimes.length - 1]! + 2)) return false;
  if (c.owner_package && (c.attributes.type?.old ?? value(c, 'type')) !== 'dir') return false;
  const type = value(c, 'type');
  if (type === 'file') {
    if (c.change !== 'added' || !path.startsWith('/etc/')) return false;
    const mode = String(value(c, 'mode') ?? '');
    if (/^[0-7]{4}$/.test(mode) && (Number(mode[0]) & 6) !== 0) return false;
    return !value(c, 'caps');
  }
  return type === 'symlink' || type === 'dir';
}

/** A symlink's target as a path: relative targets taken from the link's directory. */
function linkTarget(path: string, target: string): string {
  return posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(path), target));
}

const ALTERNATIVES = '/etc/alternatives/';

/**
 * The logged operation whose maintainer scripts made this change, or undefined. Only paths no
 * package lists (a directory may be listed) are taken, and only when the change's ctime falls
 * within the operation's dpkg.log lines (−1 s, +2 s: the log has seconds): a symlink (an
 * `update-alternatives` link, an enabled unit) anywhere; a directory with an entry that the
 * same operation explains; a new regular file below /etc that is neither setuid nor setgid and
 * has no capabilities (an existing one rewritten stays reported: an edit looks the same). A
 * removed symlink is taken when it pointed, directly or through /etc/alternatives, at a file
 * of a removed or upgraded package's old list.
 */
function scriptExplainer(
  x: FileChange,
  logged: PackageOp[],
  value: ValueOf,
  byPath: Map<string, ReportChange>,
  newOwners: Map<string, PackageOp[]>,
  oldOwners: Map<string, PackageOp[]>,
  inDir: Map<string, Set<PackageOp>>,
): PackageOp | undefined {
  const { c, path } = x;
  if (c.differs_from_package) return undefined;
  // A file a package lists is judged by its checksum, never by time; a directory may be both.
  if (c.owner_package && (c.plugin !== 'file' || (c.attributes.type?.old ?? value(c, 'type')) !== 'dir')) return undefined;
  if (c.change === 'removed') {
    if (c.plugin !== 'file' || c.attributes.type?.old !== 'symlink') return undefined;
    let t = linkTarget(path, String(c.attributes.target?.old ?? ''));
    if (t.startsWith(ALTERNATIVES)) {
      const alt = byPath.get(t);
      const altTarget = alt?.attributes.target?.old;
      if (alt?.change !== 'removed' || typeof altTarget !== 'string') return undefined;
      t = linkTarget(t, altTarget);
    }
    return oldOwners.get(t)?.find((p) => p.logTimes.length && !p.newList.has(t));
  }
  const type = c.plugin === 'conffile' ? 'file' : value(c, 'type');
  if (type === 'file') {
    // A file a script created; an existing file it rewrote (or anyone edited) stays reported.
    if (c.change !== 'added' || !path.startsWith('/etc/')) return undefined;
    const mode = String(value(c, 'mode') ?? '');
    if (/^[0-7]{4}$/.test(mode) && (Number(mode[0]) & 6) !== 0) return undefined;
    if (value(c, 'caps')) return undefined;
  } else if (type !== 'symlink' && type !== 'dir') return undefined;
  const ctime = value(c, 'ctime');
  if (typeof ctime !== 'string') return undefined;
  const t = Date.parse(`${ctime.slice(0, 23)}Z`) / 1000;
  if (!Number.isFinite(t)) return undefined;
  let during = logged.filter((p) => t >= p.logTimes[0]! - 1 && t < p.logTimes[p.logTimes.length - 1]! + 2);
  // A directory only with an entry in it that the same operation explains.
  if (type === 'dir') during = during.filter((p) => inDir.get(path)?.has(p));
  if (!during.length) return undefined;
  if (type === 'symlink') {
    // A link into a package's files (through /etc/alternatives too) belongs to that package.
    let target = linkTarget(path, String(value(c, 'target') ?? ''));
    if (target.startsWith(ALTERNATIVES)) {
      const alt = byPath.get(target);
      const altTarget = alt && alt.change !== 'removed' ? value(alt, 'target') : undefined;
      if (typeof altTarget === 'string') target = linkTarget(target, altTarget);
    }
    const owner = newOwners.get(target)?.find((p) => during.includes(p));
    if (owner) return owner;
  }
  // Otherwise the operation with a dpkg.log line nearest in time.
  const distance = (p: PackageOp) => Math.min(...p.logTimes.map((s) => Math.abs(t - (s + 0.5))));
  return during.reduce((a, b) => (distance(b) < distance(a) ? b : a));
}

/**
 * `owner_package` on each file change (the package whose list has the path, or null), and
 * `differs_from_package` (the templates show "differs from package <name>") when the new
 * content is one the collect step found to differ from the package's md5sums (a package file
 * changed without an operation, or after it). The index of listed paths is made at the first
 * file change (the old session's at the first removed one).
 */
function ownerMarker(
  ctx: ReportHookContext,
  newPackageItems: StoredItem[],
  oldPackageItems: StoredItem[],
  aliases: Aliases,
  ops: Map<string, PackageOp>,
): (x: FileChange) => void {
  const index = (items: StoredItem[]) => {
    const out = new Map<string, string>();
    for (const it of items) {
      const id = idOf(it.key, PACKAGE_SCHEME);
      if (id === undefined || !it.contentHashes.files) continue;
      const name = id.slice(0, id.lastIndexOf(':'));
      for (const p of listOf(ctx, it, aliases)) if (!out.has(p)) out.set(p, name);
    }
    return out;
  };
  let newIndex: Map<string, string> | undefined;
  let oldIndex: Map<string, string> | undefined;
  // Files found to differ from dpkg's checksums: path → sha256 found → package name.
  const differs = new Map<string, Map<string, string>>();
  const add = (path: string, sha: string, name: string) => (differs.get(path) ?? differs.set(path, new Map()).get(path)!).set(sha, name);
  for (const it of newPackageItems) {
    const id = idOf(it.key, MODIFIED_SCHEME);
    if (id === undefined) continue;
    for (const line of String(it.attributes.files ?? '').split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0) add(line.slice(sp + 1), line.slice(0, sp), id.slice(0, id.lastIndexOf(':')));
    }
  }
  for (const p of ops.values()) for (const [path, v] of p.verified ?? []) if (v.kind === 'mismatch') add(path, v.value, p.name);
  return ({ c, path }) => {
    const owners = c.change === 'removed' ? (oldIndex ??= index(oldPackageItems)) : (newIndex ??= index(newPackageItems));
    c.owner_package = owners.get(path) ?? null;
    if (c.change === 'removed' || c.explained_by) return;
    const sha = c.attributes.sha256?.new;
    const name = typeof sha === 'string' ? differs.get(path)?.get(sha) : undefined;
    if (!name) return;
    c.differs_from_package = name;
  };
}

function explainer(
  c: ReportChange,
  path: string,
  newOwners: Map<string, PackageOp[]>,
  oldOwners: Map<string, PackageOp[]>,
  newValue: ValueOf,
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
function crossCheck(report: Report, ops: Map<string, PackageOp>, log: string, w: LogWindow): void {
  const notes = (report.notes ??= []);
  if (w.error !== undefined) {
    notes.push(`packages: cannot read ${log}: ${w.error}`);
    return;
  }
  if (!w.found) {
    if (ops.size) notes.push(`packages: ${log} does not exist; package operations cannot be cross-checked`);
    return;
  }
  const actions = w.entries.filter((e) => e.action !== 'configure' && e.action !== 'trigproc' && e.action !== 'status');
  if (actions.length) {
    report.package_log = actions.map((e) => ({ ...e, time: logTime(e.time).toISOString() }));
    const counts = new Map<string, number>();
    for (const e of actions) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
    notes.push(`packages: dpkg.log lists ${actions.length} operation${actions.length === 1 ? '' : 's'} between the sessions (${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')})`);
  }
  const logged = new Set(w.entries.filter((e) => e.action !== 'status').map((e) => `${e.package}:${e.arch}`));
  for (const p of ops.values()) {
    if (!logged.has(p.id)) notes.push(`packages: ${p.label} is not in ${log} between the sessions`);
  }
}
