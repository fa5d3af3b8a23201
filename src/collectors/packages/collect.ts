/**
 * Collect step of the `packages` collector: one `package://<name>:<arch>` item per package in
 * dpkg's status (with its file list kept as content), and for every package that had an
 * operation since the previous session a `package-verify://<name>:<arch>` item recording which
 * of its files on disk match dpkg's checksums right now. See README.md for why.
 */
import { createHash } from 'node:crypto';
import type { CollectContext, Item, StoredItem } from '../../types.js';
import { encodePath, splitKey } from '../../keys.js';
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

export const packageKey = (id: string) => `${PACKAGE_SCHEME}://${id}`;
export const verifyKey = (id: string) => `${VERIFY_SCHEME}://${id}`;

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
  // Without a previous inventory there is nothing to explain: skip the (costly) verification.
  let baseline = prevStart === undefined;
  const toVerify: StatusEntry[] = [];
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
      else if (prevVerify && !prevVerify.error) {
        ctx.add({ key: prevVerify.key, attributes: prevVerify.attributes, contentRefs: prevVerify.contentHashes });
      }
    }
    ctx.progress(++done, entries.length);
  }
  if (baseline && entries.length) ctx.debug(`first inventory of ${entries.length} packages: no verification`);
  if (toVerify.length) verifyPackages(ctx, o, toVerify);
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
 * `verified` content: `file <sha256> <path>`, `symlink <target> <path>`, `mismatch <sha256> <path>`.
 */
function verifyPackages(ctx: CollectContext, o: PackagesOptions, pkgs: StatusEntry[]): void {
  const root = rootPrefix(o.root);
  const encodedRoot = encodePath(root);
  const lists = new Map<StatusEntry, Buffer[]>();
  const wanted = new Set<string>();
  for (const e of pkgs) {
    const list = readInfo(o.admindir, e, 'list');
    const paths = list ? parseList(list) : [];
    lists.set(e, paths);
    for (const p of paths) wanted.add(encodePath(p));
  }
  const files = sessionFiles(ctx, encodedRoot, wanted);
  for (const e of pkgs) {
    const id = `${e.name}:${e.arch}`;
    const key = verifyKey(id);
    try {
      const md5s = parseMd5sums(readInfo(o.admindir, e, 'md5sums') ?? Buffer.alloc(0));
      for (const c of e.conffiles) if (!c.flag && c.md5 !== 'newconffile') md5s.set(c.path.toString('latin1'), c.md5);
      const out: string[] = [];
      let verified = 0;
      let mismatched = 0;
      for (const p of lists.get(e)!) {
        const enc = encodePath(p);
        const item = files.get(enc);
        if (!item || item.error) continue;
        const type = item.attributes.type;
        if (type === 'symlink') {
          out.push(`symlink ${encodePath(String(item.attributes.target ?? ''))} ${enc}`);
          continue;
        }
        if (type !== 'file') continue;
        const expected = md5s.get(p.toString('latin1'));
        const h = expected ? hashFile(Buffer.concat([root, p])) : undefined;
        if (h && h.md5 === expected && h.sha256 === item.attributes.sha256) {
          out.push(`file ${h.sha256} ${enc}`);
          verified++;
        } else {
          out.push(`mismatch ${h?.sha256 ?? '-'} ${enc}`);
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
