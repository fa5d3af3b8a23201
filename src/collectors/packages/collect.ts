/**
 * Collect step of the `packages` collector: one `package://<name>:<arch>` item per package in
 * dpkg's status (with its file list kept as content), and for every package that had an
 * operation since the previous session a `package-verify://<name>:<arch>` item recording which
 * of its files on disk match dpkg's checksums right now. See README.md for why.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import type { CollectContext, Item, StoredItem } from '../../types.js';
import { decodePath, encodePath, splitKey } from '../../keys.js';
import { hashFile, listCtime, readInfo, readStatus } from './dpkg-db.js';
import { type StatusEntry, isInstalled, parseList, parseMd5sums } from './parse.js';

/** Options after defaults. */
export interface PackagesOptions {
  collapseExplained: boolean;
  verifyChecksums: boolean;
  admindir: string;
  root: string;
  dpkgLog: string;
}

export const PACKAGE_SCHEME = 'package';
export const VERIFY_SCHEME = 'package-verify';
export const ALIAS_SCHEME = 'package-alias';
export const MODIFIED_SCHEME = 'package-modified';

export const packageKey = (id: string) => `${PACKAGE_SCHEME}://${id}`;
export const verifyKey = (id: string) => `${VERIFY_SCHEME}://${id}`;
export const modifiedKey = (id: string) => `${MODIFIED_SCHEME}://${id}`;

/** Top-level directory aliases of a root: package path → the path it is a symlink to. */
export type Aliases = Map<string, string>;

const PLAIN_NAME = /^[A-Za-z0-9._+-]+$/;

/**
 * The directory symlinks directly below `root` (merged-/usr: `/bin` → `/usr/bin`, `/lib` →
 * `/usr/lib`), read with lstat and readlink, never followed blindly: the target, taken below
 * `root`, must be a directory whose every component is a real directory (realpath equals it).
 * Only plain ASCII names and targets are taken; anything else is left alone.
 */
export function readAliases(root: string): Aliases {
  const dir = root.replace(/\/+$/, '') || '/';
  const out: Aliases = new Map();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (!PLAIN_NAME.test(name)) continue;
    const link = posix.join(dir, name);
    try {
      if (!lstatSync(link).isSymbolicLink()) continue;
      const t = readlinkSync(link);
      const target = posix.normalize(t.startsWith('/') ? t : `/${t}`).replace(/\/+$/, '');
      if (!target || target === '/' || target === `/${name}` || !target.split('/').slice(1).every((c) => PLAIN_NAME.test(c))) continue;
      const full = posix.join(dir, target);
      if (!lstatSync(full).isDirectory() || realpathSync(full) !== full) continue;
      out.set(`/${name}`, target);
    } catch {
      // Gone or unreadable: not an alias.
    }
  }
  return out;
}

/** The path as the file walk sees it: an alias's top component replaced by its target. */
export function canonicalPath(p: string, aliases: Aliases): string {
  if (!aliases.size) return p;
  const i = p.indexOf('/', 1);
  const t = aliases.get(i < 0 ? p : p.slice(0, i));
  return t === undefined ? p : i < 0 ? t : t + p.slice(i);
}

/** The aliases recorded in a session's `package-alias://` items. */
export function aliasesOf(items: Iterable<StoredItem>): Aliases {
  const out: Aliases = new Map();
  const prefix = `${ALIAS_SCHEME}://`;
  for (const it of items) {
    if (it.key.startsWith(prefix) && typeof it.attributes.target === 'string') out.set(it.key.slice(prefix.length), it.attributes.target);
  }
  return out;
}

/** `root` without its trailing slash ('' for /), as bytes. */
export function rootPrefix(root: string): Buffer {
  return Buffer.from(root.replace(/\/+$/, ''), 'utf8');
}

/**
 * The package path (key-encoded, e.g. `/usr/bin/x`) of a file item key under `root`, or
 * undefined when the key is not below it.
 */
export function packagePathOfKey(key: string, encodedRoot: string): string | undefined {
  const rest = splitKey(key).rest;
  if (!encodedRoot) return rest;
  return rest.startsWith(`${encodedRoot}/`) ? rest.slice(encodedRoot.length) : undefined;
}

/** Whether ISO time `t` (ns precision) is not before ISO time `ref` (ms precision), at ms resolution. */
function notOlder(t: string, ref: string): boolean {
  return t.slice(0, 23) >= ref.slice(0, 23);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function attrsOf(e: StatusEntry) {
  const a: Record<string, string> = { version: e.version, status: e.status, architecture: e.arch };
  if (e.source && e.source !== e.name) a.source = e.source;
  return a;
}

/** Whether the package had an operation since the previous session (by its stored state). */
function hadOperation(e: StatusEntry, prev: StoredItem | undefined, prevVerify: StoredItem | undefined, ctime: string | undefined, prevStart: string): boolean {
  if (!prev) return true;
  const a = prev.attributes;
  if (a.version !== e.version || a.status !== e.status || a.architecture !== e.arch) return true;
  // A reinstall of the same version rewrites the files and the .list, nothing else.
  if (prevVerify) return prevVerify.attributes.list_ctime !== (ctime ?? null);
  return ctime !== undefined && notOlder(ctime, prevStart);
}

export async function collectPackages(ctx: CollectContext, o: PackagesOptions): Promise<void> {
  let entries: StatusEntry[];
  try {
    entries = readStatus(o.admindir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && ctx.previousSessionStartedAt === undefined) {
      ctx.note(`packages: ${o.admindir}/status does not exist (not a dpkg system?)`);
      return;
    }
    throw new Error(`cannot read ${o.admindir}/status: ${(err as Error).message}`);
  }
  const prevStart = ctx.previousSessionStartedAt;
  const aliases = readAliases(o.root);
  for (const [from, to] of aliases) ctx.add({ key: `${ALIAS_SCHEME}://${from}`, attributes: { target: to } });
  // Without a previous inventory there is nothing to explain: skip the (costly) verification.
  let baseline = prevStart === undefined;
  const toVerify: StatusEntry[] = [];
  const prevModified = new Map<StatusEntry, StoredItem>();
  let done = 0;
  const ids = entries.filter((e) => packageStateKnown(e)).map((e) => `${e.name}:${e.arch}`);
  if (!baseline && ids.length && !ids.some((id) => ctx.previous(packageKey(id)))) baseline = true;
  for (const e of entries) {
    if (!packageStateKnown(e)) continue;
    const id = `${e.name}:${e.arch}`;
    const item: Item = { key: packageKey(id), attributes: attrsOf(e) };
    const prev = baseline ? undefined : ctx.previous(item.key);
    const ctime = listCtime(o.admindir, e);
    try {
      // An unchanged package whose .list was not rewritten since the previous session keeps
      // its stored list: no need to read and encode hundreds of lists every run.
      const sameList = prev && !prev.error && prev.contentHashes.files && ctime !== undefined && !notOlder(ctime, prevStart!)
        && prev.attributes.version === e.version && prev.attributes.status === e.status;
      const list = sameList ? undefined : readInfo(o.admindir, e, 'list');
      if (sameList) item.contentRefs = { files: prev.contentHashes.files! };
      else if (list) {
        const text = parseList(list).map((p) => encodePath(p)).join('\n');
        const sha = sha256(text);
        if (ctx.hasContent(sha)) item.contentRefs = { files: sha };
        else item.contents = { files: text };
      }
    } catch (err) {
      item.error = `cannot read the file list: ${(err as Error).message}`;
    }
    ctx.add(item);
    if (o.verifyChecksums && !baseline && isInstalled(e.status)) {
      const prevVerify = ctx.previous(verifyKey(id));
      if (hadOperation(e, prev, prevVerify, ctime, prevStart!)) toVerify.push(e);
      else {
        if (prevVerify && !prevVerify.error) ctx.add({ key: prevVerify.key, attributes: prevVerify.attributes, contentRefs: prevVerify.contentHashes });
        const pm = ctx.previous(modifiedKey(id));
        if (pm && !pm.error) prevModified.set(e, pm);
      }
    }
    ctx.progress(++done, entries.length);
  }
  if (baseline && entries.length) ctx.debug(`first inventory of ${entries.length} packages: no verification`);
  if (toVerify.length) verifyPackages(ctx, o, toVerify, aliases);
  if (o.verifyChecksums && !baseline) checkModified(ctx, o, entries, new Set(toVerify), prevModified, aliases);
}

/**
 * Package files that changed with no operation of their package: each regular file that is new
 * or changed in this session's file items and that an installed package without an operation
 * lists is hashed (MD5 and sha256, one read) and compared with the package's md5sums. One
 * `package-modified://<name>:<arch>` item per package keeps the files whose content differs
 * from dpkg's (attribute `files`, `<sha256> <path>` a line); a file still unchanged since is carried on, and the
 * package's next operation (its verification) drops the item.
 */
function checkModified(
  ctx: CollectContext,
  o: PackagesOptions,
  entries: StatusEntry[],
  operated: Set<StatusEntry>,
  prevModified: Map<StatusEntry, StoredItem>,
  aliases: Aliases,
): void {
  const root = rootPrefix(o.root);
  const encodedRoot = encodePath(root);
  // The changed regular files below the root, read twice (two queries) so that no map of all
  // of them is held: 200k changed files must not make a map of 200k paths.
  const changedFiles = function* () {
    for (const it of ctx.sessionItems('file', { changed: true })) {
      if (it.error || it.attributes.type !== 'file' || typeof it.attributes.sha256 !== 'string') continue;
      const p = packagePathOfKey(it.key, encodedRoot);
      if (p !== undefined) yield [p, it.attributes.sha256] as const;
    }
  };
  // First the directories they are in (as many as there are directories, at most).
  const changedDirs = new Set<string>();
  for (const [p] of changedFiles()) changedDirs.add(dirOf(p));
  // Who lists a path in those directories: every installed package's list, read only when a
  // file changed.
  const owners = new Map<string, { e: StatusEntry; listed: string }[]>();
  if (changedDirs.size) {
    for (const e of entries) {
      if (!isInstalled(e.status) || operated.has(e)) continue;
      let list: Buffer | undefined;
      try {
        list = readInfo(o.admindir, e, 'list');
      } catch {
        continue;
      }
      for (const p of list ? parseList(list) : []) {
        const c = canonicalPath(encodePath(p), aliases);
        if (changedDirs.has(dirOf(c))) (owners.get(c) ?? owners.set(c, []).get(c)!).push({ e, listed: p.toString('latin1') });
      }
    }
  }
  // Files found modified before (carried on below unless they changed again).
  const carriedPaths = new Set<string>();
  for (const pm of prevModified.values()) {
    for (const line of String(pm.attributes.files ?? '').split('\n')) {
      const sp = line.indexOf(' ');
      if (sp >= 0) carriedPaths.add(line.slice(sp + 1));
    }
  }
  // Path → sha256 of each changed regular file that a package lists or that was found
  // modified before.
  const changed = new Map<string, string>();
  if (owners.size || carriedPaths.size) for (const [p, sha] of changedFiles()) if (owners.has(p) || carriedPaths.has(p)) changed.set(p, sha);
  const lines = new Map<StatusEntry, string[]>();
  // Carried: files that were found modified before and did not change again.
  for (const [e, pm] of prevModified) {
    for (const line of String(pm.attributes.files ?? '').split('\n')) {
      const sp = line.indexOf(' ');
      if (sp < 0 || changed.has(line.slice(sp + 1))) continue;
      (lines.get(e) ?? lines.set(e, []).get(e)!).push(line);
    }
  }
  if (changed.size) {
    const md5Cache = new Map<StatusEntry, Map<string, string>>();
    for (const [path, sha256] of changed) {
      const list = owners.get(path);
      if (!list) continue;
      const verdicts: { e: StatusEntry; differs: boolean }[] = [];
      let h: { md5: string; sha256: string } | undefined | null = null;
      for (const { e, listed } of list) {
        let md5s = md5Cache.get(e);
        if (!md5s) {
          try {
            md5s = parseMd5sums(readInfo(o.admindir, e, 'md5sums') ?? Buffer.alloc(0));
          } catch {
            md5s = new Map();
          }
          md5Cache.set(e, md5s);
        }
        const expected = md5s.get(listed);
        if (!expected) continue;
        if (h === null) {
          try {
            h = hashFile(Buffer.concat([root, decodePath(path)]));
          } catch {
            h = undefined;
          }
        }
        if (!h || h.sha256 !== sha256) break;
        verdicts.push({ e, differs: h.md5 !== expected });
      }
      // A path two packages list (diverted, shared) differs only when it matches neither.
      if (!verdicts.length || verdicts.some((v) => !v.differs)) continue;
      for (const { e } of verdicts) (lines.get(e) ?? lines.set(e, []).get(e)!).push(`${sha256} ${path}`);
    }
  }
  for (const [e, l] of lines) {
    if (!l.length) continue;
    const files = [...new Set(l)].sort();
    ctx.add({ key: modifiedKey(`${e.name}:${e.arch}`), attributes: { version: e.version, count: files.length, files: files.join('\n') } });
  }
}

/** The directory part of a key-encoded path (`''` for a file directly below the root). */
function dirOf(p: string): string {
  return p.slice(0, Math.max(0, p.lastIndexOf('/')));
}

function packageStateKnown(e: StatusEntry): boolean {
  const s = e.status.split(/\s+/)[2];
  return s !== undefined && s !== 'not-installed';
}

/** What the file collector recorded in this session, by package path (key-encoded). */
function sessionFiles(ctx: CollectContext, encodedRoot: string, wanted: Set<string>): Map<string, StoredItem> {
  const out = new Map<string, StoredItem>();
  for (const it of ctx.sessionItems('file')) {
    const p = packagePathOfKey(it.key, encodedRoot);
    if (p !== undefined && wanted.has(p)) out.set(p, it);
  }
  return out;
}

/**
 * For each package with an operation: hash (MD5 and sha256, one read) every regular file of
 * its list that the file collector recorded, compare the MD5 with dpkg's (md5sums, or the
 * status Conffiles hash for a conffile), and the sha256 with the file item's — so a file
 * changed again after the file collector read it is not vouched for. Lines of the
 * `verified` content: `file <sha256> <path>`, `symlink <target> <path>`, `mismatch <sha256> <path>`
 * (differs from md5sums), `conffile-mismatch <sha256> <path>`, `unchecked <sha256|-> <path>` (no
 * checksum, or the file changed while read). Paths are the walk's (aliases resolved).
 */
function verifyPackages(ctx: CollectContext, o: PackagesOptions, pkgs: StatusEntry[], aliases: Aliases): void {
  const root = rootPrefix(o.root);
  const encodedRoot = encodePath(root);
  const lists = new Map<StatusEntry, Buffer[]>();
  const wanted = new Set<string>();
  for (const e of pkgs) {
    const list = readInfo(o.admindir, e, 'list');
    const paths = list ? parseList(list) : [];
    lists.set(e, paths);
    for (const p of paths) wanted.add(canonicalPath(encodePath(p), aliases));
  }
  const files = sessionFiles(ctx, encodedRoot, wanted);
  for (const e of pkgs) {
    const id = `${e.name}:${e.arch}`;
    const key = verifyKey(id);
    try {
      const md5s = parseMd5sums(readInfo(o.admindir, e, 'md5sums') ?? Buffer.alloc(0));
      const conf = new Map<string, string>();
      for (const c of e.conffiles) if (!c.flag && c.md5 !== 'newconffile') conf.set(c.path.toString('latin1'), c.md5);
      const out: string[] = [];
      const seen = new Set<string>();
      let verified = 0;
      let mismatched = 0;
      for (const p of lists.get(e)!) {
        // The path the walk recorded: /bin/x of the list is /usr/bin/x on a merged-/usr system.
        const enc = canonicalPath(encodePath(p), aliases);
        if (seen.has(enc)) continue;
        seen.add(enc);
        const item = files.get(enc);
        if (!item || item.error) continue;
        const type = item.attributes.type;
        if (type === 'symlink') {
          out.push(`symlink ${encodePath(String(item.attributes.target ?? ''))} ${enc}`);
          continue;
        }
        if (type !== 'file') continue;
        const listed = p.toString('latin1');
        const isConf = conf.has(listed);
        const expected = conf.get(listed) ?? md5s.get(listed);
        const h = expected ? hashFile(Buffer.concat([root, decodePath(enc)])) : undefined;
        if (h && h.md5 === expected && h.sha256 === item.attributes.sha256) {
          out.push(`file ${h.sha256} ${enc}`);
          verified++;
        } else {
          // mismatch: differs from md5sums; conffile-mismatch: an edited conffile; unchecked: no checksum to compare.
          const kind = !expected ? 'unchecked' : isConf ? 'conffile-mismatch' : h && h.sha256 === item.attributes.sha256 ? 'mismatch' : 'unchecked';
          out.push(`${kind} ${h?.sha256 ?? '-'} ${enc}`);
          mismatched++;
        }
      }
      ctx.add({
        key,
        attributes: { version: e.version, list_ctime: listCtime(o.admindir, e) ?? null, verified, mismatched },
        contents: { verified: out.join('\n') },
      });
      if (mismatched) ctx.debug(`${id}: ${mismatched} file(s) do not match dpkg's checksums`);
    } catch (err) {
      ctx.error(key, `cannot verify ${id}: ${(err as Error).message}`);
    }
  }
}
